//! Pane 4, Canary: the flag and its share in the title with the latest
//! judgement and the rollback key; in the body the steps, the live guard,
//! a pending automatic rollback (countdown or hold), the rollback status and
//! the metrics of the latest judged step. Every
//! state is written out in text (markers, badges); colour only repeats it.
//!
//! Each job has its file: the title line (`title`), the rollout's progress
//! (`progress`: steps and live guard), the rollback strip (`rollback`:
//! automatic countdown or hold, then the rollback's status) and the judged
//! metrics (`metrics`). The compact layout's canary strip (`strip`) reuses
//! them when another pane is in view.

pub mod metrics;
pub mod progress;
pub mod rollback;
pub mod strip;
pub mod title;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::core::event::StageKind;
use crate::core::format::trim_num;
use crate::core::state::canary::{CanaryView, JudgedStep};
use crate::ui::app::App;
use crate::ui::panes::{Pane, capability_message, pane_block_spans, render_message};
use crate::ui::theme::Item;

pub use metrics::{classification_text, fmt_num, metric_verdict_text};
pub use progress::{guard_line, steps_line};
pub use rollback::{fmt_elapsed_ms, rollback_line};
pub use title::title_spans;

/// What the pane says when the plan has a canary stage that has not started.
pub const WAITING: &str = "canary stage planned: waiting for the canary to start.";

/// The latest judged step.
pub fn latest_judged(c: &CanaryView) -> Option<&JudgedStep> {
    c.judged.last()
}

/// `score 86`, or `no data` when the judge had nothing to score.
fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "no data".into(), |s| format!("score {}", trim_num(s)))
}

/// Columns a run of spans takes on screen.
fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Draw the Canary pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let state = app.view();
    let Some(c) = state.canary.as_ref() else {
        let text = if state.has_stage_kind(StageKind::Canary) {
            WAITING.to_string()
        } else {
            capability_message(state, StageKind::Canary)
        };
        render_message(frame, area, app, Pane::Canary, &text);
        return;
    };
    let name_w = format!("[{} {}]", Pane::Canary.number(), Pane::Canary.title()).len();
    let max = (area.width as usize).saturating_sub(2 + name_w + 2);
    let block = pane_block_spans(app, Pane::Canary, title_spans(app, c, max));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines = vec![steps_line(app, c), guard_line(app, c, inner.width as usize)];
    if let Some(a) = &c.auto {
        lines.extend(rollback::auto_lines(app, a));
    }
    if let Some(rb) = &c.rollback {
        lines.push(rollback_line(app, rb));
    }
    let judged = latest_judged(c);
    match judged {
        Some(j) => lines.push(metrics::judged_line(app, j)),
        None => lines.push(Line::styled(
            format!(
                "no step judged yet: each step is judged after its {} s hold",
                c.hold_s
            ),
            app.theme().style(Item::Muted),
        )),
    }
    let top_h = (lines.len() as u16).min(inner.height);
    let [top, table_area] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(lines), top);
    if let Some(j) = judged
        && table_area.height > 1
    {
        frame.render_widget(metrics::metrics_table(app, j, table_area.width), table_area);
    }
}
