//! The help overlay, generated from the live keymap so it cannot drift.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::ui::app::App;
use crate::ui::keymap::{Action, Keymap, Limits};
use crate::ui::layout::centered;
use crate::ui::palette::COMMANDS;
use crate::ui::panes::border_set;
use crate::ui::theme::Item;

/// One help row per bound action: (keys, action name, description).
pub fn help_rows(
    keymap: &Keymap,
    limits: impl Into<Limits>,
) -> Vec<(String, &'static str, &'static str)> {
    let limits = limits.into();
    Action::ALL
        .into_iter()
        .filter_map(|a| {
            let keys = keymap.keys_for(a, limits);
            (!keys.is_empty()).then(|| {
                let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
                (keys.join(", "), a.name(), a.description())
            })
        })
        .collect()
}

/// Every line of the help text.
pub fn help_text(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme();
    let limits = app.limits();
    let mut lines = Vec::new();
    for (keys, name, desc) in help_rows(app.keymap(), limits) {
        lines.push(Line::from(vec![
            Span::styled(format!(" {keys:<14}"), theme.style(Item::HintKey)),
            Span::styled(format!(" {name:<15}"), theme.style(Item::Muted)),
            Span::styled(format!(" {desc}"), theme.style(Item::Text)),
        ]));
    }
    lines.push(Line::raw(""));
    for (cmd, desc) in COMMANDS {
        lines.push(Line::from(vec![
            Span::styled(format!(" :{cmd:<25}"), theme.style(Item::HintKey)),
            Span::styled(format!(" {desc}"), theme.style(Item::Text)),
        ]));
    }
    if limits.read_only || limits.replay {
        let why = if limits.replay {
            "replay of a finished journal: rollback, promote, hold, rerun and kill_load are disabled"
        } else {
            "read-only run: rollback, promote, hold and rerun are disabled (kill_load stays)"
        };
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!(" {why}"), theme.style(Item::Warn)));
    }
    lines
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
