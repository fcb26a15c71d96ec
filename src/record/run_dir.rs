//! A run directory's layout and its liveness lock.
//!
//! A live run holds an exclusive `flock` on `run.lock` in its directory for
//! as long as its process lives; the kernel drops the lock when the process
//! dies, however it dies (`kill -9`, OOM, a lost SSH session). So a lock
//! that can be taken means nobody runs there any more, and whoever takes it
//! (a recovery) keeps others from recovering the same run at the same time.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The folder of runs inside a state directory.
pub const RUNS_DIR: &str = "runs";
/// The lock a live run holds.
pub const LOCK_FILE: &str = "run.lock";
/// The effective configuration of a run, saved at its start (secrets as
/// references only), so that its flag can be found and rolled back later.
pub const CONFIG_FILE: &str = "config.json";

/// `<state_dir>/runs`.
pub fn runs_dir(state_dir: &Path) -> PathBuf {
    state_dir.join(RUNS_DIR)
}

/// Every run directory under `<state_dir>/runs`, oldest name first (run
/// ids start with their time). A state directory without runs has none.
pub fn list(state_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(runs_dir(state_dir)) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The exclusive lock on a run directory; released on drop, or by the
/// kernel when the process dies.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    /// Take the lock of a run directory, or learn that a live process holds
    /// it (`Ok(None)`). The file is created if missing (runs from builds
    /// before the lock have none, and no live process can hold it).
    pub fn try_acquire(dir: &Path) -> Result<Option<RunLock>> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open run lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(RunLock { file, path })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// Take the lock of a new run's directory and write this process's id
    /// into it (for people; liveness is the lock itself).
    pub fn hold(dir: &Path) -> Result<RunLock> {
        // Another process may be probing the new lock this very moment
        // ([`is_live`] takes it for an instant): try again for a while.
        let mut attempt = 0;
        let mut lock = loop {
            match RunLock::try_acquire(dir)? {
                Some(l) => break l,
                None if attempt < 50 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                None => anyhow::bail!("{} is locked by another process", dir.display()),
            }
        };
        lock.file.set_len(0).ok();
        writeln!(lock.file, "{}", std::process::id())
            .and_then(|_| lock.file.flush())
            .with_context(|| format!("cannot write {}", lock.path.display()))?;
        Ok(lock)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether a live process holds the run directory's lock now.
pub fn is_live(dir: &Path) -> bool {
    dir.join(LOCK_FILE).is_file() && matches!(RunLock::try_acquire(dir), Ok(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_seen_as_live_and_a_dropped_one_is_free() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!is_live(dir.path()), "no lock file: nobody runs there");
        let lock = RunLock::hold(dir.path()).expect("hold");
        assert!(is_live(dir.path()));
        assert!(RunLock::try_acquire(dir.path()).expect("try").is_none());
        let pid = std::fs::read_to_string(lock.path()).expect("read");
        assert_eq!(pid.trim(), std::process::id().to_string());
        drop(lock);
        assert!(!is_live(dir.path()));
        assert!(RunLock::try_acquire(dir.path()).expect("try").is_some());
    }

    #[test]
    fn runs_are_listed_in_name_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(list(dir.path()).is_empty());
        for id in ["20260102-000000-bbbb", "20260101-000000-aaaa"] {
            std::fs::create_dir_all(runs_dir(dir.path()).join(id)).expect("mkdir");
        }
        let names: Vec<String> = list(dir.path())
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, ["20260101-000000-aaaa", "20260102-000000-bbbb"]);
    }
}
