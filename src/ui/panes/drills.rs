//! Pane 7, Drills (shown only when the plan has a drill stage): one row per
//! drill with its kind, state, the step running now with its elapsed time
//! against its timeout, and each objective as measured against its bound.
//! Enter opens the drill's steps; `K` aborts the running drill (its
//! rollbacks still run). A failed rollback reads `RB FAIL` in the failure
//! colour.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::core::drill::value_text;
use crate::core::state::DrillView;
use crate::core::verdict::Verdict;
use crate::ui::app::App;
use crate::ui::overlay::Overlay;
use crate::ui::panes::{
    Pane, fmt_short_duration, header_style, pane_block, render_message, seconds_between,
    verdict_item,
};
use crate::ui::theme::Item;

/// Below this width the pane drops the kind column and shortens objectives.
const COMPACT_WIDTH: u16 = 100;

/// The drill's state badge and its colour.
pub fn state_badge(d: &DrillView) -> (&'static str, Item) {
    if d.rollback_failed {
        return ("RB FAIL", Item::Fail);
    }
    match d.verdict {
        None if d
            .current()
            .is_some_and(|s| s.phase == crate::core::drill::Phase::Rollback) =>
        {
            ("ROLLBK", Item::Warn)
        }
        None => ("RUN", Item::Running),
        Some(v) => (v.badge(), verdict_item(v)),
    }
}

/// `step 0:04/0:30` for the step running now, or the drill's time when done.
fn step_text(d: &DrillView, now: chrono::DateTime<chrono::Utc>) -> (String, String) {
    match d.current() {
        Some(s) => {
            let elapsed = s.started_at.map_or(0, |t| seconds_between(t, now));
            (
                s.name.clone(),
                format!(
                    "{}/{}",
                    fmt_short_duration(elapsed),
                    fmt_short_duration((s.timeout_ms / 1000) as i64)
                ),
            )
        }
        None => {
            let end = d.finished_at.unwrap_or(now);
            let what = if d.running() {
                "starting".to_string()
            } else {
                d.end.map(|e| e.as_str().to_string()).unwrap_or_default()
            };
            (what, fmt_short_duration(seconds_between(d.started_at, end)))
        }
    }
}

/// Objectives against their bounds: `deploy_time_s 0.93<=10` each, or
/// `2/3 met` when compact.
fn objectives_spans(app: &App, d: &DrillView, compact: bool) -> Vec<Span<'static>> {
    let theme = app.theme();
    if compact {
        let met = d
            .results
            .iter()
            .filter(|r| r.verdict == Verdict::Pass)
            .count();
        let text = if d.results.is_empty() {
            format!("{} obj", d.objectives.len())
        } else {
            format!("{met}/{} met", d.results.len())
        };
        let item = if d.results.iter().any(|r| r.verdict == Verdict::Fail) {
            Item::Fail
        } else {
            Item::Text
        };
        return vec![Span::styled(text, theme.style(item))];
    }
    let mut out = Vec::new();
    for o in &d.objectives {
        let judged = d.results.iter().find(|r| r.objective == *o);
        let measured = judged
            .and_then(|r| r.measured)
            .or_else(|| d.measured(&o.measure));
        let (mark, item) = match judged.map(|r| r.verdict) {
            Some(Verdict::Pass) => ("ok", Item::Pass),
            Some(Verdict::Fail) => ("MISSED", Item::Fail),
            Some(_) => ("??", Item::Inconclusive),
            None => ("", Item::Muted),
        };
        out.push(Span::styled(
            format!(
                "{} {} {} {} ",
                o.measure,
                measured.map_or("-".into(), value_text),
                o.op.as_str(),
                o.value
            ),
            theme.style(Item::Text),
        ));
        if !mark.is_empty() {
            out.push(Span::styled(format!("{mark}  "), theme.style(item)));
        }
    }
    out
}

/// Width of the DR timeline beside the table when the pane is short.
const SIDE_TIMELINE: u16 = 46;
/// Least height of the DR timeline under the table.
const TIMELINE_ROWS: u16 = 8;

/// Draw the Drills pane: the table, and a recovery drill's timeline under
/// it (when the pane is tall enough) or beside it (when wide enough).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    use ratatui::layout::{Direction, Layout};
    let Some(dr) = super::drill_timeline::pick(app) else {
        return render_table(frame, area, app);
    };
    let table_h = app.view().drills.len() as u16 + 3;
    let split = if area.height >= table_h + TIMELINE_ROWS {
        Some((
            Direction::Vertical,
            [Constraint::Length(table_h), Constraint::Fill(1)],
        ))
    } else if area.width >= 110 {
        Some((
            Direction::Horizontal,
            [Constraint::Fill(1), Constraint::Length(SIDE_TIMELINE)],
        ))
    } else {
        None
    };
    match split {
        Some((dir, c)) => {
            let parts = Layout::default().direction(dir).constraints(c).split(area);
            render_table(frame, parts[0], app);
            super::drill_timeline::render(frame, parts[1], app, dr);
        }
        None => render_table(frame, area, app),
    }
}

fn render_table(frame: &mut Frame, area: Rect, app: &App) {
    let drills = &app.view().drills;
    if drills.is_empty() {
        render_message(
            frame,
            area,
            app,
            Pane::Drills,
            "Drill stage planned: waiting for its first drill.",
        );
        return;
    }
    let theme = app.theme();
    let compact = area.width < COMPACT_WIDTH;
    let rows = drills.iter().map(|d| {
        let (badge, item) = state_badge(d);
        let (step, time) = step_text(d, app.now);
        let mut cells = vec![Cell::from(Span::styled(
            d.name.clone(),
            theme.style(Item::Text),
        ))];
        if !compact {
            cells.push(Cell::from(Span::styled(
                d.kind.short(),
                theme.style(Item::Muted),
            )));
        }
        cells.extend([
            Cell::from(Span::styled(badge, theme.style(item))),
            Cell::from(Span::styled(step, theme.style(Item::Text))),
            Cell::from(Span::styled(time, theme.style(Item::Text))),
            Cell::from(Line::from(objectives_spans(app, d, compact))),
        ]);
        Row::new(cells)
    });
    let name_w = drills
        .iter()
        .map(|d| d.name.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 20) as u16;
    let (names, widths): (Vec<&str>, Vec<Constraint>) = if compact {
        (
            vec!["drill", "state", "step", "time", "objectives"],
            vec![
                Constraint::Length(name_w.min(14)),
                Constraint::Length(7),
                Constraint::Fill(1),
                Constraint::Length(9),
                Constraint::Length(10),
            ],
        )
    } else {
        (
            vec!["drill", "kind", "state", "step", "time", "objectives"],
            vec![
                Constraint::Length(name_w),
                Constraint::Length(11),
                Constraint::Length(7),
                Constraint::Length(30),
                Constraint::Length(9),
                Constraint::Fill(1),
            ],
        )
    };
    let running = drills.iter().filter(|d| d.running()).count();
    let extra = if running > 0 {
        "K aborts the running drill"
    } else {
        ""
    };
    let focused = app.focus() == Pane::Drills;
    let table = Table::new(rows, widths)
        .header(Row::new(names).style(header_style(app)))
        .block(pane_block(app, Pane::Drills, extra))
        .row_highlight_style(if focused {
            theme.style(Item::Highlight)
        } else {
            ratatui::style::Style::new()
        })
        .highlight_symbol("> ");
    let mut state = TableState::new().with_selected(app.selected(Pane::Drills));
    frame.render_stateful_widget(table, area, &mut state);
}

/// Enter on a drill: its steps.
pub fn detail(app: &App) -> Option<Overlay> {
    let i = app.selected(Pane::Drills)?;
    let d = app.view().drills.get(i)?;
    Some(Overlay::DrillDetail {
        stage: d.stage.clone(),
        drill: d.name.clone(),
    })
}

/// Rows of the pane (a list pane: selection and Enter).
pub fn rows(app: &App) -> usize {
    app.view().drills.len()
}
