//! Accounts and groups of this machine, for the socket's access: a peer's
//! uid becomes a name, a group name a gid.

use crate::core::actor::{Actor, NameSource, Via};

/// The gid of a group, if it exists.
pub fn group_id(name: &str) -> Option<u32> {
    nix::unistd::Group::from_name(name)
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw())
}

/// The identity of a socket peer: its uid (from the kernel, `SO_PEERCRED`)
/// named by the account database, and the SSH client its session reported
/// (`SSH_CONNECTION` of the attaching process; only the uid is vouched for
/// by the kernel).
pub fn peer_actor(uid: u32, ssh_connection: Option<&str>) -> Actor {
    let account = crate::identity::account_name(uid);
    Actor {
        named_by: Some(if account.is_some() {
            NameSource::Account
        } else {
            NameSource::Uid
        }),
        name: account.unwrap_or_else(|| format!("uid:{uid}")),
        uid: Some(uid),
        via: ssh_connection
            .and_then(Via::from_ssh_connection)
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_named_and_its_group_exists() {
        let a = peer_actor(0, Some("203.0.113.9 52311 10.0.0.1 22"));
        assert_eq!(a.name, "root");
        assert_eq!(a.described(), "root (ssh from 203.0.113.9)");
        assert_eq!(group_id("root"), Some(0));
        assert_eq!(group_id("no-such-group-flightdeck"), None);
    }
}
