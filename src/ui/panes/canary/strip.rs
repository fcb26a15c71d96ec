//! The canary strip of the compact layout: on a small terminal the body
//! shows one pane, so while a canary is live (its stage runs, or an
//! automatic rollback or a rollback is pending or failed) and another pane
//! is in view, the bottom of the body keeps what the on-call operator must
//! not miss: the flag and its share with the rollback key (the title), the
//! live guard, the countdown or hold with the keys that act on it, the
//! rollback's state, and, when the space allows, the latest judgement.
//! `4` still zooms the whole Canary pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::core::state::canary::{CanaryView, RollbackStatus};
use crate::core::state::{RunState, StageStatus};
use crate::ui::app::App;
use crate::ui::panes::canary::{guard_line, latest_judged, metrics, rollback, title_spans};
use crate::ui::panes::{Pane, pane_block_spans};

/// Rows the pane in view keeps above the strip, borders included.
const PANE_MIN_ROWS: u16 = 8;

/// The strip's lines, cut to what fits.
pub struct Strip {
    lines: Vec<Line<'static>>,
}

/// Whether the canary needs watching: its stage runs, or a rollback
/// (automatic or asked for) has not settled.
fn live(state: &RunState, c: &CanaryView) -> bool {
    let running = state
        .stage(&c.stage)
        .is_some_and(|s| s.status == StageStatus::Running);
    let unsettled = c.rollback.as_ref().is_some_and(|r| {
        matches!(
            r.status,
            RollbackStatus::Pending | RollbackStatus::Failed(_)
        )
    });
    running || c.pending_auto().is_some() || unsettled
}

impl Strip {
    /// The strip for a compact body of this size, if the canary needs one:
    /// not when the Canary pane itself is in view, nor when the pane above
    /// would keep fewer than [`PANE_MIN_ROWS`] rows.
    pub fn new(app: &App, body: Rect) -> Option<Strip> {
        if app.focus() == Pane::Canary {
            return None;
        }
        let state = app.view();
        let c = state.canary.as_ref().filter(|c| live(state, c))?;
        let width = body.width.saturating_sub(2) as usize;
        // (line, essential): the guard, the countdown or hold with its keys
        // and the rollback's state always; the cause and the latest
        // judgement when there is room, in the pane's order.
        let mut lines: Vec<(Line<'static>, bool)> = vec![(guard_line(app, c, width), true)];
        if let Some(a) = &c.auto {
            for (i, l) in rollback::auto_lines(app, a).into_iter().enumerate() {
                lines.push((l, i == 0));
            }
        }
        if let Some(rb) = &c.rollback {
            lines.push((rollback::rollback_line(app, rb), true));
        }
        if let Some(j) = latest_judged(c) {
            lines.push((metrics::judged_line(app, j), false));
        }
        let room = body.height.saturating_sub(PANE_MIN_ROWS + 2) as usize;
        let essential = lines.iter().filter(|(_, e)| *e).count();
        if essential > room {
            return None;
        }
        let mut spare = room - essential;
        let kept = lines
            .into_iter()
            .filter(|(_, e)| {
                if *e {
                    return true;
                }
                let keep = spare > 0;
                spare = spare.saturating_sub(1);
                keep
            })
            .map(|(l, _)| l)
            .collect();
        Some(Strip { lines: kept })
    }

    /// Rows the strip takes, borders included.
    pub fn height(&self) -> u16 {
        self.lines.len() as u16 + 2
    }

    /// Draw it: the Canary pane's frame and title (not focused), its lines.
    pub fn render(self, frame: &mut Frame, area: Rect, app: &App) {
        let Some(c) = app.view().canary.as_ref() else {
            return;
        };
        let name_w = format!(" {} {} ", Pane::Canary.number(), Pane::Canary.title()).len();
        let max = (area.width as usize).saturating_sub(2 + name_w + 2);
        let block = pane_block_spans(app, Pane::Canary, title_spans(app, c, max));
        frame.render_widget(Paragraph::new(self.lines).block(block), area);
    }
}
