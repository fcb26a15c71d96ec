//! Windows drawn over the panes, each with its own key handler, as gitui's
//! components are: help, the reading views (stage, finding, policy and IaC
//! detail), the yes/no questions, the apply dialog and the orphan dialog.
//!
//! There are two kinds. A *view* (help, a detail) reads keymap actions,
//! handles those it knows and leaves the rest ([`KeyResult::NotConsumed`])
//! to the global keys (`input::global`), so quit, help, rollback and hold
//! work from every view without a copy in any of them. A *question* (quit,
//! rollback, promote, apply) reads raw keys (`y`, `n`, arrows) and holds
//! every key until it is answered or dismissed: `R` must not act behind a
//! question the operator is reading.

pub mod apply;
pub mod confirm;
pub mod detail;
pub mod dialog;
pub mod drill_detail;
pub mod finding_detail;
pub mod help;
pub mod iac_detail;
pub mod orphan;
pub mod signoff;
pub mod stage_detail;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ui::app::App;
use crate::ui::input::KeyResult;
use crate::ui::keymap::Action;

/// A window drawn over the panes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// Key bindings, generated from the live keymap.
    Help {
        /// First line shown.
        scroll: u16,
    },
    /// The evidence of one stage.
    StageDetail {
        /// Stage id.
        stage: String,
    },
    /// Everything known about one finding.
    FindingDetail {
        /// Stage that reported it.
        stage: String,
        /// Its fingerprint.
        fingerprint: String,
    },
    /// One drill's steps and objectives.
    DrillDetail {
        /// Stage id.
        stage: String,
        /// Drill name.
        drill: String,
    },
    /// One policy result with all its messages.
    PolicyDetail {
        /// Stage that evaluated it.
        stage: String,
        /// Policy name.
        policy: String,
        /// Rule (`deny`, `warn`, `*`).
        rule: String,
    },
    /// The IaC report of an environment stage: plan changes and parity diff.
    IacDetail {
        /// Stage id.
        stage: String,
        /// First line shown.
        scroll: u16,
    },
    /// "Run in progress: quit and abort it?"; focus starts on No.
    ConfirmQuit {
        /// Whether Yes has the focus.
        yes_focused: bool,
    },
    /// "Roll back FLAG to 0% now?", only when `rollback_confirm` is set;
    /// focus starts on Roll back (the safe direction).
    ConfirmRollback {
        /// Whether Roll back has the focus.
        yes_focused: bool,
    },
    /// "Promote FLAG to 100%?"; focus starts on No.
    ConfirmPromote {
        /// Whether Yes has the focus.
        yes_focused: bool,
    },
    /// "Give PEER the operator role?" (the owner's grant key); up and down
    /// pick another attached viewer; focus starts on No.
    ConfirmGrant {
        /// The peer's connection number.
        peer: u64,
        /// Whether Yes has the focus.
        yes_focused: bool,
    },
    /// The sign-off dialog: role, approve or reject, comment.
    Signoff {
        /// The role being signed.
        role: String,
        /// Reject (`true`) or approve.
        reject: bool,
        /// The comment typed so far.
        comment: String,
    },
    /// "Apply the saved plan?" (`iac.apply = "confirm"`): opens by itself
    /// when the IaC stage asks; focus starts on No.
    ConfirmApply {
        /// Whether Yes has the focus.
        yes_focused: bool,
    },
    /// "Run X crashed and left FLAG at 25%: roll it back?": opens by itself
    /// when a run starts and finds one (`canary.on_orphan = "ask"`); focus
    /// starts on Roll back (the safe direction).
    ConfirmOrphan {
        /// Whether Roll back has the focus.
        rollback_focused: bool,
    },
}

impl Overlay {
    /// Whether the overlay asks a question, and so holds every key.
    pub fn is_question(&self) -> bool {
        matches!(
            self,
            Overlay::ConfirmQuit { .. }
                | Overlay::ConfirmRollback { .. }
                | Overlay::ConfirmPromote { .. }
                | Overlay::ConfirmGrant { .. }
                | Overlay::Signoff { .. }
                | Overlay::ConfirmApply { .. }
                | Overlay::ConfirmOrphan { .. }
        )
    }
}

/// A raw key for the open question, if one is open: it consumes every key.
pub(crate) fn question_key(app: &mut App, ev: KeyEvent) -> KeyResult {
    match app.overlay {
        Some(Overlay::ConfirmApply { .. }) => apply::handle(app, ev),
        Some(Overlay::ConfirmOrphan { .. }) => orphan::handle(app, ev),
        Some(Overlay::Signoff { .. }) => signoff::handle(app, ev),
        Some(ref o) if o.is_question() => confirm::handle(app, ev),
        _ => KeyResult::NotConsumed,
    }
}

/// An action for the open view, if one is open; what it leaves falls
/// through to the global keys.
pub(crate) fn view_key(app: &mut App, action: Action) -> KeyResult {
    match app.overlay {
        Some(Overlay::Help { .. }) => help::handle(app, action),
        Some(
            Overlay::StageDetail { .. }
            | Overlay::FindingDetail { .. }
            | Overlay::PolicyDetail { .. }
            | Overlay::DrillDetail { .. }
            | Overlay::IacDetail { .. },
        ) => detail::handle(app, action),
        _ => KeyResult::NotConsumed,
    }
}

/// Draw the open overlay over the screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    match app.overlay() {
        Some(Overlay::Help { scroll }) => help::render(frame, area, app, *scroll),
        Some(Overlay::StageDetail { stage }) => stage_detail::render(frame, area, app, stage),
        Some(Overlay::DrillDetail { stage, drill }) => {
            drill_detail::render(frame, area, app, stage, drill)
        }
        Some(Overlay::FindingDetail { stage, fingerprint }) => {
            finding_detail::render_finding(frame, area, app, stage, fingerprint)
        }
        Some(Overlay::PolicyDetail {
            stage,
            policy,
            rule,
        }) => finding_detail::render_policy(frame, area, app, stage, policy, rule),
        Some(Overlay::IacDetail { stage, scroll }) => {
            iac_detail::render(frame, area, app, stage, *scroll)
        }
        Some(Overlay::ConfirmQuit { yes_focused }) => {
            dialog::render(frame, area, app, *yes_focused)
        }
        Some(Overlay::ConfirmRollback { yes_focused }) => {
            let flag = canary_flag(app);
            let c = dialog::rollback_dialog(&flag);
            dialog::render_confirm(frame, area, app, &c, *yes_focused)
        }
        Some(Overlay::Signoff {
            role,
            reject,
            comment,
        }) => signoff::render(frame, area, app, role, *reject, comment),
        Some(Overlay::ConfirmGrant { peer, yes_focused }) => {
            if let Some(p) = app.state().peer(*peer) {
                let c = dialog::grant_dialog(p);
                dialog::render_confirm(frame, area, app, &c, *yes_focused)
            }
        }
        Some(Overlay::ConfirmApply { yes_focused }) => {
            if let Some(a) = app.state().pending_approval() {
                dialog::render_apply(frame, area, app, a, *yes_focused)
            }
        }
        Some(Overlay::ConfirmOrphan { rollback_focused }) => {
            orphan::render(frame, area, app, *rollback_focused)
        }
        Some(Overlay::ConfirmPromote { yes_focused }) => {
            let flag = canary_flag(app);
            let held = app
                .state()
                .canary
                .as_ref()
                .and_then(|c| c.pending_auto())
                .is_some_and(|a| a.held());
            let c = if held {
                dialog::override_dialog(&flag)
            } else {
                dialog::promote_dialog(&flag)
            };
            dialog::render_confirm(frame, area, app, &c, *yes_focused)
        }
        None => {}
    }
}

/// The live canary's flag, for the dialogs (they act on the live state).
fn canary_flag(app: &App) -> String {
    app.state()
        .canary
        .as_ref()
        .map_or_else(|| "the canary".to_string(), |c| c.flag.clone())
}
