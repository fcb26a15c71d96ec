//! The screen's shape: full layout at 120x32 and up, compact from 80x24, a
//! plain message below that; overlays on top.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::ui::app::{App, Overlay, Pane};
use crate::ui::overlay::{dialog, finding_detail, iac_detail, stage_detail};
use crate::ui::theme::Item;
use crate::ui::{header, help, hints, panes};

/// Smallest screen the control room draws on.
pub const MIN_SIZE: (u16, u16) = (80, 24);
/// Smallest screen for the full six-pane layout.
pub const FULL_SIZE: (u16, u16) = (120, 32);

/// Which layout a screen size gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every pane at once.
    Full,
    /// Header, verdict strip, one pane.
    Compact,
    /// Only a message with the size needed.
    TooSmall,
}

/// The layout for a screen size.
pub fn mode_for(area: Rect) -> Mode {
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        Mode::TooSmall
    } else if area.width < FULL_SIZE.0 || area.height < FULL_SIZE.1 {
        Mode::Compact
    } else {
        Mode::Full
    }
}

/// A rectangle of at most `w` x `h`, centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Draw the whole screen from the app's state.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    match mode_for(area) {
        Mode::TooSmall => {
            let msg = format!(
                "terminal too small: need at least {}x{}, have {}x{}",
                MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
            );
            let y = area.height / 2;
            let line_area = Rect {
                y: area.y + y,
                height: 1.min(area.height),
                ..area
            };
            frame.render_widget(
                Paragraph::new(Line::styled(msg, app.theme().style(Item::StatusError)))
                    .alignment(Alignment::Center),
                line_area,
            );
            return;
        }
        Mode::Compact => {
            let [head, strip, body, foot] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Fill(1),
                Constraint::Length(1),
            ])
            .areas(area);
            header::render(frame, head, app);
            header::render_strip(frame, strip, app);
            panes::render(frame, body, app, app.focus());
            hints::render(frame, foot, app);
        }
        Mode::Full => {
            let [head, body, foot] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Fill(1),
                Constraint::Length(1),
            ])
            .areas(area);
            header::render(frame, head, app);
            if app.zoomed() {
                panes::render(frame, body, app, app.focus());
            } else {
                draw_grid(frame, body, app);
            }
            hints::render(frame, foot, app);
        }
    }
    match app.overlay() {
        Some(Overlay::Help { scroll }) => help::render(frame, area, app, *scroll),
        Some(Overlay::StageDetail { stage }) => stage_detail::render(frame, area, app, stage),
        Some(Overlay::FindingDetail { stage, fingerprint }) => {
            finding_detail::render_finding(frame, area, app, stage, fingerprint)
        }
        Some(Overlay::PolicyDetail {
            stage,
            policy,
            rule,
        }) => finding_detail::render_policy(frame, area, app, stage, policy, rule),
        Some(Overlay::IacDetail { stage, scroll }) => {
            iac_detail::render(frame, area, app, stage, *scroll)
        }
        Some(Overlay::ConfirmQuit { yes_focused }) => {
            dialog::render(frame, area, app, *yes_focused)
        }
        Some(Overlay::ConfirmRollback { yes_focused }) => {
            let flag = canary_flag(app);
            let c = dialog::rollback_dialog(&flag);
            dialog::render_confirm(frame, area, app, &c, *yes_focused)
        }
        Some(Overlay::ConfirmApply { yes_focused }) => {
            if let Some(a) = app.state().pending_approval() {
                dialog::render_apply(frame, area, app, a, *yes_focused)
            }
        }
        Some(Overlay::ConfirmPromote { yes_focused }) => {
            let flag = canary_flag(app);
            let held = app
                .state()
                .canary
                .as_ref()
                .and_then(|c| c.pending_auto())
                .is_some_and(|a| a.held());
            let c = if held {
                dialog::override_dialog(&flag)
            } else {
                dialog::promote_dialog(&flag)
            };
            dialog::render_confirm(frame, area, app, &c, *yes_focused)
        }
        None => {}
    }
}

/// The live canary's flag, for the dialogs (they act on the live state).
fn canary_flag(app: &App) -> String {
    app.state()
        .canary
        .as_ref()
        .map_or_else(|| "the canary".to_string(), |c| c.flag.clone())
}

/// The six panes in a grid: Stages | Load, Environment | Canary, Findings | Log.
fn draw_grid(frame: &mut Frame, body: Rect, app: &App) {
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
    ])
    .areas(body);
    let cols = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]);
    let [stages, load] = cols.areas(top);
    let [env, canary] = cols.areas(middle);
    let [findings, log] = cols.areas(bottom);
    panes::render(frame, stages, app, Pane::Stages);
    panes::render(frame, env, app, Pane::Environment);
    panes::render(frame, load, app, Pane::Load);
    panes::render(frame, canary, app, Pane::Canary);
    panes::render(frame, findings, app, Pane::Findings);
    panes::render(frame, log, app, Pane::Log);
}
