//! The journals are the truth; the store is their index. A finished run is
//! indexed when it ends ([`index_journal`]); at the next start
//! [`catch_up`] adds any finished run the store lacks (a crash, a store
//! that was unreachable) and indexes again a journal that grew (an outcome
//! appended later); [`rebuild`] recreates the index from the journals.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::StoreError;
use super::record::RunRecord;
use super::store::{Conn, Store};
use super::write::{self, RUN_TABLES};
use crate::core::state::RunState;
use crate::record::journal::{self, JOURNAL_FILE};

/// A journal's path as the store keeps it: relative to the state directory.
pub fn journal_key(state_dir: &Path, path: &Path) -> String {
    path.strip_prefix(state_dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every run journal under `<state_dir>/runs`, in name order (run ids start
/// with their time, so this is start order).
pub fn journals(state_dir: &Path) -> Vec<PathBuf> {
    let Ok(dirs) = std::fs::read_dir(state_dir.join("runs")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dirs
        .filter_map(|d| d.ok())
        .map(|d| d.path().join(JOURNAL_FILE))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// A journal folded into the rows the store keeps, or why not.
pub enum Folded {
    /// A finished run.
    Run(Box<RunRecord>),
    /// The run has not finished (or never started): indexed once it ends.
    Unfinished,
}

/// Read and fold one journal.
pub fn fold(state_dir: &Path, path: &Path) -> Result<Folded, StoreError> {
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let back = journal::read(path).map_err(|e| StoreError::other(format!("{e:#}")))?;
    let state = RunState::from_envelopes(&back.envelopes);
    Ok(
        match RunRecord::from_state(&state, &journal_key(state_dir, path), bytes) {
            Some(r) => Folded::Run(Box::new(r)),
            None => Folded::Unfinished,
        },
    )
}

/// Index one journal now (a run that just finished, or one whose journal
/// grew). Returns the run id, or `None` when the run has not finished.
pub fn index_journal(
    store: &mut Store,
    state_dir: &Path,
    path: &Path,
) -> Result<Option<String>, StoreError> {
    match fold(state_dir, path)? {
        Folded::Run(rec) => {
            store.write(|c| write::insert(c, &rec))?;
            Ok(Some(rec.run.run_id.clone()))
        }
        Folded::Unfinished => Ok(None),
    }
}

/// What a catch-up or a rebuild did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Indexed {
    /// Runs added to the index.
    pub added: Vec<String>,
    /// Runs indexed again because their journal grew.
    pub updated: Vec<String>,
    /// Journals of runs that have not finished (skipped).
    pub unfinished: usize,
    /// Runs in a shared store whose journals are on other machines (kept).
    pub kept_elsewhere: usize,
    /// Journals that could not be read, with why.
    pub problems: Vec<String>,
}

/// The journals the store knows, with their size when indexed.
fn known(c: &mut dyn Conn) -> Result<HashMap<String, i64>, StoreError> {
    Ok(c.query("SELECT journal, journal_bytes FROM runs", &[])?
        .into_iter()
        .map(|r| (r.text(0), r.i64(1)))
        .collect())
}

/// Add every finished run the store lacks, and index again those whose
/// journal grew since. Cheap when nothing changed: one query and a `stat`
/// per journal.
pub fn catch_up(store: &mut Store, state_dir: &Path) -> Result<Indexed, StoreError> {
    let known = store.read(known)?;
    let mut out = Indexed::default();
    for path in journals(state_dir) {
        let key = journal_key(state_dir, &path);
        let bytes = std::fs::metadata(&path)
            .map(|m| m.len() as i64)
            .unwrap_or(0);
        let was = known.get(&key).copied();
        if was == Some(bytes) {
            continue;
        }
        match fold(state_dir, &path) {
            Ok(Folded::Run(rec)) => {
                store.write(|c| write::insert(c, &rec))?;
                let id = rec.run.run_id.clone();
                if was.is_some() {
                    out.updated.push(id);
                } else {
                    out.added.push(id);
                }
            }
            Ok(Folded::Unfinished) => out.unfinished += 1,
            Err(e) => out.problems.push(format!("{}: {e}", path.display())),
        }
    }
    Ok(out)
}

/// Recreate the index from the journals. A SQLite store is emptied of runs
/// first; a shared PostgreSQL store keeps the runs of other machines and
/// replaces this machine's. A/A calibrations are not runs and stay.
pub fn rebuild(store: &mut Store, state_dir: &Path) -> Result<Indexed, StoreError> {
    let mut folded = Vec::new();
    let mut out = Indexed::default();
    for path in journals(state_dir) {
        match fold(state_dir, &path) {
            Ok(Folded::Run(rec)) => folded.push(rec),
            Ok(Folded::Unfinished) => out.unfinished += 1,
            Err(e) => out.problems.push(format!("{}: {e}", path.display())),
        }
    }
    let shared = store.is_shared();
    let kept = store.write_locked(|c| {
        let mut kept = 0;
        if shared {
            let local: std::collections::HashSet<&str> =
                folded.iter().map(|r| r.run.run_id.as_str()).collect();
            kept = c
                .query("SELECT run_id FROM runs", &[])?
                .iter()
                .filter(|r| !local.contains(r.text(0).as_str()))
                .count();
        } else {
            for t in RUN_TABLES {
                c.exec(&format!("DELETE FROM {t}"), &[])?;
            }
        }
        for rec in &folded {
            write::insert(c, rec)?;
        }
        Ok(kept)
    })?;
    out.kept_elsewhere = kept;
    out.added = folded.into_iter().map(|r| r.run.run_id).collect();
    Ok(out)
}
