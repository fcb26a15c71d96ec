//! `flightdeck recover`: list the runs that crashed with their canary's flag
//! moved, and roll those flags back (`--rollback`), each through the
//! provider its run used. And the one-line notice every command that opens
//! a state directory prints about them on stderr.
//!
//! Exit codes: 0 nothing left moved (or all rolled back), 1 runs still left
//! a flag moved (listed, or a rollback failed or was refused), 2 usage (no
//! such run, unreadable config).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Failure, load_config};
use crate::canary::recover::{RecoverError, Recoverer, find, recover};
use crate::cli::RecoverArgs;
use crate::config::Sources;
use crate::core::format::trim_num;
use crate::core::recovery::{Orphan, Recovery};
use crate::engine::Config;
use crate::output::OutputFormat;

/// The JSON document of `recover --output json`.
#[derive(Clone, Debug, Serialize)]
pub struct RecoverReport {
    /// The state directory searched.
    pub state_dir: String,
    /// Runs that left a flag moved (before any rollback).
    pub orphans: Vec<Orphan>,
    /// Runs recovered now, with what was done.
    pub recovered: Vec<Recovered>,
    /// Runs that could not be recovered, and why.
    pub errors: Vec<RunError>,
}

/// One recovered run.
#[derive(Clone, Debug, Serialize)]
pub struct Recovered {
    /// Run id.
    pub run_id: String,
    /// What was done.
    #[serde(flatten)]
    pub recovery: Recovery,
}

/// One run that could not be recovered.
#[derive(Clone, Debug, Serialize)]
pub struct RunError {
    /// Run id.
    pub run_id: String,
    /// Why, with what to do.
    pub error: String,
}

/// The state directory `recover` works in.
fn state_dir(args: &RecoverArgs) -> Result<PathBuf, Failure> {
    if let Some(d) = &args.state_dir {
        return Ok(d.clone());
    }
    if let Ok(d) = std::env::var("FLIGHTDECK__STATE_DIR")
        && !d.trim().is_empty()
    {
        return Ok(PathBuf::from(d));
    }
    match &args.config {
        Some(f) => Ok(load_config(&Sources::from_process(Some(f.clone())))?.state_dir),
        None => Ok(Config::default().state_dir),
    }
}

/// Print one stderr line per orphan of `state_dir` (except `skip`, the
/// caller's own run). Every command that opens a state directory calls it.
pub fn notice(state_dir: &Path, skip: Option<&str>) {
    for o in find(state_dir, skip) {
        eprintln!("warning: {}", o.line());
    }
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "?".into(), |p| format!("{}%", trim_num(p)))
}

/// Run `flightdeck recover`.
pub async fn run(args: &RecoverArgs) -> Result<(String, i32), Failure> {
    let dir = state_dir(args)?;
    let mut orphans = find(&dir, None);
    if let Some(id) = &args.run {
        orphans.retain(|o| &o.run_id == id);
    }
    let mut report = RecoverReport {
        state_dir: dir.display().to_string(),
        orphans: orphans.clone(),
        recovered: Vec::new(),
        errors: Vec::new(),
    };
    // A named run that is not listed: recover() (or why_not) says why.
    let mut targets: Vec<String> = orphans.iter().map(|o| o.run_id.clone()).collect();
    if let Some(id) = &args.run
        && targets.is_empty()
    {
        targets.push(id.clone());
    }
    let actor = crate::identity::operator(args.operator.as_deref(), "");
    for id in &targets {
        let result = if args.rollback {
            let who = Recoverer {
                actor: &actor,
                reason: &args.reason,
                by_run: None,
            };
            recover(&dir, id, &who).await
        } else if orphans.iter().any(|o| &o.run_id == id) {
            continue;
        } else {
            Err(why_not(&dir, id))
        };
        match result {
            Ok(recovery) => report.recovered.push(Recovered {
                run_id: id.clone(),
                recovery,
            }),
            Err(e @ RecoverError::NotFound { .. }) => {
                return Err(Failure::usage(format!("error: {e}")));
            }
            Err(e) => report.errors.push(RunError {
                run_id: id.clone(),
                error: e.to_string(),
            }),
        }
    }
    let left = report.orphans.len() - report.recovered.len();
    let code = i32::from(left > 0 || !report.errors.is_empty());
    let out = match args.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&report).expect("the report serialises") + "\n"
        }
        OutputFormat::Text => text(&report, args.rollback),
    };
    Ok((out, code))
}

/// Why a named run is not an orphan, as an error.
fn why_not(dir: &Path, id: &str) -> RecoverError {
    let run_dir = crate::record::run_dir::runs_dir(dir).join(id);
    let journal = run_dir.join(crate::record::journal::JOURNAL_FILE);
    if !journal.is_file() {
        RecoverError::NotFound {
            run: id.into(),
            path: journal,
        }
    } else if crate::record::run_dir::is_live(&run_dir) {
        RecoverError::Alive {
            run: id.into(),
            dir: run_dir,
        }
    } else {
        RecoverError::NotOrphan {
            run: id.into(),
            why: "it finished, or its journal shows no flag left moved".into(),
        }
    }
}

fn text(r: &RecoverReport, rollback: bool) -> String {
    let mut out = String::new();
    if r.orphans.is_empty() && r.errors.is_empty() {
        let _ = writeln!(
            out,
            "no crashed run left a flag moved (state dir {})",
            r.state_dir
        );
        return out;
    }
    if !r.orphans.is_empty() {
        let _ = writeln!(
            out,
            "{:<22}  {:<16}  {:>6}  {:<8}  {:<20}  where",
            "run", "flag", "share", "provider", "last event"
        );
        for o in &r.orphans {
            let _ = writeln!(
                out,
                "{:<22}  {:<16}  {:>6}  {:<8}  {:<20}  {}",
                o.run_id,
                o.flag,
                pct(o.share),
                o.provider,
                o.last_event_at.format("%Y-%m-%d %H:%M:%S"),
                o.location
            );
        }
    }
    for d in &r.recovered {
        let _ = writeln!(
            out,
            "run {}: flag {} {} ({} -> {}), journalled",
            d.run_id,
            d.recovery.flag,
            d.recovery.action.text(),
            pct(d.recovery.from),
            pct(d.recovery.to)
        );
    }
    for e in &r.errors {
        let _ = writeln!(out, "error: {}", e.error);
    }
    if !rollback && !r.orphans.is_empty() {
        let _ = writeln!(
            out,
            "{} run{} left a flag moved; roll back: flightdeck recover --state-dir {} --rollback (or --run ID --rollback)",
            r.orphans.len(),
            if r.orphans.len() == 1 { "" } else { "s" },
            r.state_dir
        );
    }
    out
}
