//! Key handling: what each key does in each mode (confirmation, prompt,
//! overlay, normal), turned into view changes and [`Effect`]s.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::core::command::Command;
use crate::core::event::StageKind;
use crate::core::state::StageStatus;
use crate::core::state::canary::RollbackStatus;
use crate::ui::app::{App, Effect, Overlay, Pane, Prompt};
use crate::ui::keymap::{Action, Key, Lookup};

/// The reason sent with a rollback asked for by key.
pub const ROLLBACK_REASON: &str = "operator key R";
/// The reason sent with a hold or release asked for by key.
pub const HOLD_REASON: &str = "operator key H";

impl App {
    /// Handle one key press and say what the event loop must do.
    pub fn handle_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if !matches!(ev.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
            return Vec::new();
        }
        match self.overlay {
            Some(Overlay::ConfirmQuit { yes_focused }) => {
                return self.confirm_quit_key(ev, yes_focused);
            }
            Some(Overlay::ConfirmRollback { yes_focused }) => {
                return self.confirm_rollback_key(ev, yes_focused);
            }
            Some(Overlay::ConfirmPromote { yes_focused }) => {
                return self.confirm_promote_key(ev, yes_focused);
            }
            Some(Overlay::ConfirmApply { yes_focused }) => {
                return self.confirm_apply_key(ev, yes_focused);
            }
            _ => {}
        }
        if let Some(prompt) = self.prompt {
            let effects = self.prompt_key(prompt, ev);
            if self.prompt.is_none() && self.overlay.is_none() {
                self.sync_approval_dialog();
            }
            return effects;
        }
        self.status = None;
        match self.keymap.lookup(Key::from_event(&ev), self.limits()) {
            Lookup::Bound(action) => self.act(action),
            Lookup::Disabled(action) => {
                let why = self.disabled_message(action.name());
                self.error(why);
                Vec::new()
            }
            Lookup::Unbound => Vec::new(),
        }
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        match self.overlay {
            Some(Overlay::Help { scroll }) => {
                match action {
                    Action::Quit => return self.request_quit(),
                    Action::Rollback => {
                        self.overlay = None;
                        return self.rollback();
                    }
                    Action::Hold => {
                        self.overlay = None;
                        return self.hold();
                    }
                    Action::Up => {
                        self.overlay = Some(Overlay::Help {
                            scroll: scroll.saturating_sub(1),
                        })
                    }
                    Action::Down => self.overlay = Some(Overlay::Help { scroll: scroll + 1 }),
                    Action::Help | Action::Back | Action::Select => self.overlay = None,
                    _ => {}
                }
                return Vec::new();
            }
            Some(Overlay::IacDetail { ref stage, scroll }) => {
                match action {
                    Action::Quit => return self.request_quit(),
                    Action::Rollback => {
                        self.overlay = None;
                        return self.rollback();
                    }
                    Action::Hold => {
                        self.overlay = None;
                        return self.hold();
                    }
                    Action::Up | Action::Down => {
                        let scroll = if action == Action::Up {
                            scroll.saturating_sub(1)
                        } else {
                            scroll.saturating_add(1)
                        };
                        self.overlay = Some(Overlay::IacDetail {
                            stage: stage.clone(),
                            scroll,
                        });
                    }
                    Action::Help => self.open_help(),
                    Action::Back | Action::Select => {
                        self.overlay = None;
                        // Back from reading the plan: the question is still open.
                        self.sync_approval_dialog();
                    }
                    _ => {}
                }
                return Vec::new();
            }
            Some(
                Overlay::StageDetail { .. }
                | Overlay::FindingDetail { .. }
                | Overlay::PolicyDetail { .. },
            ) => {
                match action {
                    Action::Quit => return self.request_quit(),
                    Action::Rollback => {
                        self.overlay = None;
                        return self.rollback();
                    }
                    Action::Hold => {
                        self.overlay = None;
                        return self.hold();
                    }
                    Action::Help => self.open_help(),
                    Action::Back | Action::Select => self.overlay = None,
                    _ => {}
                }
                return Vec::new();
            }
            _ => {}
        }
        match action {
            Action::Quit => return self.request_quit(),
            Action::Help => self.open_help(),
            Action::FocusNext => self.focus = self.focus.offset(1),
            Action::FocusPrev => self.focus = self.focus.offset(-1),
            Action::Pane1 => self.focus = Pane::Stages,
            Action::Pane2 => self.focus = Pane::Environment,
            Action::Pane3 => self.focus = Pane::Load,
            Action::Pane4 => self.focus = Pane::Canary,
            Action::Pane5 => self.focus = Pane::Findings,
            Action::Pane6 => self.focus = Pane::Log,
            Action::Zoom => self.zoomed = !self.zoomed,
            Action::Freeze => {
                if self.frozen.take().is_some() {
                    self.info("view is live again");
                } else {
                    self.frozen = Some(self.state.clone());
                    self.info("view frozen; events keep arriving (press freeze again to resume)");
                }
            }
            Action::Filter => {
                if self.focus.is_list() {
                    self.prompt = Some(Prompt::Filter(self.focus));
                } else {
                    self.error(
                        "filter works in the Stages, Environment and Findings panes (1, 2 or 5)",
                    );
                }
            }
            Action::Command => {
                self.command_input.clear();
                self.prompt = Some(Prompt::Command);
            }
            Action::Rollback => return self.rollback(),
            Action::Promote => self.promote(),
            Action::Hold => return self.hold(),
            Action::Rerun => match (self.focus, self.selected_stage_id()) {
                (Pane::Stages, Some(id)) => return self.rerun(&id),
                _ => self.error("focus the Stages pane and select a stage to rerun"),
            },
            Action::KillLoad => return self.kill_load(),
            Action::Sort => {
                if self.focus == Pane::Findings {
                    self.finding_sort = self.finding_sort.next();
                    self.finding_sel = 0;
                    self.info(format!("findings sorted by {}", self.finding_sort.name()));
                } else {
                    self.error("sort works in the Findings pane (5)");
                }
            }
            Action::WindowWider | Action::WindowNarrower => {
                self.step_chart_span(action == Action::WindowWider);
                self.info(format!("load chart shows {} s", self.chart_span));
            }
            Action::Back => {
                let focus = self.focus;
                match self.filter_mut(focus) {
                    Some(f) if !f.is_empty() => f.clear(),
                    _ => self.zoomed = false,
                }
            }
            Action::Up => self.move_selection(false),
            Action::Down => self.move_selection(true),
            Action::Select => match self.focus {
                Pane::Stages => {
                    if let Some(stage) = self.selected_stage_id() {
                        self.overlay = Some(Overlay::StageDetail { stage });
                    }
                }
                Pane::Findings => self.overlay = self.selected_finding_overlay(),
                Pane::Environment => {
                    let stage = self
                        .iac_report()
                        .map(|(s, _)| s.to_string())
                        .or_else(|| self.view().approval.as_ref().map(|a| a.stage.clone()));
                    if let Some(stage) = stage {
                        self.overlay = Some(Overlay::IacDetail { stage, scroll: 0 });
                    }
                }
                _ => {}
            },
        }
        Vec::new()
    }

    /// Quit, asking first while the run is in progress.
    pub(crate) fn request_quit(&mut self) -> Vec<Effect> {
        if self.clock_running() {
            self.overlay = Some(Overlay::ConfirmQuit { yes_focused: false });
            Vec::new()
        } else {
            vec![Effect::Quit]
        }
    }

    /// The answer a key gives to a yes/no dialog: `Some(yes)` closes it;
    /// arrows and tab move the focus (through `refocus`); other keys do nothing.
    fn confirm_answer(
        &mut self,
        ev: KeyEvent,
        yes_focused: bool,
        refocus: fn(bool) -> Overlay,
    ) -> Option<bool> {
        let yes = match ev.code {
            KeyCode::Char('y' | 'Y') => true,
            KeyCode::Char('n' | 'N') | KeyCode::Esc => false,
            KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => false,
            KeyCode::Enter => yes_focused,
            KeyCode::Left | KeyCode::Right | KeyCode::Tab | KeyCode::BackTab => {
                self.overlay = Some(refocus(!yes_focused));
                return None;
            }
            _ => return None,
        };
        self.overlay = None;
        Some(yes)
    }

    fn confirm_quit_key(&mut self, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
        let Some(yes) = self.confirm_answer(ev, yes_focused, |yes_focused| Overlay::ConfirmQuit {
            yes_focused,
        }) else {
            return Vec::new();
        };
        if !yes {
            self.info("quit cancelled; the run goes on");
            return Vec::new();
        }
        let mut effects = Vec::new();
        if self.state.in_progress() && self.has_engine {
            effects.push(Effect::Send(Command::Abort {
                reason: "operator quit".into(),
            }));
        }
        effects.push(Effect::Quit);
        effects
    }

    fn prompt_key(&mut self, prompt: Prompt, ev: KeyEvent) -> Vec<Effect> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match (prompt, ev.code) {
            (Prompt::Filter(pane), KeyCode::Esc) => {
                if let Some(f) = self.filter_mut(pane) {
                    f.clear();
                }
                self.prompt = None;
            }
            (Prompt::Command, KeyCode::Esc) => self.prompt = None,
            (_, KeyCode::Char('c')) if ctrl => self.prompt = None,
            (Prompt::Filter(_), KeyCode::Enter) => self.prompt = None,
            (Prompt::Command, KeyCode::Enter) => {
                self.prompt = None;
                let line = std::mem::take(&mut self.command_input);
                return self.run_command(&line);
            }
            (Prompt::Filter(pane), KeyCode::Backspace) => {
                if let Some(f) = self.filter_mut(pane) {
                    f.pop();
                }
            }
            (Prompt::Command, KeyCode::Backspace) if self.command_input.is_empty() => {
                self.prompt = None;
            }
            (Prompt::Command, KeyCode::Backspace) => {
                self.command_input.pop();
            }
            (Prompt::Filter(pane), KeyCode::Char(c)) if !ctrl => {
                if let Some(f) = self.filter_mut(pane) {
                    f.push(c);
                }
            }
            (Prompt::Command, KeyCode::Char(c)) if !ctrl => self.command_input.push(c),
            _ => {}
        }
        Vec::new()
    }

    fn confirm_rollback_key(&mut self, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
        match self.confirm_answer(ev, yes_focused, |yes_focused| Overlay::ConfirmRollback {
            yes_focused,
        }) {
            Some(true) => self.send_rollback(),
            Some(false) => {
                self.info("rollback cancelled; the canary keeps its traffic");
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn confirm_promote_key(&mut self, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
        match self.confirm_answer(ev, yes_focused, |yes_focused| Overlay::ConfirmPromote {
            yes_focused,
        }) {
            Some(true) => {
                let flag = self.canary_flag().unwrap_or_default();
                self.info(format!("promote of `{flag}` to 100% requested"));
                vec![Effect::Send(Command::Promote)]
            }
            Some(false) => {
                self.info("promote cancelled");
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// The apply dialog: `y` applies the saved plan, `n` declines, Enter
    /// answers the focused button (No at first), `d` shows the plan, Esc
    /// hides the question without answering (`:apply` brings it back).
    fn confirm_apply_key(&mut self, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
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

    /// Why an action that changes things is unavailable in this session.
    pub(crate) fn disabled_message(&self, action: &str) -> String {
        if self.replay {
            format!("replay: {action} is unavailable (viewing a finished journal, no engine)")
        } else {
            format!(
                "{action} disabled: read-only run ({})",
                self.read_only_reason()
            )
        }
    }

    /// The live canary's flag, if a canary has started.
    fn canary_flag(&self) -> Option<String> {
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

    fn send_rollback(&mut self) -> Vec<Effect> {
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
    fn kill_load(&mut self) -> Vec<Effect> {
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

    /// Ask the engine to rerun a stage, if that is allowed and possible.
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
