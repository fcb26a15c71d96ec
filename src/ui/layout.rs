//! The screen's shape: full layout at 120x32 and up, compact from 80x24 (one
//! pane, and the canary strip below it while a canary is live), a plain
//! message below that; overlays on top.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::ui::app::App;
use crate::ui::panes::canary::strip::Strip as CanaryStrip;
use crate::ui::panes::{PANES, PaneSpec};
use crate::ui::theme::Item;
use crate::ui::{header, hints, overlay, panes};

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
            match CanaryStrip::new(app, body) {
                Some(canary) => {
                    let [pane, bottom] = Layout::vertical([
                        Constraint::Fill(1),
                        Constraint::Length(canary.height()),
                    ])
                    .areas(body);
                    panes::render(frame, pane, app, app.focus());
                    canary.render(frame, bottom, app);
                }
                None => panes::render(frame, body, app, app.focus()),
            }
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
    overlay::render(frame, area, app);
}

/// The panes in the grid their [`PANES`] slots describe: rows of equal
/// height; two panes in a row split it 58/42, a pane alone takes the row.
fn draw_grid(frame: &mut Frame, body: Rect, app: &App) {
    let shown: Vec<&PaneSpec> = PANES.iter().filter(|s| s.pane.shown(app.view())).collect();
    let rows = shown.iter().map(|s| s.slot.row + 1).max().unwrap_or(0);
    let row_areas =
        Layout::vertical((0..rows).map(|_| Constraint::Ratio(1, u32::from(rows)))).split(body);
    for (row, row_area) in (0..rows).zip(row_areas.iter()) {
        let mut in_row: Vec<&PaneSpec> = shown
            .iter()
            .copied()
            .filter(|s| s.slot.row == row)
            .collect();
        in_row.sort_by_key(|s| s.slot.col);
        let widths: Vec<Constraint> = match in_row.len() {
            2 => vec![Constraint::Percentage(58), Constraint::Percentage(42)],
            n => (0..n).map(|_| Constraint::Ratio(1, n as u32)).collect(),
        };
        let cells = Layout::horizontal(widths).split(*row_area);
        for (spec, cell) in in_row.iter().zip(cells.iter()) {
            (spec.draw)(frame, *cell, app);
        }
    }
}
