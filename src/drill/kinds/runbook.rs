//! Runbook drill kind: execute a Markdown runbook's marked blocks through
//! `drill::runbook` and journal each block as a method step, so a stale
//! runbook fails the drill naming the step. Params: `file` (relative to
//! the drill file's folder) and optional `secret_env` (variables whose
//! values are hidden in every output).

use serde::Deserialize;

use crate::core::drill::{Phase, StepPlan};
use crate::drill::runbook::{self as book, RunbookOptions};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};
use crate::secrets::Secret;

use super::ops_steps;

/// `[drill.params]` of a `runbook` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The runbook, relative to the drill file's folder.
    pub file: String,
    /// Environment variables holding secrets the runbook's output may echo.
    #[serde(default)]
    pub secret_env: Vec<String>,
}

impl Params {
    /// The runbook must exist and parse; each secret variable must be set.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        let path = ops_steps::resolve(&drill.dir, &self.file);
        if !path.is_file() {
            return Err(super::bad(
                drill,
                "file",
                &format!("{}: no such file", path.display()),
                "give the runbook's path relative to the drill file's folder",
            ));
        }
        if let Err(e) = book::load(&path) {
            return Err(super::bad(
                drill,
                "file",
                &e.to_string(),
                "fix the runbook; `flightdeck drill runbook FILE --dry-run` shows its steps",
            ));
        }
        for name in &self.secret_env {
            if std::env::var_os(name).is_none() {
                return Err(super::bad(
                    drill,
                    "secret_env",
                    &format!("{name}: the variable is not set"),
                    "export it before the drill, or remove it from secret_env",
                ));
            }
        }
        Ok(())
    }
}

/// The runbook's steps, for the plan.
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    let Ok(p) = super::params::<Params>(drill) else {
        return Vec::new();
    };
    let timeout_ms = u64::try_from(drill.timeout.as_millis()).unwrap_or(u64::MAX);
    book::load(&ops_steps::resolve(&drill.dir, &p.file))
        .map(|steps| {
            steps
                .iter()
                .map(|s| StepPlan {
                    name: s.name.clone(),
                    phase: Phase::Method,
                    timeout_ms,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Run the runbook; its blocks become the drill's method steps.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let drill = run.drill();
    let p: Params = super::params(drill).map_err(|e| MethodStop::Failed(e.to_string()))?;
    let mut opts = RunbookOptions::default();
    for name in &p.secret_env {
        match std::env::var(name) {
            Ok(v) => opts.secrets.push(Secret::new(v)),
            Err(_) => {
                return Err(MethodStop::Failed(format!(
                    "params.secret_env {name}: the variable is not set"
                )));
            }
        }
    }
    let path = ops_steps::resolve(&drill.dir, &p.file);
    let out = book::run(&path, &opts, ops_steps::cancel_future(run))
        .await
        .map_err(|e| MethodStop::Failed(format!("runbook {e}")))?;
    ops_steps::journal(run, &out)
}
