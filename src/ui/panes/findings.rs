//! Pane 5, Findings. The capability arrives in a later build; until then the
//! pane says plainly whether the plan has such a stage.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::run::event::StageKind;
use crate::ui::app::{App, Pane};
use crate::ui::panes::{capability_message, render_message};

/// Draw the Findings pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let text = capability_message(app.view(), StageKind::Scan);
    render_message(frame, area, app, Pane::Findings, &text);
}
