//! Keys of the reading views: the stage, finding and policy details, and
//! the IaC detail, which also scrolls. Back or select closes a view; every
//! other key falls through, so help, quit, rollback and hold work while the
//! operator reads.

use crate::ui::app::App;
use crate::ui::input::KeyResult;
use crate::ui::keymap::Action;
use crate::ui::overlay::Overlay;

/// Handle an action while a detail view is open.
pub(crate) fn handle(app: &mut App, action: Action) -> KeyResult {
    match (&app.overlay, action) {
        (Some(Overlay::IacDetail { stage, scroll }), Action::Up | Action::Down) => {
            let scroll = if action == Action::Up {
                scroll.saturating_sub(1)
            } else {
                scroll.saturating_add(1)
            };
            app.overlay = Some(Overlay::IacDetail {
                stage: stage.clone(),
                scroll,
            });
        }
        (Some(Overlay::IacDetail { .. }), Action::Back | Action::Select) => {
            app.overlay = None;
            // Back from reading the plan: the apply question is still open.
            app.sync_approval_dialog();
        }
        (
            Some(
                Overlay::StageDetail { .. }
                | Overlay::FindingDetail { .. }
                | Overlay::DrillDetail { .. }
                | Overlay::PolicyDetail { .. },
            ),
            Action::Back | Action::Select,
        ) => app.overlay = None,
        _ => return KeyResult::NotConsumed,
    }
    KeyResult::Consumed(Vec::new())
}
