//! One file per pane, the table that registers them ([`PANES`]), and what
//! the panes share: the pane frame, badges and time formatting.
//!
//! A pane is known to the UI through its row in [`PANES`] alone: focus
//! cycling and the number keys, which panes take a `/` filter and keep a
//! selection, what Enter opens, the compact layout's zoomed pane and the
//! full layout's grid all read the table. A new pane is its file, its
//! [`Pane`] value and its row (and a keymap action if it gets a number key).

pub mod canary;
pub mod capacity_chart;
pub mod data;
pub mod drill_timeline;
pub mod drills;
pub mod environment;
pub mod findings;
pub mod load;
pub mod load_chart;
pub mod load_workers;
pub mod log;
pub mod stages;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::{Marker, border};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::core::event::StageKind;
use crate::core::state::{RunState, StageState, StageStatus};
use crate::core::verdict::Verdict;
use crate::ui::app::App;
use crate::ui::keymap::Action;
use crate::ui::overlay::Overlay;
use crate::ui::theme::Item;

/// The panes, in focus order: a pane's number on screen is its place here.
/// [`PANES`] has one row per value, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pane {
    /// 1: stages of the run plan.
    Stages,
    /// 2: environment health checks.
    Environment,
    /// 3: load test.
    Load,
    /// 4: canary rollout.
    Canary,
    /// 5: security and compliance findings.
    Findings,
    /// 6: log.
    Log,
    /// 7: drills (shown only when the plan has a drill stage).
    Drills,
    /// 8: test data (shown only when the plan has a data stage).
    Data,
}

/// Where a pane sits in the full layout: its grid row, and its column in
/// that row (two panes share a row 58/42; a pane alone takes the row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Grid row, from the top.
    pub row: u16,
    /// Column within the row, from the left.
    pub col: u16,
}

/// Everything the UI knows of one pane.
#[derive(Clone, Copy, Debug)]
pub struct PaneSpec {
    /// The pane.
    pub pane: Pane,
    /// Title on the pane's border and in messages.
    pub title: &'static str,
    /// The keymap action that focuses it (`pane_1`...), if any.
    pub key: Option<Action>,
    /// Its place in the full layout.
    pub slot: Slot,
    /// For a list pane, how many rows it shows through its filter: a list
    /// pane takes `/` filters and keeps a selection.
    pub rows: Option<fn(&App) -> usize>,
    /// What Enter opens on the pane (the selected row's detail).
    pub open: Option<fn(&App) -> Option<Overlay>>,
    /// Draws the pane into its area.
    pub draw: fn(&mut Frame, Rect, &App),
    /// Shown only when the plan has a stage of this kind (a capability's
    /// own pane); `None`: always shown.
    pub planned: Option<StageKind>,
}

/// The registered panes, in focus order ([`Pane`]'s order; a test holds
/// the two together).
pub static PANES: [PaneSpec; 8] = [
    PaneSpec {
        pane: Pane::Stages,
        title: "Stages",
        key: Some(Action::Pane1),
        slot: Slot { row: 0, col: 0 },
        rows: Some(|app| app.visible_stages().len()),
        open: Some(stages::detail),
        draw: stages::render,
        planned: None,
    },
    PaneSpec {
        pane: Pane::Environment,
        title: "Environment",
        key: Some(Action::Pane2),
        slot: Slot { row: 1, col: 0 },
        rows: Some(|app| app.visible_health().len()),
        open: Some(environment::detail),
        draw: environment::render,
        planned: None,
    },
    PaneSpec {
        pane: Pane::Load,
        title: "Load",
        key: Some(Action::Pane3),
        slot: Slot { row: 0, col: 1 },
        rows: None,
        open: None,
        draw: load::render,
        planned: None,
    },
    PaneSpec {
        pane: Pane::Canary,
        title: "Canary",
        key: Some(Action::Pane4),
        slot: Slot { row: 1, col: 1 },
        rows: None,
        open: None,
        draw: canary::render,
        planned: None,
    },
    PaneSpec {
        pane: Pane::Findings,
        title: "Findings",
        key: Some(Action::Pane5),
        slot: Slot { row: 2, col: 0 },
        rows: Some(|app| app.visible_findings().len()),
        open: Some(findings::detail),
        draw: findings::render,
        planned: None,
    },
    PaneSpec {
        pane: Pane::Log,
        title: "Log",
        key: Some(Action::Pane6),
        slot: Slot { row: 2, col: 1 },
        rows: None,
        open: None,
        draw: log::render,
        planned: None,
    },
    PaneSpec {
        pane: Pane::Drills,
        title: "Drills",
        key: Some(Action::Pane7),
        slot: Slot { row: 3, col: 0 },
        rows: Some(drills::rows),
        open: Some(drills::detail),
        draw: drills::render,
        planned: Some(StageKind::Drill),
    },
    PaneSpec {
        pane: Pane::Data,
        title: "Data",
        key: Some(Action::Pane8),
        slot: Slot { row: 3, col: 1 },
        rows: None,
        open: None,
        draw: data::render,
        planned: Some(StageKind::Data),
    },
];

impl Pane {
    /// Every pane in focus order.
    pub fn all() -> impl Iterator<Item = Pane> {
        PANES.iter().map(|s| s.pane)
    }

    /// The pane's row in [`PANES`].
    pub fn spec(self) -> &'static PaneSpec {
        &PANES[self as usize]
    }

    /// The pane's number, from 1.
    pub fn number(self) -> usize {
        self as usize + 1
    }

    /// The pane's title.
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// The pane `by` places after this one in focus order, wrapping around.
    pub fn offset(self, by: isize) -> Pane {
        let n = PANES.len() as isize;
        PANES[(self as isize + by).rem_euclid(n) as usize].pane
    }

    /// Whether the pane is shown for this run: always, or when the plan
    /// has the stage kind it belongs to.
    pub fn shown(self, state: &RunState) -> bool {
        self.spec().planned.is_none_or(|k| state.has_stage_kind(k))
    }

    /// The next shown pane `by` steps away in focus order (wrapping).
    pub fn offset_shown(self, by: isize, state: &RunState) -> Pane {
        let mut p = self.offset(by);
        for _ in 0..PANES.len() {
            if p.shown(state) {
                return p;
            }
            p = p.offset(by.signum());
        }
        self
    }

    /// Whether the pane lists rows that can be filtered and selected.
    pub fn is_list(self) -> bool {
        self.spec().rows.is_some()
    }

    /// The pane a keymap action focuses, if it is a pane's number key.
    pub fn for_key(action: Action) -> Option<Pane> {
        PANES.iter().find(|s| s.key == Some(action)).map(|s| s.pane)
    }

    /// The list panes, for messages: `Stages, Environment and Findings
    /// panes (1, 2 or 5)`.
    pub fn lists_text() -> String {
        let lists: Vec<Pane> = Pane::all().filter(|p| p.is_list()).collect();
        let titles: Vec<&str> = lists.iter().map(|p| p.title()).collect();
        let numbers: Vec<String> = lists.iter().map(|p| p.number().to_string()).collect();
        format!(
            "{} panes ({})",
            join_last(&titles, " and "),
            join_last(&numbers, " or ")
        )
    }
}

/// `a, b and c`: items joined by commas, the last one by `last`.
fn join_last<S: AsRef<str>>(items: &[S], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., end] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{}{last}{}", rest.join(", "), end.as_ref())
        }
    }
}

/// Borders drawn with `+ - |` for terminals and fonts without box drawing.
pub const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// The border set for the current `--ascii` setting.
pub fn border_set(ascii: bool) -> border::Set<'static> {
    if ascii { ASCII_BORDER } else { border::PLAIN }
}

/// The chart marker for the current `--ascii` setting (dots instead of braille).
pub fn chart_marker(ascii: bool) -> Marker {
    if ascii { Marker::Dot } else { Marker::Braille }
}

/// Draw a pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App, pane: Pane) {
    (pane.spec().draw)(frame, area, app);
}

/// The frame of a pane: numbered title, marked `[n Title]` and highlighted
/// when focused, so focus shows without colour too.
pub fn pane_block(app: &App, pane: Pane, extra: &str) -> Block<'static> {
    let extra = if extra.is_empty() {
        Vec::new()
    } else {
        vec![Span::styled(
            extra.to_string(),
            app.theme().style(Item::Muted),
        )]
    };
    pane_block_spans(app, pane, extra)
}

/// The frame of a pane with styled spans after the title (badges keep
/// their colours; the text carries the meaning on its own).
pub fn pane_block_spans(app: &App, pane: Pane, extra: Vec<Span<'static>>) -> Block<'static> {
    let theme = app.theme();
    let focused = app.focus() == pane;
    let name = format!("{} {}", pane.number(), pane.title());
    let (title, border_style, title_style) = if focused {
        (
            format!("[{name}]"),
            theme.style(Item::BorderFocus),
            theme.style(Item::TitleFocus),
        )
    } else {
        (
            format!(" {name} "),
            theme.style(Item::Border),
            theme.style(Item::Title),
        )
    };
    let mut spans = vec![Span::styled(title, title_style)];
    let filter = app.filter(pane);
    if !filter.is_empty() {
        spans.push(Span::styled(
            format!(" /{filter} "),
            theme.style(Item::HintKey),
        ));
    }
    if !extra.is_empty() {
        spans.push(Span::styled(" ", theme.style(Item::Muted)));
        spans.extend(extra);
        spans.push(Span::styled(" ", theme.style(Item::Muted)));
    }
    Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(border_style)
        .title(Line::from(spans))
}

/// A pane that has only a sentence to say.
pub fn render_message(frame: &mut Frame, area: Rect, app: &App, pane: Pane, text: &str) {
    let para = Paragraph::new(Line::styled(
        text.to_string(),
        app.theme().style(Item::Muted),
    ))
    .block(pane_block(app, pane, ""))
    .wrap(Wrap { trim: true });
    frame.render_widget(para, area);
}

/// Placeholder for a capability this build does not have yet.
pub fn capability_message(state: &RunState, kind: StageKind) -> String {
    if state.has_stage_kind(kind) {
        format!("{} stage planned: waiting for data.", kind.as_str())
    } else {
        format!("No {} stage is configured in this run plan.", kind.as_str())
    }
}

/// The theme item that colours a verdict.
pub fn verdict_item(v: Verdict) -> Item {
    match v {
        Verdict::Pass => Item::Pass,
        Verdict::Warn => Item::Warn,
        Verdict::Fail => Item::Fail,
        Verdict::Inconclusive => Item::Inconclusive,
        Verdict::Skipped => Item::Skipped,
    }
}

/// A verdict badge as a styled span.
pub fn verdict_span(app: &App, v: Verdict) -> Span<'static> {
    Span::styled(v.badge(), app.theme().style(verdict_item(v)))
}

/// A stage's badge: PEND, RUN, or its verdict badge.
pub fn stage_badge(st: &StageState) -> (&'static str, Item) {
    match (st.status, st.verdict) {
        (StageStatus::Pending, _) => ("PEND", Item::Pending),
        (StageStatus::Running, _) => ("RUN", Item::Running),
        (StageStatus::Finished, Some(v)) => (v.badge(), verdict_item(v)),
        (StageStatus::Finished, None) => ("??", Item::Inconclusive),
    }
}

/// A stage's badge as a styled span.
pub fn stage_badge_span(app: &App, st: &StageState) -> Span<'static> {
    let (text, item) = stage_badge(st);
    Span::styled(text, app.theme().style(item))
}

/// Seconds between two instants, never negative.
pub fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().max(0)
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn fmt_short_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// How long a stage ran (or has been running, at `now`).
pub fn stage_duration(st: &StageState, now: DateTime<Utc>) -> Option<String> {
    let start = st.started_at?;
    let end = st.finished_at.unwrap_or(now);
    Some(fmt_short_duration(seconds_between(start, end)))
}

/// Summary when finished, progress while running.
pub fn stage_detail_text(st: &StageState) -> String {
    match st.status {
        StageStatus::Finished => st.summary.clone(),
        StageStatus::Running => {
            let msg = st.progress.clone().unwrap_or_default();
            match st.fraction {
                Some(f) => format!("{:>3.0}% {msg}", f * 100.0).trim_end().to_string(),
                None => msg,
            }
        }
        StageStatus::Pending => String::new(),
    }
}

/// Column-header style.
pub fn header_style(app: &App) -> Style {
    app.theme().style(Item::Muted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_pane_order() {
        for (i, spec) in PANES.iter().enumerate() {
            assert_eq!(spec.pane as usize, i, "{:?} is out of place", spec.pane);
            assert_eq!(spec.pane.spec().title, spec.title);
        }
    }

    #[test]
    fn focus_cycles_through_the_table_and_wraps() {
        let order: Vec<Pane> = Pane::all().collect();
        assert_eq!(order.first(), Some(&Pane::Stages));
        assert_eq!(Pane::Data.offset(1), Pane::Stages);
        assert_eq!(Pane::Stages.offset(-1), Pane::Data);
        for w in order.windows(2) {
            assert_eq!(w[0].offset(1), w[1]);
        }
        // A capability's pane is in the cycle only when its stage is planned.
        let none = RunState::default();
        assert_eq!(Pane::Log.offset_shown(1, &none), Pane::Stages);
        assert_eq!(Pane::Stages.offset_shown(-1, &none), Pane::Log);
        assert!(!Pane::Drills.shown(&none));
        assert!(!Pane::Data.shown(&none));
        let mut drills = RunState::default();
        drills.stages.push(StageState {
            plan: crate::core::stage::StagePlan {
                id: "drills".into(),
                kind: StageKind::Drill,
                weight: 1.0,
                hard: false,
            },
            status: StageStatus::Pending,
            started_at: None,
            finished_at: None,
            progress: None,
            fraction: None,
            verdict: None,
            summary: String::new(),
            evidence: Vec::new(),
            runs: 0,
        });
        assert_eq!(Pane::Log.offset_shown(1, &drills), Pane::Drills);
        assert_eq!(Pane::Drills.offset_shown(1, &drills), Pane::Stages);
    }

    #[test]
    fn number_keys_and_lists_come_from_the_table() {
        assert_eq!(Pane::for_key(Action::Pane4), Some(Pane::Canary));
        assert_eq!(Pane::for_key(Action::Zoom), None);
        assert_eq!(
            Pane::lists_text(),
            "Stages, Environment, Findings and Drills panes (1, 2, 5 or 7)"
        );
    }

    #[test]
    fn every_grid_slot_holds_one_pane() {
        for a in &PANES {
            let same = PANES.iter().filter(|b| b.slot == a.slot).count();
            assert_eq!(same, 1, "{:?} shares its slot", a.pane);
        }
    }
}
