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
