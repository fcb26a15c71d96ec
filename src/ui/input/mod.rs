//! Key handling in layers, as gitui's components do it: each layer handles
//! the keys it knows and says whether it consumed the key; the first layer
//! that consumes it ends the search.
//!
//! 1. An open question (quit, rollback, promote, apply: `overlay/`) reads
//!    the raw key and holds every key until it is answered or dismissed.
//! 2. An open prompt (`/` filter, `:` command: [`prompt`]) takes the key as
//!    text.
//! 3. Otherwise the live keymap names an action. An open view (help, a
//!    detail: `overlay/`) handles the actions it knows,
//! 4. the global keys ([`global`]: quit, help, rollback, hold) take theirs
//!    from everywhere,
//! 5. and the main view ([`main_view`]) gets the rest, but only when no
//!    overlay covers the panes.

pub mod global;
pub mod main_view;
pub mod prompt;

use crossterm::event::{KeyEvent, KeyEventKind};

use crate::ui::app::{App, Effect};
use crate::ui::keymap::{Key, Lookup};
use crate::ui::overlay;

/// Whether a layer handled a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyResult {
    /// The layer handled the key; these are the effects.
    Consumed(Vec<Effect>),
    /// The layer does not know the key: the next layer may.
    NotConsumed,
}

impl App {
    /// Handle one key press and say what the event loop must do.
    pub fn handle_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if !matches!(ev.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
            return Vec::new();
        }
        if let KeyResult::Consumed(effects) = overlay::question_key(self, ev) {
            return effects;
        }
        if let Some(p) = self.prompt {
            return prompt::handle(self, p, ev);
        }
        self.status = None;
        let action = match self.keymap.lookup(Key::from_event(&ev), self.limits()) {
            Lookup::Bound(action) => action,
            Lookup::Disabled(action) => {
                let why = self.disabled_message(action.name());
                self.error(why);
                return Vec::new();
            }
            Lookup::Unbound => return Vec::new(),
        };
        for layer in [overlay::view_key, global::handle] {
            if let KeyResult::Consumed(effects) = layer(self, action) {
                return effects;
            }
        }
        if self.overlay.is_some() {
            // An overlay covers the panes: their keys wait until it closes.
            return Vec::new();
        }
        main_view::handle(self, action)
    }
}

#[cfg(test)]
mod tests;
