//! The one-line prompts: `/` types a list pane's filter (Enter keeps it,
//! Esc clears it), `:` types a palette command (Enter runs it). A prompt
//! takes every key as text while it is open.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::ui::app::{App, Effect, Prompt};

/// Handle a raw key while a prompt is open.
pub(crate) fn handle(app: &mut App, prompt: Prompt, ev: KeyEvent) -> Vec<Effect> {
    let effects = edit(app, prompt, ev);
    if app.prompt.is_none() && app.overlay.is_none() {
        // A question that arrived while the operator typed asks now.
        app.sync_dialogs();
    }
    effects
}

fn edit(app: &mut App, prompt: Prompt, ev: KeyEvent) -> Vec<Effect> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    match (prompt, ev.code) {
        (Prompt::Filter(pane), KeyCode::Esc) => {
            if let Some(list) = app.list_mut(pane) {
                list.clear_filter();
            }
            app.prompt = None;
        }
        (Prompt::Command, KeyCode::Esc) => app.prompt = None,
        (_, KeyCode::Char('c')) if ctrl => app.prompt = None,
        (Prompt::Filter(_), KeyCode::Enter) => app.prompt = None,
        (Prompt::Command, KeyCode::Enter) => {
            app.prompt = None;
            let line = std::mem::take(&mut app.command_input);
            return app.run_command(&line);
        }
        (Prompt::Filter(pane), KeyCode::Backspace) => {
            if let Some(list) = app.list_mut(pane) {
                list.pop_filter();
            }
        }
        (Prompt::Command, KeyCode::Backspace) if app.command_input.is_empty() => {
            app.prompt = None;
        }
        (Prompt::Command, KeyCode::Backspace) => {
            app.command_input.pop();
        }
        (Prompt::Filter(pane), KeyCode::Char(c)) if !ctrl => {
            if let Some(list) = app.list_mut(pane) {
                list.push_filter(c);
            }
        }
        (Prompt::Command, KeyCode::Char(c)) if !ctrl => app.command_input.push(c),
        _ => {}
    }
    Vec::new()
}
