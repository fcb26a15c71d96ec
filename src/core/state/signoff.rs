//! The sign-offs view: what the gate asked for, what was given, refused or
//! never came. The gate reads it to decide (`crate::gate`), the screens to
//! show who is still needed.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::actor::Actor;
use crate::core::event::{Envelope, Event};
use crate::core::signoff::{Signoff, SignoffDecision, SignoffNeed};
use crate::core::state::RunState;

/// A refused attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RefusedSignoff {
    /// When.
    pub ts: DateTime<Utc>,
    /// The role asked for.
    pub role: String,
    /// Who tried.
    pub actor: Actor,
    /// Why not.
    pub reason: String,
}

/// The run's sign-offs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignoffView {
    /// Who must (or may) sign.
    pub needed: Vec<SignoffNeed>,
    /// When the gate asked.
    pub requested_at: DateTime<Utc>,
    /// When it stops waiting.
    pub deadline: DateTime<Utc>,
    /// The score reached.
    pub score: f64,
    /// The decision's rule.
    pub rationale: String,
    /// Sign-offs given, in order.
    pub given: Vec<Signoff>,
    /// Attempts refused, in order.
    pub refused: Vec<RefusedSignoff>,
    /// Required roles nobody signed in time, once the wait ran out.
    pub timed_out: Option<Vec<String>>,
}

impl SignoffView {
    /// The sign-off given for a role, if any.
    pub fn given_for(&self, role: &str) -> Option<&Signoff> {
        self.given.iter().find(|s| s.role == role)
    }

    /// The first rejection, if any.
    pub fn rejection(&self) -> Option<&Signoff> {
        self.given
            .iter()
            .find(|s| s.decision == SignoffDecision::Reject)
    }

    /// Required roles nobody has signed yet.
    pub fn missing(&self) -> Vec<&SignoffNeed> {
        self.needed
            .iter()
            .filter(|n| n.required && self.given_for(&n.role).is_none())
            .collect()
    }

    /// Whether the run still waits: no rejection, not timed out, and a
    /// required role unsigned.
    pub fn awaiting(&self) -> bool {
        self.rejection().is_none() && self.timed_out.is_none() && !self.missing().is_empty()
    }

    /// Who is still needed, in words: `security (alice, 1001); release-manager (bob)`.
    pub fn needed_text(&self) -> String {
        self.missing()
            .iter()
            .map(|n| format!("{} ({})", n.role, n.who.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl RunState {
    /// The sign-offs the run waits for now, if it waits.
    pub fn awaiting_signoff(&self) -> Option<&SignoffView> {
        self.signoffs
            .as_ref()
            .filter(|v| v.awaiting() && self.finished_at.is_none())
    }
}

/// Fold sign-off events. A rerun asks again (a new request starts afresh).
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::SignoffRequested {
            needed,
            score,
            rationale,
            deadline,
            ..
        } => {
            s.signoffs = Some(SignoffView {
                needed: needed.clone(),
                requested_at: env.ts,
                deadline: *deadline,
                score: *score,
                rationale: rationale.clone(),
                given: Vec::new(),
                refused: Vec::new(),
                timed_out: None,
            });
        }
        Event::SignoffGiven(g) => match s.signoffs.as_mut() {
            Some(v) => {
                v.given.retain(|x| x.role != g.role);
                v.given.push(g.clone());
            }
            None => s.anomalies.push(format!(
                "event #{}: a sign-off before any was asked for; ignored",
                env.seq
            )),
        },
        Event::SignoffRefused {
            role,
            actor,
            reason,
        } => {
            if let Some(v) = s.signoffs.as_mut() {
                v.refused.push(RefusedSignoff {
                    ts: env.ts,
                    role: role.clone(),
                    actor: actor.clone(),
                    reason: reason.clone(),
                });
            }
        }
        Event::SignoffTimedOut { missing } => {
            if let Some(v) = s.signoffs.as_mut() {
                v.timed_out = Some(missing.clone());
            }
        }
        _ => {}
    }
}
