//! The help window: scrolls with up/down, closes with help, back or
//! select. Every other key falls through, so quit, rollback and hold work
//! while the operator reads the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::ui::app::App;
use crate::ui::help::help_text;
use crate::ui::input::KeyResult;
use crate::ui::keymap::Action;
use crate::ui::layout::centered;
use crate::ui::overlay::Overlay;
use crate::ui::panes::border_set;
use crate::ui::theme::Item;

/// Handle an action while help is open.
pub(crate) fn handle(app: &mut App, action: Action) -> KeyResult {
    let Some(Overlay::Help { scroll }) = app.overlay else {
        return KeyResult::NotConsumed;
    };
    match action {
        Action::Up => {
            app.overlay = Some(Overlay::Help {
                scroll: scroll.saturating_sub(1),
            });
        }
        Action::Down => {
            app.overlay = Some(Overlay::Help {
                scroll: scroll.saturating_add(1),
            });
        }
        Action::Help | Action::Back | Action::Select => app.overlay = None,
        _ => return KeyResult::NotConsumed,
    }
    KeyResult::Consumed(Vec::new())
}

/// Draw the help overlay.
pub fn render(frame: &mut Frame, area: Rect, app: &App, scroll: u16) {
    let lines = help_text(app);
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let popup = centered(area, 84.min(area.width.saturating_sub(2)), height);
    let max_scroll = (lines.len() as u16 + 2).saturating_sub(height);
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(app.theme().style(Item::BorderFocus))
        .title(Line::styled(
            "[Help: keys from the live keymap]",
            app.theme().style(Item::TitleFocus),
        ))
        .title_bottom(Line::styled(
            " up/down scroll  esc close ",
            app.theme().style(Item::Muted),
        ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(app.theme().style(Item::Text))
            .scroll((scroll.min(max_scroll), 0)),
        popup,
    );
}
