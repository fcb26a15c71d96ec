//! The global keys: quit, help, rollback and hold. They work from the main
//! view and from every view overlay (help, details), which leave them
//! unconsumed instead of copying them; only an open question or prompt
//! keeps them out.

use crate::ui::app::App;
use crate::ui::input::KeyResult;
use crate::ui::keymap::Action;

/// Handle a global action; any other falls through to the main view.
pub(crate) fn handle(app: &mut App, action: Action) -> KeyResult {
    let effects = match action {
        Action::Quit => app.request_quit(),
        Action::Help => {
            app.open_help();
            Vec::new()
        }
        // Acting on the canary leaves whatever view was being read, so the
        // operator sees the rollback or the hold take effect.
        Action::Rollback => {
            app.overlay = None;
            app.rollback()
        }
        Action::Hold => {
            app.overlay = None;
            app.hold()
        }
        _ => return KeyResult::NotConsumed,
    };
    KeyResult::Consumed(effects)
}
