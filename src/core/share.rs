//! Sharing a live run with other terminals, as journalled: who is attached
//! (identified by the socket peer's uid), in which role, and who granted
//! control. The socket server and the protocol live in `crate::share`.

use serde::{Deserialize, Serialize};

use crate::core::actor::Actor;

/// What an attached person may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees everything; changes nothing.
    #[default]
    Viewer,
    /// May roll back, promote, hold, approve an apply, sign off: through
    /// the same engine commands as the run's owner, journalled as them.
    Operator,
}

impl Role {
    /// The journal name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }
}

/// Why an operator role was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// Everyone attached is a viewer.
    Default,
    /// The peer's uid or account is listed in `share.operators`.
    Config,
    /// The peer runs as the run's own account (which could stop the run
    /// anyway).
    Owner,
    /// The run's owner granted it live.
    Granted,
}

/// One attached terminal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// Connection number within the run, from 1.
    pub id: u64,
    /// Who: the account of the socket peer's uid (`SO_PEERCRED`), and the
    /// SSH client its session reported.
    pub actor: Actor,
    /// The peer's process id, as the kernel reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// What it may do.
    pub role: Role,
    /// Why it has that role.
    pub because: RoleSource,
}
