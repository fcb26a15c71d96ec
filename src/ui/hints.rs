//! The bottom line: a prompt, a status message, or key hints generated from
//! the live keymap (the most important actions that fit).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::app::{App, Prompt};
use crate::ui::keymap::{Action, Keymap, Limits};
use crate::ui::panes::PANES;
use crate::ui::theme::Item;

/// Actions worth a hint, most important first, with their short labels.
const HINTS: [(Action, &str); 12] = [
    (Action::Quit, "quit"),
    (Action::Help, "help"),
    (Action::FocusNext, "focus"),
    (Action::Pane1, "pane"),
    (Action::Zoom, "zoom"),
    (Action::Command, "command"),
    (Action::Filter, "filter"),
    (Action::Rollback, "rollback"),
    (Action::Freeze, "freeze"),
    (Action::Promote, "promote"),
    (Action::Rerun, "rerun"),
    (Action::KillLoad, "kill load"),
];

/// Display order of the hints on the line.
const ORDER: [Action; 13] = [
    Action::FocusNext,
    Action::Pane1,
    Action::Zoom,
    Action::Freeze,
    Action::Filter,
    Action::Command,
    Action::Rollback,
    Action::Hold,
    Action::Promote,
    Action::Rerun,
    Action::KillLoad,
    Action::Help,
    Action::Quit,
];

/// The key text for a hint: the shortest key bound, or `1-6` for the panes
/// (their number keys, from the pane table).
fn key_text(keymap: &Keymap, action: Action, limits: Limits) -> Option<String> {
    if action == Action::Pane1 {
        // The panes every run shows; a capability's own pane (Drills) adds
        // its number in the help and its title.
        let keys: Option<Vec<String>> = PANES
            .iter()
            .filter(|s| s.planned.is_none())
            .filter_map(|s| s.key)
            .map(|a| keymap.keys_for(a, limits).first().map(|k| k.to_string()))
            .collect();
        let keys = keys?;
        return Some(match (keys.first(), keys.last()) {
            (Some(a), Some(b)) if keys.iter().all(|k| k.chars().count() == 1) => format!("{a}-{b}"),
            _ => keys.join(","),
        });
    }
    keymap
        .keys_for(action, limits)
        .first()
        .map(|k| k.to_string())
}

/// The hints that fit in `width` columns, as (key, label) pairs in display order.
/// `hold` is the hold key's label while an automatic rollback is pending
/// (`hold` or `release`); rollback and hold then come right after quit and
/// help, because the countdown is short.
pub fn hints(
    keymap: &Keymap,
    limits: impl Into<Limits>,
    frozen: bool,
    hold: Option<&str>,
    width: usize,
) -> Vec<(String, String)> {
    let limits = limits.into();
    let mut chosen: Vec<(Action, String, String)> = Vec::new();
    let mut used = 1;
    let mut wanted: Vec<(Action, &str)> = HINTS.to_vec();
    if let Some(label) = hold {
        // Rollback and hold are what matters during a countdown.
        wanted.retain(|(a, _)| *a != Action::Rollback);
        wanted.splice(
            2..2,
            [(Action::Rollback, "rollback"), (Action::Hold, label)],
        );
    }
    for (action, label) in wanted {
        let Some(key) = key_text(keymap, action, limits) else {
            continue;
        };
        let label = if action == Action::Freeze && frozen {
            "unfreeze"
        } else {
            label
        };
        let w = key.chars().count() + 1 + label.len() + 2;
        if used + w > width {
            continue;
        }
        used += w;
        chosen.push((action, key, label.to_string()));
    }
    chosen.sort_by_key(|(a, _, _)| ORDER.iter().position(|x| x == a));
    chosen.into_iter().map(|(_, k, l)| (k, l)).collect()
}

/// Draw the bottom line.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme();
    let line = match (app.prompt(), app.status()) {
        (Some(Prompt::Filter(pane)), _) => Line::from(vec![
            Span::styled(
                format!(" filter {}: /", pane.title()),
                theme.style(Item::HintKey),
            ),
            Span::styled(format!("{}_", app.filter(pane)), theme.style(Item::Text)),
            Span::styled("   enter keep  esc clear", theme.style(Item::Muted)),
        ]),
        (Some(Prompt::Command), _) => Line::from(vec![
            Span::styled(" :", theme.style(Item::HintKey)),
            Span::styled(format!("{}_", app.command_input()), theme.style(Item::Text)),
            Span::styled(
                "   quit | theme NAME | rerun STAGE | apply | help   esc cancel",
                theme.style(Item::Muted),
            ),
        ]),
        (None, Some(status)) if status.error => Line::from(Span::styled(
            format!(" error: {}", status.text),
            theme.style(Item::StatusError),
        )),
        (None, Some(status)) => Line::from(Span::styled(
            format!(" {}", status.text),
            theme.style(Item::StatusInfo),
        )),
        (None, None) => {
            let mut spans = vec![Span::raw(" ")];
            let limits = app.limits();
            let hold = app
                .view()
                .canary
                .as_ref()
                .and_then(|c| c.pending_auto())
                .and_then(|a| {
                    if a.held() {
                        Some("release")
                    } else {
                        a.counting().then_some("hold")
                    }
                });
            for (key, label) in hints(
                app.keymap(),
                limits,
                app.is_frozen(),
                hold,
                area.width as usize,
            ) {
                spans.push(Span::styled(key, theme.style(Item::HintKey)));
                spans.push(Span::styled(
                    format!(" {label}  "),
                    theme.style(Item::Muted),
                ));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}
