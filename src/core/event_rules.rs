//! Rules about events that are not their shape: which must survive a crash
//! (the journal fsyncs after them), and the constructor that puts an
//! operator's whole identity beside the name.

use crate::core::actor::Actor;
use crate::core::event::{ActionKind, Event};

impl Event {
    /// An `operator_action` by `who`, with the name as `actor` (the journal's
    /// field since version 1) and the whole identity beside it.
    pub fn operator_action(
        who: &Actor,
        action: ActionKind,
        target: Option<String>,
        reason: Option<String>,
    ) -> Event {
        Event::OperatorAction {
            actor: who.name.clone(),
            identity: Some(who.clone()),
            action,
            target,
            reason,
        }
    }

    /// Events that must survive a crash: the journal fsyncs after these.
    pub fn is_durable(&self) -> bool {
        matches!(
            self,
            Event::StageFinished { .. }
                | Event::FlagChanged { .. }
                | Event::FlagChangeFailed { .. }
                | Event::CanaryJudgement { .. }
                | Event::CanaryAutoRollback { .. }
                | Event::GateDecision(_)
                | Event::OperatorAction { .. }
                | Event::ApplyApprovalRequested { .. }
                | Event::ApplyApprovalResolved { .. }
                | Event::EnvDestroyed { .. }
                | Event::OrphanResolved { .. }
                | Event::RunRecovered(_)
                | Event::HistoryContext(_)
                | Event::ChangeImpact(_)
                | Event::OutcomeRecorded { .. }
                | Event::NotifyQueued { .. }
                | Event::NotifySent { .. }
                | Event::NotifyFailed { .. }
                | Event::PeerJoined { .. }
                | Event::PeerLeft { .. }
                | Event::RoleGranted { .. }
                | Event::SignoffRequested { .. }
                | Event::SignoffGiven(_)
                | Event::SignoffRefused { .. }
                | Event::SignoffTimedOut { .. }
                | Event::DrillFinished(_)
                | Event::RunFinished { .. }
        )
    }
}
