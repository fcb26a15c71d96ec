//! The drill detail overlay: the drill's summary, each step with its phase,
//! outcome, time against its timeout and a trimmed line of what it saw or
//! printed, and each objective against its bound.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, Wrap};

use crate::core::drill::{StepOutcome, value_text};
use crate::ui::app::App;
use crate::ui::layout::centered;
use crate::ui::panes::border_set;
use crate::ui::panes::drills::state_badge;
use crate::ui::theme::Item;

fn outcome_item(o: Option<StepOutcome>) -> Item {
    match o {
        Some(StepOutcome::Ok) => Item::Pass,
        Some(StepOutcome::Failed | StepOutcome::TimedOut | StepOutcome::Error) => Item::Fail,
        Some(StepOutcome::Skipped) => Item::Skipped,
        None => Item::Running,
    }
}

/// First line of a text, at most `n` characters.
fn trimmed(text: &str, n: usize) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > n {
        format!(
            "{}…",
            line.chars().take(n.saturating_sub(1)).collect::<String>()
        )
    } else {
        line.to_string()
    }
}

/// Draw the detail of one drill.
pub fn render(frame: &mut Frame, area: Rect, app: &App, stage: &str, drill: &str) {
    let theme = app.theme();
    let Some(d) = app
        .view()
        .drills
        .iter()
        .find(|d| d.stage == stage && d.name == drill)
    else {
        return;
    };
    let popup = centered(
        area,
        area.width.saturating_sub(4).min(120),
        area.height.saturating_sub(2),
    );
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(Item::BorderFocus))
        .title(Line::styled(
            format!("[Drill {} ({})]", d.name, d.kind.as_str()),
            theme.style(Item::TitleFocus),
        ))
        .title_bottom(Line::styled(" esc close ", theme.style(Item::Muted)));
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let objectives = d.objectives.len() as u16;
    let [head, steps_area, obj_area] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(if objectives > 0 { objectives + 1 } else { 0 }),
    ])
    .areas(inner);
    let (badge, item) = state_badge(d);
    let mut head_spans = vec![
        Span::styled("state ", theme.style(Item::Muted)),
        Span::styled(badge, theme.style(item)),
        Span::styled("  ", theme.style(Item::Text)),
    ];
    head_spans.push(Span::styled(
        d.summary.clone(),
        theme.style(if d.rollback_failed {
            Item::Fail
        } else {
            Item::Text
        }),
    ));
    frame.render_widget(
        Paragraph::new(Line::from(head_spans)).wrap(Wrap { trim: true }),
        head,
    );
    let compact = inner.width < 100;
    let out_w = inner.width.saturating_sub(if compact { 40 } else { 60 }) as usize;
    let started: Vec<_> = d
        .steps
        .iter()
        .filter(|s| s.started_at.is_some() || s.outcome.is_some())
        .collect();
    let pending: Vec<_> = d
        .steps
        .iter()
        .filter(|s| s.started_at.is_none() && s.outcome.is_none())
        .collect();
    let rows = started.iter().chain(pending.iter()).map(|s| {
        let time = match (s.outcome, s.started_at) {
            (Some(_), _) => format!("{:.1}s", s.elapsed_ms as f64 / 1000.0),
            (None, Some(t)) => format!("{}s", crate::ui::panes::seconds_between(t, app.now)),
            (None, None) => "-".into(),
        };
        let seen = if s.detail.is_empty() {
            &s.output
        } else {
            &s.detail
        };
        let badge = s.outcome.map_or(
            if s.started_at.is_some() { "RUN" } else { "" },
            StepOutcome::badge,
        );
        let mut cells = vec![];
        if !compact {
            cells.push(Cell::from(Span::styled(
                s.phase.as_str(),
                theme.style(Item::Muted),
            )));
        }
        cells.extend([
            Cell::from(Span::styled(s.name.clone(), theme.style(Item::Text))),
            Cell::from(Span::styled(badge, theme.style(outcome_item(s.outcome)))),
            Cell::from(Span::styled(
                format!("{time}/{}s", s.timeout_ms / 1000),
                theme.style(Item::Text),
            )),
            Cell::from(Span::styled(trimmed(seen, out_w), theme.style(Item::Muted))),
        ]);
        Row::new(cells)
    });
    let (names, widths) = if compact {
        (
            vec!["step", "", "time", "seen"],
            vec![
                Constraint::Length(24),
                Constraint::Length(7),
                Constraint::Length(10),
                Constraint::Fill(1),
            ],
        )
    } else {
        (
            vec!["phase", "step", "", "time", "seen / output"],
            vec![
                Constraint::Length(13),
                Constraint::Length(42),
                Constraint::Length(7),
                Constraint::Length(11),
                Constraint::Fill(1),
            ],
        )
    };
    frame.render_widget(
        Table::new(rows, widths).header(Row::new(names).style(theme.style(Item::Muted))),
        steps_area,
    );
    if objectives > 0 {
        let mut lines = vec![Line::styled("objectives", theme.style(Item::Muted))];
        for o in &d.objectives {
            let r = d.results.iter().find(|r| r.objective == *o);
            let m = r
                .and_then(|r| r.measured)
                .or_else(|| d.measured(&o.measure));
            let (mark, item) = match r.map(|r| r.verdict) {
                Some(v) => (v.badge(), crate::ui::panes::verdict_item(v)),
                None => ("", Item::Muted),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "  {} = {}  bound {}  ",
                        o.measure,
                        m.map_or("-".into(), value_text),
                        o.bound_text()
                    ),
                    theme.style(Item::Text),
                ),
                Span::styled(mark, theme.style(item)),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), obj_area);
    }
}
