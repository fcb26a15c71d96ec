//! The confirmation before quitting a run in progress; focus starts on No.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::ui::app::App;
use crate::ui::layout::centered;
use crate::ui::panes::border_set;
use crate::ui::theme::Item;

/// The question asked.
pub const QUIT_QUESTION: &str = "Run in progress: quit and abort it? [y/N]";

/// Draw the quit confirmation.
pub fn render(frame: &mut Frame, area: Rect, app: &App, yes_focused: bool) {
    let theme = app.theme();
    let popup = centered(area, 50, 6);
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("[ {label} ]"), theme.style(Item::Highlight))
        } else {
            Span::styled(format!("  {label}  "), theme.style(Item::Text))
        }
    };
    let lines = vec![
        Line::styled(format!(" {QUIT_QUESTION}"), theme.style(Item::Text)),
        Line::raw(""),
        Line::from(vec![
            Span::raw("        "),
            button("Yes, abort", yes_focused),
            Span::raw("    "),
            button("No", !yes_focused),
        ]),
    ];
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(Item::Fail))
        .title(Line::styled("[Quit?]", theme.style(Item::TitleFocus)));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
