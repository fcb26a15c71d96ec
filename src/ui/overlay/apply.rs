//! The apply dialog (`iac.apply = "confirm"`): it opens by itself when a
//! stage asks to apply its saved plan, and holds every key while it asks.
//! `y` applies, `n` declines, Enter answers the focused button (No at
//! first), `d` reads the plan in the IaC detail, Esc hides the question
//! without answering (`:apply` brings it back). The dialog is also where
//! the answer is sent from, and where it is reopened.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::core::command::Command;
use crate::ui::app::{App, Effect};
use crate::ui::input::KeyResult;
use crate::ui::overlay::Overlay;

/// Handle a raw key while the apply dialog is open.
pub(crate) fn handle(app: &mut App, ev: KeyEvent) -> KeyResult {
    let Some(Overlay::ConfirmApply { yes_focused }) = app.overlay else {
        return KeyResult::NotConsumed;
    };
    KeyResult::Consumed(app.apply_key(ev, yes_focused))
}

impl App {
    /// Open the apply dialog when a stage asks for approval (unless the
    /// operator hid it, or is typing or answering another question); close
    /// it when the request ends without this dialog (timeout, rerun).
    pub(crate) fn sync_approval_dialog(&mut self) {
        let pending = self.state.pending_approval().map(|a| a.requested_at);
        match (pending, &self.overlay) {
            (None, Some(Overlay::ConfirmApply { .. })) => {
                self.overlay = None;
                if let Some(d) = self
                    .state
                    .approval
                    .as_ref()
                    .and_then(|a| a.decision.as_ref())
                {
                    self.info(format!("apply request ended: {}", d.text()));
                }
            }
            (
                Some(at),
                None
                | Some(
                    Overlay::Help { .. }
                    | Overlay::StageDetail { .. }
                    | Overlay::FindingDetail { .. }
                    | Overlay::PolicyDetail { .. },
                ),
            ) if self.approval_hidden != Some(at)
                && self.prompt.is_none()
                && self.has_engine
                && !self.changes_disabled() =>
            {
                self.overlay = Some(Overlay::ConfirmApply { yes_focused: false });
            }
            _ => {}
        }
    }

    /// What a raw key does to the apply question (see the module doc;
    /// ctrl-c hides the question, then asks to quit).
    fn apply_key(&mut self, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let approve = match ev.code {
            KeyCode::Char('y' | 'Y') => true,
            KeyCode::Char('n' | 'N') => false,
            KeyCode::Enter => yes_focused,
            KeyCode::Left | KeyCode::Right | KeyCode::Tab | KeyCode::BackTab => {
                self.overlay = Some(Overlay::ConfirmApply {
                    yes_focused: !yes_focused,
                });
                return Vec::new();
            }
            KeyCode::Char('d' | 'D') => {
                if let Some(a) = self.state.pending_approval() {
                    self.overlay = Some(Overlay::IacDetail {
                        stage: a.stage.clone(),
                        scroll: 0,
                    });
                }
                return Vec::new();
            }
            KeyCode::Esc => {
                self.hide_apply_dialog();
                return Vec::new();
            }
            KeyCode::Char('c') if ctrl => {
                self.hide_apply_dialog();
                return self.request_quit();
            }
            _ => return Vec::new(),
        };
        self.overlay = None;
        self.answer_apply(approve)
    }

    fn hide_apply_dialog(&mut self) {
        self.overlay = None;
        self.approval_hidden = self.state.pending_approval().map(|a| a.requested_at);
        self.info("apply question hidden; the stage still waits (:apply to answer)");
    }

    /// Send the answer to the pending apply approval, if one waits.
    fn answer_apply(&mut self, approve: bool) -> Vec<Effect> {
        if self.changes_disabled() {
            let why = self.disabled_message("apply approval");
            self.error(why);
            return Vec::new();
        }
        let Some(a) = self.state.pending_approval() else {
            self.info("no apply awaits approval");
            return Vec::new();
        };
        let stage = a.stage.clone();
        if !self.has_engine {
            self.error(format!("no engine attached: cannot answer `{stage}`"));
            return Vec::new();
        }
        if approve {
            self.info(format!(
                "apply of `{stage}` approved: applying the saved plan"
            ));
        } else {
            self.info(format!("apply of `{stage}` declined: nothing is applied"));
        }
        vec![Effect::Send(Command::AnswerApply {
            approve,
            reason: Some("operator dialog".into()),
        })]
    }

    /// `:apply`: bring back the apply question (hidden or not yet shown).
    pub(crate) fn reopen_apply_dialog(&mut self) {
        if self.changes_disabled() {
            let why = self.disabled_message("apply approval");
            self.error(why);
            return;
        }
        if self.state.pending_approval().is_none() {
            self.info("no apply awaits approval");
            return;
        }
        if !self.has_engine {
            self.error("no engine attached: cannot answer the apply question");
            return;
        }
        self.approval_hidden = None;
        self.overlay = Some(Overlay::ConfirmApply { yes_focused: false });
    }
}
