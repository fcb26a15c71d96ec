//! `[share]`: who may attach to a live run and who may act through it.

use serde::{Deserialize, Serialize};

use crate::config::Problem;

/// An account, by name or by uid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Account {
    /// A numeric uid.
    Uid(u32),
    /// An account name.
    Name(String),
}

impl Account {
    /// Whether this names the account `name` with `uid`.
    pub fn matches(&self, uid: u32, name: Option<&str>) -> bool {
        match self {
            Account::Uid(u) => *u == uid,
            Account::Name(n) => name == Some(n.as_str()) || n.parse::<u32>().ok() == Some(uid),
        }
    }
}

impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Account::Uid(u) => write!(f, "uid {u}"),
            Account::Name(n) => f.write_str(n),
        }
    }
}

/// `[share]`: the run's socket (`<run dir>/attach.sock`) and its roles.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct ShareSection {
    /// Listen on the run's socket at all.
    pub enabled: bool,
    /// A group whose members may attach: the run directory becomes 0750
    /// and the socket 0660 for that group. Without it, 0700 and 0600: only
    /// the run's own account attaches.
    pub group: Option<String>,
    /// Accounts (names or uids) that attach as operators; everyone else
    /// attaches as a viewer until the owner grants control.
    pub operators: Vec<Account>,
    /// Most terminals attached at once.
    pub max_peers: usize,
}

impl Default for ShareSection {
    fn default() -> Self {
        ShareSection {
            enabled: true,
            group: None,
            operators: Vec::new(),
            max_peers: 32,
        }
    }
}

impl ShareSection {
    /// Every problem in `[share]`, keys from the top.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Some(g) = &self.group
            && crate::share::accounts::group_id(g).is_none()
        {
            out.push(Problem::at(
                "share.group",
                format!("no group `{g}` on this machine"),
                "name an existing group (getent group), or remove share.group",
            ));
        }
        for (i, a) in self.operators.iter().enumerate() {
            if let Account::Name(n) = a
                && n.trim().is_empty()
            {
                out.push(Problem::at(
                    format!("share.operators[{i}]"),
                    "is empty",
                    "write an account name or a uid",
                ));
            }
        }
        if !(1..=256).contains(&self.max_peers) {
            out.push(Problem::at(
                "share.max_peers",
                format!("{} is outside 1..=256", self.max_peers),
                "use e.g. 32",
            ));
        }
        out
    }
}
