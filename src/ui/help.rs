//! The help text, generated from the live keymap (and the palette's
//! commands) so it cannot drift from the keys that work. The window that
//! shows it is `overlay/help.rs`.

use ratatui::text::{Line, Span};

use crate::ui::app::App;
use crate::ui::keymap::{Action, Keymap, Limits};
use crate::ui::palette::COMMANDS;
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
