//! The automatic rollback countdown. When the live guard trips or a step's
//! judgement fails, the stage announces the rollback and counts down
//! `canary.auto_rollback_delay`; an operator can hold it (`H`), which keeps
//! the canary at its share until they release it (the countdown restarts
//! from the full delay), roll back at once (`R`), or promote over it (`P`,
//! an override of the judge). A hold is bounded by `canary.max_hold`.
//!
//! A trigger latches: once fired it stays active for the step, so a release
//! always resumes the countdown.

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::canary::CanaryPlan;
use crate::canary::control::CanaryCtl;
use crate::core::event::{ActionKind, Actor, Event};
use crate::record::recorder::Recorder;

/// The rollback's actor when the live guard tripped.
pub const LIVE_GUARD: &str = "live guard";
/// The rollback's actor when a step's judgement failed.
pub const JUDGE: &str = "judge";

/// What the operator asked of a pending automatic rollback. The engine has
/// already journalled the `operator_action` (or the confirmed promote)
/// before it forwards one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldOp {
    /// Stop the countdown.
    Hold {
        /// Who holds it.
        actor: String,
    },
    /// Restart the countdown from the full delay.
    Release,
    /// The canary was promoted over the held rollback (provider confirmed).
    Promoted {
        /// Who promoted.
        actor: String,
    },
}

/// How a countdown ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutoEnd {
    /// Rolled back by the trigger: at zero, or when the hold ran out.
    RolledBack {
        /// Whether the provider confirmed it.
        confirmed: bool,
        /// The rollback's reason as journalled.
        reason: String,
    },
    /// An operator promoted over the held rollback.
    Promoted {
        /// Who.
        actor: String,
    },
    /// The stage was cancelled (an operator rolled back first, or the run was aborted).
    Stopped,
}

enum Phase {
    Counting(Instant),
    Held { until: Instant, by: String },
}

/// Announce the automatic rollback and count down; serve holds from `ops`
/// until the rollback happens, an operator acts first, or the stage is
/// cancelled. With a zero delay the rollback happens at once, unannounced.
#[allow(clippy::too_many_arguments)]
pub async fn countdown(
    plan: &CanaryPlan,
    ctl: &CanaryCtl,
    rec: &Recorder,
    stage: &str,
    trigger: &str,
    reason: &str,
    ops: &mut UnboundedReceiver<HoldOp>,
    cancel: &CancellationToken,
) -> AutoEnd {
    let delay = plan.auto_rollback_delay.get();
    if delay.is_zero() {
        let confirmed = ctl.rollback(rec, &Actor::automatic(trigger), reason).await;
        return AutoEnd::RolledBack {
            confirmed,
            reason: reason.to_string(),
        };
    }
    rec.emit(Event::CanaryAutoRollback {
        stage: stage.to_string(),
        flag: ctl.flag.clone(),
        trigger: trigger.to_string(),
        reason: reason.to_string(),
        delay_ms: millis(delay),
        max_hold_ms: millis(plan.max_hold.get()),
    });
    let mut phase = Phase::Counting(Instant::now() + delay);
    let mut ops_open = true;
    loop {
        let at = match &phase {
            Phase::Counting(at) | Phase::Held { until: at, .. } => *at,
        };
        tokio::select! {
            // An operator's word wins over a timer that ran out meanwhile.
            biased;
            _ = cancel.cancelled() => return AutoEnd::Stopped,
            op = ops.recv(), if ops_open => match (op, &phase) {
                (None, _) => ops_open = false,
                (Some(HoldOp::Hold { actor }), Phase::Counting(_)) => {
                    phase = Phase::Held {
                        until: Instant::now() + plan.max_hold.get(),
                        by: actor,
                    };
                }
                (Some(HoldOp::Release), Phase::Held { .. }) => {
                    phase = Phase::Counting(Instant::now() + delay);
                }
                (Some(HoldOp::Promoted { actor }), _) => return AutoEnd::Promoted { actor },
                // A hold while held, or a release while counting: nothing changes.
                (Some(_), _) => {}
            },
            _ = tokio::time::sleep_until(at) => {
                let reason = match &phase {
                    Phase::Counting(_) => reason.to_string(),
                    Phase::Held { by, .. } => {
                        rec.emit(Event::operator_action(
                            &Actor::automatic(trigger),
                            ActionKind::HoldExpired,
                            Some(ctl.flag.clone()),
                            Some(format!(
                                "held by {by} for canary.max_hold ({})",
                                plan.max_hold
                            )),
                        ));
                        format!("hold expired: {reason}")
                    }
                };
                let confirmed = ctl.rollback(rec, &Actor::automatic(trigger), &reason).await;
                return AutoEnd::RolledBack { confirmed, reason };
            }
        }
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
