//! Workspaces left behind by a process that died without cleaning up
//! (SIGKILL, the OOM killer, a lost SSH session): their servers keep
//! running on 127.0.0.1, holding ports and memory, and their directories
//! hold whole clusters and backups. Each workspace names its owner (PID
//! and start time, so a reused PID is not mistaken for it) in an `owner`
//! file; creating a workspace first removes every sibling whose owner is
//! gone: the processes whose command line names it (the server, started
//! with `-D` inside it, `pg_receivewal`, `runuser`) and their descendants
//! are frozen and killed, then its directory is removed. A workspace
//! without an owner file (being created this very moment) is left alone.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::PgError;
use super::tool::{self, Proc};

/// The file naming a workspace's owner.
const OWNER: &str = "owner";
/// How every workspace directory's name begins.
pub(super) const PREFIX: &str = "flightdeck-pg-";

/// Name this process as the owner of the workspace at `root`.
pub(super) fn claim(root: &Path) -> Result<(), PgError> {
    let me = Proc::me()
        .ok_or_else(|| PgError::Failed("read this process's start time in /proc".into()))?;
    let path = root.join(OWNER);
    std::fs::write(&path, format!("{}\n", me.to_line()))
        .map_err(|e| PgError::Failed(format!("write {}: {e}", path.display())))
}

/// Whether the workspace at `root` has an owner file naming a process that
/// is gone.
fn abandoned(root: &Path) -> bool {
    std::fs::read_to_string(root.join(OWNER))
        .ok()
        .and_then(|t| Proc::parse(&t))
        .is_some_and(|owner| !owner.alive())
}

/// Remove the abandoned workspaces in `parent`; returns the directories
/// removed. One whose processes do not all die (another user's, without
/// the right to signal them) is left, with a warning.
pub fn reap(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for root in entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX))
        .map(|e| e.path())
        .filter(|p| abandoned(p))
    {
        tool::freeze_and_kill(|| tool::naming(&root));
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut left = tool::naming(&root);
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            left = tool::naming(&root);
        }
        if !left.is_empty() {
            tracing::warn!(
                "{} was left by a process that died; {} of its processes could not be stopped, so it stays",
                root.display(),
                left.len()
            );
            continue;
        }
        match std::fs::remove_dir_all(&root) {
            Ok(()) => {
                tracing::warn!(
                    "removed {}, a PostgreSQL workspace left by a process that died, with its servers",
                    root.display()
                );
                removed.push(root);
            }
            Err(e) => tracing::warn!("cannot remove the abandoned {}: {e}", root.display()),
        }
    }
    removed
}
