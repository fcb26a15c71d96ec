//! Before a run: read the change from git, bring the history index up to
//! date with the journals, ask history for trends and the risk, and select
//! the plan for the change. After it: index the finished run.
//!
//! The history store is an index: when it cannot be reached the run goes
//! on without trends and risk (and says so), and the next start catches
//! up. A change range that cannot be read is a usage error: the operator
//! asked for a selection that cannot be made.

use std::path::{Path, PathBuf};

use super::Failure;
use crate::core::event::LogLevel;
use crate::core::impact::ChangeSet;
use crate::engine::{Config, Prepared};
use crate::history::{Location, Store, StoreError};

/// Where this config's history lives, with `history.url` resolved; `None`
/// when history is disabled.
pub async fn location(cfg: &Config) -> Result<Option<Location>, String> {
    if !cfg.history.enabled {
        return Ok(None);
    }
    match &cfg.history.url {
        Some(r) => r
            .resolve()
            .await
            .map(|s| Some(Location::Postgres(s)))
            .map_err(|e| format!("history.url: {e}")),
        None => Ok(Some(Location::Sqlite(
            cfg.history.sqlite_path(&cfg.state_dir),
        ))),
    }
}

/// Run `f` on the open store, off the async runtime (both stores block).
pub async fn with_store<T: Send + 'static>(
    at: Location,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&at)?;
        f(&mut store)
    })
    .await
    .map_err(|e| StoreError::other(format!("the history task failed: {e}")))?
}

/// Read the change range (from `[run] changes` or `--changes`).
pub async fn read_change(cfg: &Config, range: &str) -> Result<ChangeSet, Failure> {
    let git = crate::impact::Git::new(cfg.impact.git.as_deref(), cfg.impact.repo.as_deref());
    let range = range.to_string();
    tokio::task::spawn_blocking(move || git.change(&range))
        .await
        .map_err(|e| Failure::usage(format!("error: reading the change failed: {e}")))?
        .map_err(|e| Failure::usage(format!("error: {e}")))
}

/// The load endpoint names of the plan, for their p95 trends.
fn endpoint_names(cfg: &Config) -> Vec<String> {
    cfg.load
        .requests
        .iter()
        .map(|r| r.name.clone())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Everything a run learns before it starts.
pub async fn prepare(cfg: &Config) -> Result<Prepared, Failure> {
    let mut prepared = Prepared::default();
    let change = match cfg.run.changes.as_deref() {
        Some(range) => Some(read_change(cfg, range).await?),
        None => None,
    };
    match location(cfg).await {
        Ok(None) => {}
        Err(e) => prepared.notes.push((
            LogLevel::Warn,
            format!("history unavailable ({e}): the run goes on without trends and risk"),
        )),
        Ok(Some(at)) => {
            let label = at.label();
            let (state_dir, section) = (cfg.state_dir.clone(), cfg.history.clone());
            let (service, endpoints) = (cfg.run.service.clone(), endpoint_names(cfg));
            let ch = change.clone();
            let got = with_store(at, move |store| {
                let caught = crate::history::index::catch_up(store, &state_dir)?;
                let ctx = crate::history::context::build(
                    store,
                    &service,
                    &section,
                    &endpoints,
                    ch.as_ref(),
                )?;
                Ok((caught, ctx))
            })
            .await;
            match got {
                Ok((caught, ctx)) => {
                    let n = caught.added.len() + caught.updated.len();
                    if n > 0 {
                        prepared.notes.push((
                            LogLevel::Info,
                            format!("history: {n} finished run(s) indexed late into {label}"),
                        ));
                    }
                    for p in caught.problems {
                        prepared
                            .notes
                            .push((LogLevel::Warn, format!("history: {p}")));
                    }
                    prepared.history = Some(ctx);
                }
                Err(e) => prepared.notes.push((
                    LogLevel::Warn,
                    format!("history unavailable ({e}): the run goes on without trends and risk"),
                )),
            }
        }
    }
    if let Some(change) = change {
        let risk = prepared.history.as_ref().and_then(|h| h.risk.as_ref());
        prepared.impact = Some(crate::impact::select(
            &crate::engine::impact::planned(cfg),
            &change,
            &cfg.impact,
            risk,
        ));
    }
    Ok(prepared)
}

/// Index the run that just finished; a warning when the store could not
/// take it (the next start catches up).
pub async fn index_finished(cfg: &Config, journal: &Path) -> Option<String> {
    let at = match location(cfg).await {
        Ok(Some(at)) => at,
        Ok(None) => return None,
        Err(e) => return Some(format!("warning: history not updated ({e})")),
    };
    let (state_dir, journal): (PathBuf, PathBuf) = (cfg.state_dir.clone(), journal.to_path_buf());
    match with_store(at, move |s| {
        crate::history::index::index_journal(s, &state_dir, &journal)
    })
    .await
    {
        Ok(_) => None,
        Err(e) => Some(format!(
            "warning: history not updated ({e}); the next run catches up from the journal"
        )),
    }
}
