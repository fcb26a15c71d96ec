//! The canary as the run has seen it: flag, steps, judgements, the live
//! guard and the last rollback, folded from canary and flag events.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::canary::{GuardStatus, StepJudgement};
use crate::core::event::{ActionKind, Envelope, Event, FlagChangeKind};
use crate::core::state::RunState;

/// One judged step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JudgedStep {
    /// Step index.
    pub index: usize,
    /// Canary share, percent.
    pub percent: f64,
    /// The judgement.
    pub judgement: StepJudgement,
}

/// Where a rollback stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackStatus {
    /// Asked for, not yet confirmed by the provider.
    Pending,
    /// The provider confirmed the flag at 0% / off.
    Confirmed,
    /// The provider failed; the key can be pressed again.
    Failed(String),
}

/// The last rollback.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RollbackView {
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// Status.
    pub status: RollbackStatus,
    /// Time from request to confirmed state, ms.
    pub elapsed_ms: Option<f64>,
}

/// Where a pending automatic rollback stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AutoStatus {
    /// Counting down: the rollback happens at `deadline`.
    Counting {
        /// When the countdown ends.
        deadline: DateTime<Utc>,
    },
    /// Held by an operator: the canary stays at its share, steps wait.
    Held {
        /// Who holds it.
        by: String,
        /// Since when.
        since: DateTime<Utc>,
        /// When the hold runs out and the rollback happens (`canary.max_hold`).
        expires_at: DateTime<Utc>,
    },
    /// The hold ran out; the rollback follows.
    Expired {
        /// Who had held it.
        by: String,
    },
    /// The canary was rolled back (at zero, or by an operator first).
    RolledBack {
        /// Who rolled it back (the trigger, or an operator).
        by: String,
    },
    /// An operator promoted the canary over the held rollback: the judge
    /// was overridden.
    Overridden {
        /// Who promoted.
        by: String,
    },
}

/// `trigger: reason`, or the reason alone when it already names the trigger
/// (`live guard at step 2 (25%): ...`).
pub fn cause(trigger: &str, reason: &str) -> String {
    if reason.starts_with(trigger) {
        reason.to_string()
    } else {
        format!("{trigger}: {reason}")
    }
}

/// An automatic rollback announced by the canary stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AutoRollbackView {
    /// What fired: `live guard` or `judge`.
    pub trigger: String,
    /// Why.
    pub reason: String,
    /// The countdown, ms.
    pub delay_ms: u64,
    /// The longest hold, ms.
    pub max_hold_ms: u64,
    /// When it was announced.
    pub announced_at: DateTime<Utc>,
    /// Operators who held it, in order (a hold may be released and taken again).
    pub held_by: Vec<String>,
    /// Where it stands.
    pub status: AutoStatus,
}

impl AutoRollbackView {
    /// Still waiting to roll back: counting down, held, or just expired.
    pub fn pending(&self) -> bool {
        matches!(
            self.status,
            AutoStatus::Counting { .. } | AutoStatus::Held { .. } | AutoStatus::Expired { .. }
        )
    }

    /// Counting down (H holds it).
    pub fn counting(&self) -> bool {
        matches!(self.status, AutoStatus::Counting { .. })
    }

    /// Held by an operator (H releases it).
    pub fn held(&self) -> bool {
        matches!(self.status, AutoStatus::Held { .. })
    }

    /// What fired and why, naming the trigger once.
    pub fn cause(&self) -> String {
        cause(&self.trigger, &self.reason)
    }

    /// The override, in words, when an operator promoted over the held rollback.
    pub fn override_note(&self) -> Option<String> {
        match &self.status {
            AutoStatus::Overridden { by } => Some(format!(
                "promoted by {by} over a held automatic rollback ({})",
                self.cause()
            )),
            _ => None,
        }
    }
}

/// The canary rollout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CanaryView {
    /// Stage id.
    pub stage: String,
    /// Flag key.
    pub flag: String,
    /// Provider name.
    pub provider: String,
    /// Planned percentages.
    pub steps: Vec<f64>,
    /// Hold per step, seconds.
    pub hold_s: u64,
    /// Current step index.
    pub step: Option<usize>,
    /// Canary share now (as last confirmed by the provider), percent.
    pub percent: Option<f64>,
    /// Whether the flag is on.
    pub enabled: bool,
    /// Judged steps, in order.
    pub judged: Vec<JudgedStep>,
    /// The live guard after the latest window.
    pub guard: Option<GuardStatus>,
    /// The last rollback, if any.
    pub rollback: Option<RollbackView>,
    /// The automatic rollback announced by a trigger, if any.
    pub auto: Option<AutoRollbackView>,
}

impl CanaryView {
    /// A new view from `canary_started`.
    pub fn new(
        stage: &str,
        flag: &str,
        provider: &str,
        steps: &[f64],
        hold_s: u64,
        state: &crate::core::flags::FlagState,
    ) -> CanaryView {
        CanaryView {
            stage: stage.to_string(),
            flag: flag.to_string(),
            provider: provider.to_string(),
            steps: steps.to_vec(),
            hold_s,
            step: None,
            percent: state.rollout_percent,
            enabled: state.enabled,
            judged: Vec::new(),
            guard: None,
            rollback: None,
            auto: None,
        }
    }

    /// The automatic rollback while it is still pending.
    pub fn pending_auto(&self) -> Option<&AutoRollbackView> {
        self.auto.as_ref().filter(|a| a.pending())
    }

    /// Whether the canary is live: it has traffic and was not rolled back.
    pub fn active(&self) -> bool {
        self.enabled && self.percent.is_some_and(|p| p > 0.0)
    }
}

fn ms(n: u64) -> chrono::Duration {
    chrono::Duration::milliseconds(i64::try_from(n).unwrap_or(i64::MAX / 1_000_000))
}

/// What an operator action means for a pending automatic rollback: `hold`
/// stops the countdown, `release` restarts it from the full delay,
/// `hold_expired` ends the hold, `rollback` settles it.
fn auto_action(c: &mut CanaryView, ts: DateTime<Utc>, actor: &str, action: ActionKind) {
    let Some(a) = c.auto.as_mut().filter(|a| a.pending()) else {
        return;
    };
    let next = match (action, &a.status) {
        (ActionKind::Hold, AutoStatus::Counting { .. }) => {
            a.held_by.push(actor.to_string());
            AutoStatus::Held {
                by: actor.to_string(),
                since: ts,
                expires_at: ts + ms(a.max_hold_ms),
            }
        }
        (ActionKind::Release, AutoStatus::Held { .. }) => AutoStatus::Counting {
            deadline: ts + ms(a.delay_ms),
        },
        (ActionKind::HoldExpired, AutoStatus::Held { by, .. }) => {
            AutoStatus::Expired { by: by.clone() }
        }
        (ActionKind::Rollback, _) => AutoStatus::RolledBack {
            by: actor.to_string(),
        },
        _ => return,
    };
    a.status = next;
}

/// Fold the canary's rollout, guard, judgements, automatic rollback, flag
/// changes and the operator actions that act on it.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    let ts = env.ts;
    match &env.event {
        Event::CanaryStarted {
            stage,
            flag,
            provider,
            steps,
            hold_s,
            state,
        } => {
            s.canary = Some(CanaryView::new(
                stage, flag, provider, steps, *hold_s, state,
            ));
        }
        Event::CanaryStep { index, .. } => {
            if let Some(c) = s.canary.as_mut() {
                c.step = Some(*index);
                c.guard = None;
            }
        }
        Event::CanaryGuard { status, .. } => {
            if let Some(c) = s.canary.as_mut() {
                c.guard = Some(status.clone());
            }
        }
        Event::CanaryJudgement {
            index,
            percent,
            judgement,
            ..
        } => {
            if let Some(c) = s.canary.as_mut() {
                c.judged.push(JudgedStep {
                    index: *index,
                    percent: *percent,
                    judgement: (**judgement).clone(),
                });
            }
        }
        Event::CanaryAutoRollback {
            flag,
            trigger,
            reason,
            delay_ms,
            max_hold_ms,
            ..
        } => {
            if let Some(c) = s.canary.as_mut().filter(|c| &c.flag == flag) {
                c.auto = Some(AutoRollbackView {
                    trigger: trigger.clone(),
                    reason: reason.clone(),
                    delay_ms: *delay_ms,
                    max_hold_ms: *max_hold_ms,
                    announced_at: ts,
                    held_by: Vec::new(),
                    status: AutoStatus::Counting {
                        deadline: ts + ms(*delay_ms),
                    },
                });
            }
        }
        Event::FlagChanged {
            change,
            flag,
            to,
            enabled,
            actor,
            reason,
            elapsed_ms,
            ..
        } => {
            let kind = change.unwrap_or_else(|| FlagChangeKind::of_legacy_reason(reason));
            if let Some(c) = s.canary.as_mut().filter(|c| &c.flag == flag) {
                c.percent = *to;
                c.enabled = *enabled;
                // Promoted while the automatic rollback was held: the
                // operator overrode the judge.
                if let Some(a) = c.auto.as_mut().filter(|a| a.held())
                    && kind == FlagChangeKind::Promote
                {
                    a.status = AutoStatus::Overridden { by: actor.clone() };
                }
                // A retry may succeed after a failed attempt: confirm from Failed too.
                if let Some(rb) = c
                    .rollback
                    .as_mut()
                    .filter(|r| r.status != RollbackStatus::Confirmed)
                    && kind == FlagChangeKind::Rollback
                {
                    rb.status = RollbackStatus::Confirmed;
                    rb.elapsed_ms = Some(*elapsed_ms);
                }
            }
        }
        Event::FlagChangeFailed {
            flag,
            action,
            error,
            ..
        } => {
            if let Some(rb) = s
                .canary
                .as_mut()
                .filter(|c| &c.flag == flag && *action == FlagChangeKind::Rollback)
                .and_then(|c| c.rollback.as_mut())
            {
                rb.status = RollbackStatus::Failed(error.clone());
            }
        }
        Event::OperatorAction {
            actor,
            action,
            reason,
            ..
        } => {
            if let Some(c) = s.canary.as_mut() {
                auto_action(c, ts, actor, *action);
                if *action == ActionKind::Rollback {
                    c.rollback = Some(RollbackView {
                        actor: actor.clone(),
                        reason: reason.clone().unwrap_or_default(),
                        requested_at: ts,
                        status: RollbackStatus::Pending,
                        elapsed_ms: None,
                    });
                }
            }
        }
        _ => {}
    }
}
