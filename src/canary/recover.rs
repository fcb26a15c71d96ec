//! Runs that crashed mid-canary (`kill -9`, an OOM kill, a lost SSH
//! session): finding them, and rolling their flag back.
//!
//! A run is an orphan when no live process holds its lock
//! ([`crate::record::run_dir`]), its journal has no `run_finished`, and the
//! journal shows its canary's flag moved from the value it had before the
//! run (and live: a share above 0 and on) without moving it back. Its flag
//! is rolled back through the provider the run itself used, read from the
//! effective config the run saved in its directory at its start
//! ([`CONFIG_FILE`]), and the recovery is appended to the run's own
//! journal: the rollback (`operator_action`, `flag_changed`), then
//! `run_recovered` and `run_finished` (inconclusive: the canary never
//! finished).

use std::path::{Path, PathBuf};

use crate::canary::control::provider_for;
use crate::canary::{CanaryPlan, ProviderConfig};
use crate::core::actor::Actor;
use crate::core::event::{Envelope, Event, Outcome};
use crate::core::recovery::{Orphan, RECOVERED_REASON, Recovery, RecoveryAction};
use crate::core::state::RunState;
use crate::core::state::canary::{RollbackStatus, RollbackView};
use crate::flags::FlagError;
use crate::record::journal::{self, JOURNAL_FILE, Journal};
use crate::record::recorder::Recorder;
use crate::record::run_dir::{self, CONFIG_FILE, RunLock};

/// Why a run could not be recovered. Each message names the run and what
/// to do.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// No such run directory or journal.
    #[error("run {run}: no journal at {} (hint: `flightdeck recover` lists the runs that need it)", path.display())]
    NotFound {
        /// Run id.
        run: String,
        /// Where the journal was looked for.
        path: PathBuf,
    },
    /// A live process holds the run's lock.
    #[error("run {run} is still running (pid in {}); recover only runs whose process has died", dir.display())]
    Alive {
        /// Run id.
        run: String,
        /// Run directory.
        dir: PathBuf,
    },
    /// The run finished, or its flag is not left moved.
    #[error("run {run} needs no recovery: {why}")]
    NotOrphan {
        /// Run id.
        run: String,
        /// Why.
        why: String,
    },
    /// The run's saved config is missing or unreadable.
    #[error("run {run}: {} {why} (hint: roll the flag back by hand: flightdeck flags rollback FLAG ...)", path.display())]
    NoConfig {
        /// Run id.
        run: String,
        /// The config file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Another live run drives the same flag now.
    #[error(
        "run {run}: flag {flag} is driven by run {other}, which is live; not touched (let that run finish, or roll back there)"
    )]
    Busy {
        /// Run id.
        run: String,
        /// Flag key.
        flag: String,
        /// The live run.
        other: String,
    },
    /// The provider could not be reached or refused.
    #[error("run {run}: flag {flag}: {source}")]
    Provider {
        /// Run id.
        run: String,
        /// Flag key.
        flag: String,
        /// The provider's error.
        source: FlagError,
    },
    /// The rollback was attempted and failed (journalled); it can be tried again.
    #[error(
        "run {run}: rollback of {flag} failed: {error} (try again: flightdeck recover --run {run} --rollback)"
    )]
    RollbackFailed {
        /// Run id.
        run: String,
        /// Flag key.
        flag: String,
        /// The last error.
        error: String,
    },
    /// The journal could not be read or appended to.
    #[error("run {run}: {message}")]
    Journal {
        /// Run id.
        run: String,
        /// What failed.
        message: String,
    },
}

/// A run read from its directory: its journal folded, and whether it is an
/// orphan.
struct RunRead {
    envelopes: Vec<Envelope>,
    state: RunState,
}

fn run_id_of(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_run(dir: &Path) -> Option<RunRead> {
    let back = journal::read(&dir.join(JOURNAL_FILE)).ok()?;
    let state = RunState::from_envelopes(&back.envelopes);
    Some(RunRead {
        envelopes: back.envelopes,
        state,
    })
}

/// The run's saved canary plan (the `canary` section of its config).
fn saved_plan(dir: &Path) -> Result<CanaryPlan, String> {
    let path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot be read ({e})"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("is not JSON ({e})"))?;
    let canary = value
        .get("canary")
        .cloned()
        .ok_or_else(|| "has no canary section".to_string())?;
    serde_json::from_value(canary).map_err(|e| format!("has an unreadable canary section ({e})"))
}

/// Where a provider keeps its flags, in words (never a credential).
pub fn location(plan: &CanaryPlan) -> String {
    match &plan.provider {
        ProviderConfig::File { path } => path.clone(),
        ProviderConfig::Ofrep { url, .. } => url.clone(),
        ProviderConfig::Unleash(u) => format!(
            "{} project {} environment {}",
            u.url, u.project, u.environment
        ),
    }
}

/// The orphan a run's state shows, if its flag is left moved and live.
fn orphan_of(dir: &Path, state_dir: &Path, run: &RunRead) -> Option<Orphan> {
    if run.state.finished_at.is_some() {
        return None;
    }
    let canary = run.state.canary.as_ref()?;
    let pre = run.envelopes.iter().rev().find_map(|e| match &e.event {
        Event::CanaryStarted { state, .. } => Some(state.clone()),
        _ => None,
    })?;
    let moved = canary.percent != pre.rollout_percent || canary.enabled != pre.enabled;
    if !(moved && canary.active()) {
        return None;
    }
    let location = saved_plan(dir)
        .map(|p| location(&p))
        .unwrap_or_else(|why| format!("(unknown: {CONFIG_FILE} {why})"));
    Some(Orphan {
        run_id: run_id_of(dir),
        flag: canary.flag.clone(),
        provider: canary.provider.clone(),
        location,
        share: canary.percent,
        enabled: canary.enabled,
        pre_run: pre.rollout_percent,
        last_event_at: run.state.last_ts.unwrap_or_default(),
        state_dir: state_dir.display().to_string(),
    })
}

/// Whether a journal may be an orphan's, judged from its text without
/// folding it (every command runs [`find`] at its start, over every run of
/// the state directory): it changed a flag, and it has no `run_finished`
/// after its last rerun (a rerun reopens a run).
fn may_be_orphan(journal: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(journal) else {
        return false;
    };
    let finished = text.rfind("\"type\":\"run_finished\"");
    let rerun = text.rfind("\"action\":\"rerun_stage\"");
    let closed = finished.is_some_and(|f| rerun.is_none_or(|r| r < f));
    text.contains("\"type\":\"flag_changed\"") && !closed
}

/// Every orphan under `<state_dir>/runs`, oldest first, except the run
/// `skip` (the caller's own). Runs whose lock a live process holds are not
/// orphans, whatever their journal says.
pub fn find(state_dir: &Path, skip: Option<&str>) -> Vec<Orphan> {
    run_dir::list(state_dir)
        .into_iter()
        .filter(|dir| Some(run_id_of(dir).as_str()) != skip)
        .filter(|dir| may_be_orphan(&dir.join(JOURNAL_FILE)) && !run_dir::is_live(dir))
        .filter_map(|dir| orphan_of(&dir, state_dir, &read_run(&dir)?))
        .collect()
}

/// A live run (other than `run`) that drives `flag` at the same place now.
fn live_driver(state_dir: &Path, run: &str, flag: &str, place: &str) -> Option<String> {
    run_dir::list(state_dir)
        .into_iter()
        .filter(|dir| run_id_of(dir) != run && run_dir::is_live(dir))
        .find(|dir| {
            let drives = read_run(dir)
                .and_then(|r| r.state.canary.map(|c| c.flag))
                .is_some_and(|f| f == flag);
            drives && saved_plan(dir).is_ok_and(|p| location(&p) == place)
        })
        .map(|dir| run_id_of(&dir))
}

/// Who recovers and why.
#[derive(Clone, Debug)]
pub struct Recoverer<'a> {
    /// An operator, or `flightdeck` for `canary.on_orphan = "rollback"`.
    pub actor: &'a Actor,
    /// Why, in words.
    pub reason: &'a str,
    /// The run from which it is done, if a run's start found the orphan.
    pub by_run: Option<&'a str>,
}

/// Recover one orphan: hold its lock, check it again, read the flag from
/// its provider, roll it back if it is still where the run left it, and
/// append the recovery to the run's journal.
pub async fn recover(
    state_dir: &Path,
    run: &str,
    who: &Recoverer<'_>,
) -> Result<Recovery, RecoverError> {
    let dir = run_dir::runs_dir(state_dir).join(run);
    let path = dir.join(JOURNAL_FILE);
    if !path.is_file() {
        return Err(RecoverError::NotFound {
            run: run.into(),
            path,
        });
    }
    let journal_err = |message: String| RecoverError::Journal {
        run: run.into(),
        message,
    };
    // Held until the recovery is journalled: two recoveries never race.
    let _lock = RunLock::try_acquire(&dir)
        .map_err(|e| journal_err(format!("{e:#}")))?
        .ok_or_else(|| RecoverError::Alive {
            run: run.into(),
            dir: dir.clone(),
        })?;
    let read =
        read_run(&dir).ok_or_else(|| journal_err(format!("cannot read {}", path.display())))?;
    let Some(orphan) = orphan_of(&dir, state_dir, &read) else {
        let why = if read.state.finished_at.is_some() {
            "it finished (or was recovered already)"
        } else {
            "its journal shows no flag left moved"
        };
        return Err(RecoverError::NotOrphan {
            run: run.into(),
            why: why.into(),
        });
    };
    let plan = saved_plan(&dir).map_err(|why| RecoverError::NoConfig {
        run: run.into(),
        path: dir.join(CONFIG_FILE),
        why,
    })?;
    let flag = orphan.flag.clone();
    if let Some(other) = live_driver(state_dir, run, &flag, &location(&plan)) {
        return Err(RecoverError::Busy {
            run: run.into(),
            flag,
            other,
        });
    }
    let provider_err = |source| RecoverError::Provider {
        run: run.into(),
        flag: flag.clone(),
        source,
    };
    let ctl = provider_for(&plan).await.map_err(provider_err)?;
    let now = ctl.provider.read(&flag).await.map_err(provider_err)?;
    let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 0.01,
        (a, b) => a == b,
    };
    let action = if same(now.rollout_percent, orphan.share) && now.enabled == orphan.enabled {
        RecoveryAction::RolledBack
    } else if !now.enabled
        || now.rollout_percent.is_none_or(|p| p <= 0.0)
        || same(now.rollout_percent, orphan.pre_run)
    {
        RecoveryAction::AlreadyBack
    } else {
        RecoveryAction::ChangedSince
    };
    let journal = Journal::reopen(&path).map_err(|e| journal_err(format!("{e:#}")))?;
    let rec = Recorder::resume(journal, &read.envelopes);
    let reason = match who.by_run {
        Some(by) => format!("{RECOVERED_REASON}: {} (from run {by})", who.reason),
        None => format!("{RECOVERED_REASON}: {}", who.reason),
    };
    let (mut to, mut enabled) = (now.rollout_percent, now.enabled);
    if action == RecoveryAction::RolledBack {
        if !ctl.rollback(&rec, who.actor, &reason).await {
            let error = rec.read(
                |s| match s.canary.as_ref().and_then(|c| c.rollback.as_ref()) {
                    Some(RollbackView {
                        status: RollbackStatus::Failed(e),
                        ..
                    }) => e.clone(),
                    _ => "the provider did not confirm".into(),
                },
            );
            return Err(RecoverError::RollbackFailed {
                run: run.into(),
                flag,
                error,
            });
        }
        (to, enabled) = rec.read(|s| {
            s.canary
                .as_ref()
                .map_or((None, false), |c| (c.percent, c.enabled))
        });
    }
    let recovery = Recovery {
        actor: who.actor.name.clone(),
        reason: who.reason.to_string(),
        flag,
        provider: ctl.provider_name.clone(),
        from: now.rollout_percent,
        to,
        enabled,
        action,
        by_run: who.by_run.map(str::to_string),
    };
    rec.emit(Event::RunRecovered(recovery.clone()));
    rec.emit(Event::RunFinished {
        outcome: Outcome::Inconclusive,
        reason: Some(format!(
            "{RECOVERED_REASON}; the canary never finished, flag {}",
            action.text()
        )),
    });
    if let Some(e) = rec.journal_error() {
        return Err(journal_err(e));
    }
    Ok(recovery)
}
