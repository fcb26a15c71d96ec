//! What the operator asks of the run by key or palette: roll back, hold or
//! release, promote, stop the load, rerun a stage, destroy the environment,
//! quit. Each request checks what this session may do (read-only, replay,
//! an engine attached, the canary's state) and either says why not in the
//! status line or returns the command to send.

use crate::core::command::Command;
use crate::core::event::StageKind;
use crate::core::state::StageStatus;
use crate::core::state::canary::RollbackStatus;
use crate::ui::app::{App, Effect};
use crate::ui::keymap::Action;
use crate::ui::overlay::Overlay;

/// The reason sent with a rollback asked for by key.
pub const ROLLBACK_REASON: &str = "operator key R";
/// The reason sent with a hold or release asked for by key.
pub const HOLD_REASON: &str = "operator key H";

impl App {
    /// Quit, asking first while the run is in progress.
    pub(crate) fn request_quit(&mut self) -> Vec<Effect> {
        // Attached to someone else's run, quitting only detaches.
        if self.attached.is_some() {
            return vec![Effect::Quit];
        }
        if self.clock_running() {
            self.overlay = Some(Overlay::ConfirmQuit { yes_focused: false });
            Vec::new()
        } else {
            vec![Effect::Quit]
        }
    }

    /// Why an action that changes things is unavailable in this session.
    pub(crate) fn disabled_message(&self, action: &str) -> String {
        if self.replay {
            format!("replay: {action} is unavailable (viewing a finished journal, no engine)")
        } else if self.attached_viewer() {
            format!(
                "{}: {action} needs the operator role",
                crate::share::READ_ONLY
            )
        } else {
            format!(
                "{action} disabled: read-only run ({})",
                self.read_only_reason()
            )
        }
    }

    /// The live canary's flag, if a canary has started.
    pub(crate) fn canary_flag(&self) -> Option<String> {
        self.state.canary.as_ref().map(|c| c.flag.clone())
    }

    /// `R`: roll the canary back at once (the safe direction), or ask first
    /// when the run's config wants a confirmation. Acts on the live state,
    /// also while the view is frozen.
    pub(crate) fn rollback(&mut self) -> Vec<Effect> {
        if self.changes_disabled() {
            let why = self.disabled_message("rollback");
            self.error(why);
            return Vec::new();
        }
        let Some(flag) = self.canary_flag() else {
            self.info("no active canary to roll back");
            return Vec::new();
        };
        if !self.has_engine {
            self.error(format!("no engine attached: cannot roll back `{flag}`"));
            return Vec::new();
        }
        if self.rollback_confirm {
            self.overlay = Some(Overlay::ConfirmRollback { yes_focused: true });
            return Vec::new();
        }
        self.send_rollback()
    }

    pub(crate) fn send_rollback(&mut self) -> Vec<Effect> {
        let flag = self.canary_flag().unwrap_or_default();
        self.info(format!(
            "rollback of `{flag}` requested: waiting for the provider to confirm"
        ));
        vec![Effect::Send(Command::Rollback {
            reason: ROLLBACK_REASON.into(),
        })]
    }

    /// `P`: promote the live canary to 100%, after a confirmation (focus on No).
    pub(crate) fn promote(&mut self) {
        if self.changes_disabled() {
            let why = self.disabled_message("promote");
            self.error(why);
            return;
        }
        let Some(c) = self.state.canary.as_ref() else {
            self.info("no active canary to promote");
            return;
        };
        let flag = c.flag.clone();
        if c.rollback
            .as_ref()
            .is_some_and(|r| r.status == RollbackStatus::Pending)
        {
            self.error(format!(
                "a rollback of `{flag}` is pending: promote refused"
            ));
            return;
        }
        if !c.active() {
            self.error(format!(
                "canary `{flag}` is not live (rolled back or at 0%): nothing to promote"
            ));
            return;
        }
        if c.pending_auto().is_some_and(|a| a.counting()) {
            let hold = self.key_name(Action::Hold);
            self.error(format!(
                "the automatic rollback of `{flag}` is counting down: hold it first ({hold}) to override the judge"
            ));
            return;
        }
        if !self.has_engine {
            self.error(format!("no engine attached: cannot promote `{flag}`"));
            return;
        }
        self.overlay = Some(Overlay::ConfirmPromote { yes_focused: false });
    }

    /// The first key bound to an action, or its name when none is.
    fn key_name(&self, action: Action) -> String {
        self.keymap
            .keys_for(action, self.limits())
            .first()
            .map_or_else(|| action.name().to_string(), ToString::to_string)
    }

    /// `H`: hold a counting-down automatic rollback, or release a held one
    /// (the countdown restarts from the full delay). Otherwise there is
    /// nothing to hold, and the status line says so.
    pub(crate) fn hold(&mut self) -> Vec<Effect> {
        if self.changes_disabled() {
            let why = self.disabled_message("hold");
            self.error(why);
            return Vec::new();
        }
        let pending = self
            .state
            .canary
            .as_ref()
            .and_then(|c| c.pending_auto().map(|a| (c.flag.clone(), a.clone())));
        let Some((flag, a)) = pending.filter(|(_, a)| a.counting() || a.held()) else {
            self.info("nothing to hold: no automatic rollback is pending");
            return Vec::new();
        };
        if !self.has_engine {
            self.error(format!("no engine attached: cannot hold `{flag}`"));
            return Vec::new();
        }
        let reason = HOLD_REASON.to_string();
        if a.held() {
            self.info(format!(
                "releasing the hold on `{flag}`: the rollback countdown restarts"
            ));
            vec![Effect::Send(Command::Release { reason })]
        } else {
            let rollback = self.key_name(Action::Rollback);
            let hold = self.key_name(Action::Hold);
            self.info(format!(
                "holding the automatic rollback of `{flag}`: {rollback} rolls back, {hold} releases"
            ));
            vec![Effect::Send(Command::Hold { reason })]
        }
    }

    /// Stop the running load at once. Allowed in read-only runs: stopping
    /// load is the safe direction. Replay never gets here (the keymap
    /// disables the action there).
    pub(crate) fn kill_load(&mut self) -> Vec<Effect> {
        let running = self
            .state
            .stages
            .iter()
            .find(|s| s.plan.kind == StageKind::Load && s.status == StageStatus::Running)
            .map(|s| s.plan.id.clone());
        let Some(stage) = running else {
            self.info("no load is running");
            return Vec::new();
        };
        if !self.has_engine {
            self.error(format!("no engine attached: cannot stop load `{stage}`"));
            return Vec::new();
        }
        self.info(format!("stopping load `{stage}` now"));
        vec![Effect::Send(Command::StopLoad)]
    }

    /// `K` on the Drills pane: abort the running drill (its rollbacks
    /// still run).
    pub(crate) fn abort_drill(&mut self) -> Vec<Effect> {
        let Some(drill) = self
            .state
            .drills
            .iter()
            .find(|d| d.running())
            .map(|d| d.name.clone())
        else {
            self.info("no drill is running");
            return Vec::new();
        };
        if !self.has_engine {
            self.error(format!("no engine attached: cannot abort drill `{drill}`"));
            return Vec::new();
        }
        self.info(format!("aborting drill `{drill}`: its rollbacks run"));
        vec![Effect::Send(Command::AbortDrill {
            reason: "operator key K".into(),
        })]
    }

    /// `:destroy`: ask the engine to destroy the ephemeral environment now.
    pub(crate) fn destroy_environment(&mut self) -> Vec<Effect> {
        if self.changes_disabled() {
            let why = self.disabled_message("destroy");
            self.error(why);
            return Vec::new();
        }
        if !self.has_engine {
            self.error("no engine attached: cannot destroy the environment".to_string());
            return Vec::new();
        }
        if self.state.iac.is_empty() {
            self.error("no IaC environment in this run: nothing to destroy".to_string());
            return Vec::new();
        }
        self.info("destroy of the ephemeral environment requested".to_string());
        vec![Effect::Send(Command::DestroyEnvironment)]
    }

    /// Ask the engine to rerun a stage, if that is allowed and possible.
    pub(crate) fn rerun(&mut self, stage: &str) -> Vec<Effect> {
        if self.changes_disabled() {
            let why = self.disabled_message("rerun");
            self.error(why);
            return Vec::new();
        }
        if self.state.stage(stage).is_none() {
            let ids: Vec<&str> = self
                .state
                .stages
                .iter()
                .map(|s| s.plan.id.as_str())
                .collect();
            self.error(format!(
                "unknown stage `{stage}` (stages: {})",
                if ids.is_empty() {
                    "none yet".to_string()
                } else {
                    ids.join(", ")
                }
            ));
            return Vec::new();
        }
        if !self.has_engine {
            self.error(format!("no engine attached: cannot rerun `{stage}`"));
            return Vec::new();
        }
        self.info(format!("rerun of stage `{stage}` requested"));
        vec![Effect::Send(Command::RerunStage {
            stage: stage.to_string(),
        })]
    }
}

impl App {
    /// The grant key: ask to give an attached viewer the operator role.
    /// `from` is the dialog's current peer and the direction, when up or
    /// down picks another viewer.
    pub(crate) fn grant(&mut self, from: Option<(u64, bool)>) {
        if self.attached.is_some() {
            self.error("only the run's owner gives control, in its own terminal");
            return;
        }
        if self.replay || !self.has_engine {
            let why = self.disabled_message("grant");
            self.error(why);
            return;
        }
        let viewers: Vec<u64> = self
            .state
            .presence
            .iter()
            .filter(|p| p.role == crate::core::share::Role::Viewer)
            .map(|p| p.id)
            .collect();
        if viewers.is_empty() {
            self.overlay = None;
            self.info("nobody attached is a viewer (others attach with `flightdeck attach`)");
            return;
        }
        let peer = match from {
            None => viewers[0],
            Some((cur, down)) => {
                let i = viewers.iter().position(|v| *v == cur).unwrap_or(0);
                let n = viewers.len();
                viewers[if down { (i + 1) % n } else { (i + n - 1) % n }]
            }
        };
        self.overlay = Some(Overlay::ConfirmGrant {
            peer,
            yes_focused: false,
        });
    }
}
