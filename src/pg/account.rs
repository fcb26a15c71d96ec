//! The account PostgreSQL's tools run as. The server refuses to run as
//! root, so when this process is root every server tool (and every tool
//! that writes into a cluster's directories) runs as `postgres` through
//! `runuser -u postgres --`, in directories that account owns. As any
//! other user the tools run as that user, who must own the directories.

use std::path::Path;

use super::PgError;

/// Who the tools run as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// `Some((uid, gid))` of `postgres` when this process is root.
    postgres: Option<(u32, u32)>,
}

impl Account {
    /// The account for this process: `postgres` when root, else ourselves.
    pub fn detect() -> Result<Account, PgError> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(Account { postgres: None });
        }
        match nix::unistd::User::from_name("postgres") {
            Ok(Some(u)) => Ok(Account {
                postgres: Some((u.uid.as_raw(), u.gid.as_raw())),
            }),
            _ => Err(PgError::Failed(
                "running as root, PostgreSQL needs the `postgres` account (it refuses root): install the postgresql package, which creates it, or run as an ordinary user".into(),
            )),
        }
    }

    /// Whether tools go through `runuser -u postgres`.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// A command running `program` as the account: `runuser -u postgres --
    /// program` as root. `runuser` forks and waits, so its child stays in
    /// the group the caller gives the command (see [`super::tool`]).
    pub fn command(&self, program: &Path) -> tokio::process::Command {
        if self.postgres.is_some() {
            let mut c = tokio::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            tokio::process::Command::new(program)
        }
    }

    /// Give a directory this process made to the account (as root:
    /// `postgres`, mode 0700 as PostgreSQL wants its directories).
    pub fn own(&self, dir: &Path) -> Result<(), PgError> {
        use std::os::unix::fs::PermissionsExt;
        if let Some((uid, gid)) = self.postgres {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| {
                PgError::Failed(format!(
                    "give {} to the postgres account: {e}",
                    dir.display()
                ))
            })?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| PgError::Failed(format!("chmod 0700 {}: {e}", dir.display())))
    }

    /// Whether the account may write into `dir` (as root, checked as
    /// `postgres` with `test -w`, since root may write anywhere).
    pub async fn can_write(&self, dir: &Path) -> bool {
        if self.postgres.is_none() {
            let probe = dir.join(format!(".flightdeck-write-{}", std::process::id()));
            let ok = std::fs::write(&probe, b"").is_ok();
            let _ = std::fs::remove_file(&probe);
            return ok;
        }
        let mut c = self.command(Path::new("test"));
        c.arg("-w").arg(dir);
        c.kill_on_drop(true);
        matches!(c.status().await, Ok(s) if s.success()) && dir.is_dir()
    }
}
