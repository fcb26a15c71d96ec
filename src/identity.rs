//! Who runs this process: the operator's [`Actor`] from the command line,
//! the config, the environment and the account database, in that order
//! ([`Actor::resolve`] holds the order; this module only gathers what the
//! process knows). Also the account name of any uid, which an attached
//! operator identified by the socket peer's uid needs as well.

use crate::core::actor::{Actor, Claims};

/// The effective uid of this process.
#[cfg(unix)]
pub fn effective_uid() -> Option<u32> {
    Some(nix::unistd::geteuid().as_raw())
}

/// The effective uid of this process (none off Unix).
#[cfg(not(unix))]
pub fn effective_uid() -> Option<u32> {
    None
}

/// The account name of `uid` in the password database (files, LDAP, sssd:
/// whatever NSS serves), if it has one.
#[cfg(unix)]
pub fn account_name(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .filter(|n| !n.is_empty())
}

/// The account name of `uid` (none off Unix).
#[cfg(not(unix))]
pub fn account_name(_uid: u32) -> Option<String> {
    None
}

/// The operator of this process: `option` (`--operator`), then `config`
/// (`run.operator`), then `$USER`/`$LOGNAME`, then the effective uid's
/// account name, then `uid:N`; under SSH with the client from
/// `$SSH_CONNECTION`.
pub fn operator(option: Option<&str>, config: &str) -> Actor {
    let env = |k: &str| std::env::var(k).ok();
    let uid = effective_uid();
    Actor::resolve(&Claims {
        option: option.map(str::to_string),
        config: Some(config.to_string()),
        user: env("USER"),
        logname: env("LOGNAME"),
        uid,
        account: uid.and_then(account_name),
        ssh_connection: env("SSH_CONNECTION"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_named_by_the_account_database() {
        // Every Unix password database names uid 0.
        assert_eq!(account_name(0).as_deref(), Some("root"));
        assert!(effective_uid().is_some());
    }
}
