//! Commands from the operator (TUI keys, palette, CLI) to the run engine.
//! They go through one channel; the engine journals an `OperatorAction`
//! before acting. A command carries its actor: bare, it is the run's own
//! operator's (the local keys); wrapped in [`Command::By`], it is an
//! attached operator's, and the engine journals it with that identity.

use crate::core::actor::Actor;

/// Something the operator asks the engine to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Run one stage again, then decide again.
    RerunStage {
        /// Stage id.
        stage: String,
    },
    /// Stop the running load at once (the kill key); the load stage ends
    /// inconclusive with what was measured.
    StopLoad,
    /// Roll back the active canary at once: the flag goes to 0% / off through
    /// its provider and is read back to confirm.
    Rollback {
        /// Why (e.g. `operator key R`).
        reason: String,
    },
    /// Promote the canary to 100% (the UI confirms first). While an
    /// automatic rollback is held this overrides the judge, and is journalled
    /// so; while one counts down it is refused (hold it first).
    Promote,
    /// Answer the pending apply approval (`iac.apply = "confirm"`): the
    /// waiting IaC stage applies its saved plan, or ends without applying.
    AnswerApply {
        /// Approve (`true`) or decline.
        approve: bool,
        /// Why, if said.
        reason: Option<String>,
    },
    /// Hold the pending automatic rollback: the countdown stops, the canary
    /// keeps its share and steps wait, for at most `canary.max_hold`.
    Hold {
        /// Why (e.g. `operator key H`).
        reason: String,
    },
    /// Release a held automatic rollback: the countdown restarts from the full delay.
    Release {
        /// Why (e.g. `operator key H`).
        reason: String,
    },
    /// Destroy the ephemeral environment now (`:destroy`).
    DestroyEnvironment,
    /// Settle an earlier run that crashed with its flag moved (found at this
    /// run's start): roll its flag back, or leave it as it is.
    ResolveOrphan {
        /// The crashed run's id.
        run_id: String,
        /// Roll back (`true`) or leave.
        rollback: bool,
    },
    /// Abort the running drill (the Drills pane's `K`): its method stops,
    /// its rollbacks still run, and the stage's later drills are not run.
    AbortDrill {
        /// Why (e.g. `operator key K`).
        reason: String,
    },
    /// Stop the run now; it ends inconclusive.
    Abort {
        /// Why (e.g. `operator quit`, `SIGTERM`).
        reason: String,
    },
    /// Sign off (or reject) a role the gate waits for; the signer's
    /// identity is the command's actor.
    Signoff {
        /// The role.
        role: String,
        /// Approve or reject.
        decision: crate::core::signoff::SignoffDecision,
        /// Why.
        comment: String,
        /// SHA-256 (hex) of `report.json` as the signer saw it.
        report_sha256: String,
        /// The journal sequence the signer had seen.
        seen_seq: u64,
        /// `ssh-keygen -Y sign` output over the sign-off's text, if signed.
        signature: Option<String>,
    },
    /// Give an attached viewer the operator role (the owner's grant, after
    /// a confirmation); journalled as `role_granted`.
    Grant {
        /// The peer's connection number.
        peer: u64,
    },
    /// `command`, asked by `actor` rather than by the run's operator: an
    /// operator attached over the run's socket.
    By {
        /// Who asked (the socket peer's account, uid and SSH client).
        actor: Actor,
        /// What they asked.
        command: Box<Command>,
    },
}

impl Command {
    /// This command, asked by `actor`.
    pub fn by(self, actor: Actor) -> Command {
        Command::By {
            actor,
            command: Box::new(self),
        }
    }

    /// Who asked (`None`: the run's operator) and what.
    pub fn split(self) -> (Option<Actor>, Command) {
        match self {
            Command::By { actor, command } => (Some(actor), command.split().1),
            other => (None, other),
        }
    }
}
