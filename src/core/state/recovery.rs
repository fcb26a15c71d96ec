//! Crashes and their recovery, folded: the orphans a run found at its start
//! (and how each was settled), and, in a crashed run's own journal, how it
//! was recovered.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::event::{Envelope, Event};
use crate::core::recovery::{Orphan, OrphanResolution, Recovery};
use crate::core::state::RunState;

/// An orphan found at this run's start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrphanView {
    /// The crashed run and its flag.
    pub orphan: Orphan,
    /// When it was found.
    pub found_at: DateTime<Utc>,
    /// How it was settled, once it was.
    pub resolution: Option<OrphanResolution>,
    /// Who settled it.
    pub actor: Option<String>,
}

impl OrphanView {
    /// Still waits for a decision: not settled, or its rollback failed (it
    /// can be tried again).
    pub fn pending(&self) -> bool {
        matches!(
            self.resolution,
            None | Some(OrphanResolution::Failed { .. })
        )
    }
}

/// How this (crashed) run was recovered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecoveryView {
    /// When.
    pub at: DateTime<Utc>,
    /// What was done, by whom and why.
    #[serde(flatten)]
    pub recovery: Recovery,
}

impl RunState {
    /// The orphans found at this run's start that still wait for a decision.
    pub fn pending_orphans(&self) -> impl Iterator<Item = &OrphanView> {
        self.orphans.iter().filter(|o| o.pending())
    }
}

/// Fold `orphan_found`, `orphan_resolved` and `run_recovered`.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::OrphanFound { orphan } => {
            s.orphans.retain(|o| o.orphan.run_id != orphan.run_id);
            s.orphans.push(OrphanView {
                orphan: orphan.clone(),
                found_at: env.ts,
                resolution: None,
                actor: None,
            });
        }
        Event::OrphanResolved {
            run_id,
            actor,
            resolution,
        } => {
            if let Some(o) = s.orphans.iter_mut().find(|o| &o.orphan.run_id == run_id) {
                o.resolution = Some(resolution.clone());
                o.actor = Some(actor.clone());
            }
        }
        Event::RunRecovered(r) => {
            s.recovery = Some(RecoveryView {
                at: env.ts,
                recovery: r.clone(),
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::EVENT_VERSION;
    use crate::core::recovery::RecoveryAction;

    fn env(seq: u64, event: Event) -> Envelope {
        Envelope {
            v: EVENT_VERSION,
            seq,
            ts: DateTime::from_timestamp(1_700_000_000 + seq as i64, 0).unwrap_or_default(),
            event,
        }
    }

    fn orphan(run: &str) -> Orphan {
        Orphan {
            run_id: run.into(),
            flag: "checkout-v2".into(),
            provider: "file".into(),
            location: "flags.json".into(),
            share: Some(25.0),
            enabled: true,
            pre_run: Some(0.0),
            last_event_at: DateTime::from_timestamp(1_600_000_000, 0).unwrap_or_default(),
            state_dir: ".flightdeck".into(),
        }
    }

    fn resolved(seq: u64, run: &str, resolution: OrphanResolution) -> Envelope {
        env(
            seq,
            Event::OrphanResolved {
                run_id: run.into(),
                actor: "sam".into(),
                resolution,
            },
        )
    }

    #[test]
    fn orphans_wait_until_settled_and_a_failed_rollback_waits_again() {
        let mut s = RunState::default();
        s.apply(&env(
            1,
            Event::OrphanFound {
                orphan: orphan("a"),
            },
        ));
        s.apply(&env(
            2,
            Event::OrphanFound {
                orphan: orphan("b"),
            },
        ));
        assert_eq!(s.pending_orphans().count(), 2);
        s.apply(&resolved(
            3,
            "a",
            OrphanResolution::Failed {
                error: "HTTP 503".into(),
            },
        ));
        assert_eq!(
            s.pending_orphans().count(),
            2,
            "a failed rollback can be retried"
        );
        s.apply(&resolved(
            4,
            "a",
            OrphanResolution::Recovered {
                action: RecoveryAction::RolledBack,
            },
        ));
        s.apply(&resolved(5, "b", OrphanResolution::Left));
        assert_eq!(s.pending_orphans().count(), 0);
        assert_eq!(s.orphans[1].actor.as_deref(), Some("sam"));
    }

    #[test]
    fn a_recovered_run_says_who_recovered_it() {
        let r = Recovery {
            actor: "sam".into(),
            reason: "flightdeck recover".into(),
            flag: "checkout-v2".into(),
            provider: "file".into(),
            from: Some(25.0),
            to: Some(0.0),
            enabled: true,
            action: RecoveryAction::RolledBack,
            by_run: None,
        };
        let mut s = RunState::default();
        s.apply(&env(7, Event::RunRecovered(r.clone())));
        assert_eq!(s.recovery.as_ref().map(|v| &v.recovery), Some(&r));
        assert_eq!(
            r.line(),
            "recovered after a crash by sam: flag checkout-v2 rolled back (25% -> 0%; flightdeck recover)"
        );
        assert_eq!(
            crate::core::narrative::line(&Event::RunRecovered(r)).map(|l| l.text),
            Some(
                s.recovery
                    .as_ref()
                    .map(|v| v.recovery.line())
                    .unwrap_or_default()
            )
        );
    }
}
