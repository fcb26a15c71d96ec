//! One file per pane, plus what the panes share: the pane frame, badges and
//! time formatting.

pub mod canary;
pub mod environment;
pub mod findings;
pub mod load;
pub mod load_chart;
pub mod log;
pub mod stages;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::{Marker, border};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::core::event::{HealthCheck, StageKind};
use crate::core::state::{RunState, StageState, StageStatus};
use crate::core::verdict::Verdict;
use crate::ui::app::{App, Pane};
use crate::ui::theme::Item;

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
    match pane {
        Pane::Stages => stages::render(frame, area, app),
        Pane::Environment => environment::render(frame, area, app),
        Pane::Load => load::render(frame, area, app),
        Pane::Canary => canary::render(frame, area, app),
        Pane::Findings => findings::render(frame, area, app),
        Pane::Log => log::render(frame, area, app),
    }
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

/// The text a filter is matched against for a stage row.
pub fn stage_row_text(st: &StageState) -> String {
    format!(
        "{} {} {} {}",
        st.plan.id,
        st.plan.kind.as_str(),
        stage_badge(st).0,
        stage_detail_text(st)
    )
}

/// The text a filter is matched against for a health-check row.
pub fn health_row_text(h: &HealthCheck) -> String {
    format!(
        "{} {} {} {} {} {}",
        h.endpoint,
        h.verdict.badge(),
        h.status.map(|s| s.to_string()).unwrap_or_default(),
        h.version.clone().unwrap_or_default(),
        h.reason.clone().unwrap_or_default(),
        h.url
    )
}

/// Column-header style.
pub fn header_style(app: &App) -> Style {
    app.theme().style(Item::Muted)
}
