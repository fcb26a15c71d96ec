//! Drill kinds: each is a module that adds its own sequence (and its own
//! rollback) around the declared steps. A kind plugs in with one
//! `DrillKind` variant (in `core::drill`) and one arm in each match below.

pub mod alerting;
pub mod argv;
pub mod background;
pub mod blue_green;
pub mod deploy;
pub mod failover;
pub mod failover_probe;
pub mod file_restore;
pub mod file_state;
pub mod kill_switch;
pub mod ops_steps;
pub mod pg_restore;
pub mod runbook;
pub mod sample;

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::core::drill::{DrillKind, StepOutcome, StepPlan};

use super::runner::{MethodStop, Runner};
use super::spec::{Drill, SpecError};

/// The kind's own steps, for `drill_started` (declared steps come apart).
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    match drill.kind {
        DrillKind::Experiment => Vec::new(),
        DrillKind::DeploymentRollback => deploy::plan(drill),
        DrillKind::BlueGreen => blue_green::plan(drill),
        DrillKind::KillSwitch => kill_switch::plan(drill),
        DrillKind::Alerting => alerting::plan(drill),
        DrillKind::Runbook => runbook::plan(drill),
        DrillKind::Failover => failover::plan(drill),
        DrillKind::FileRestore => file_restore::plan(drill),
        DrillKind::PgBackupRestore => pg_restore::plan(drill),
    }
}

/// Check the kind's `[drill.params]`.
pub fn validate(drill: &Drill) -> Vec<SpecError> {
    let r = match drill.kind {
        DrillKind::Experiment => Ok(()),
        DrillKind::DeploymentRollback => {
            params::<deploy::Params>(drill).and_then(|p| p.check(drill))
        }
        DrillKind::BlueGreen => params::<blue_green::Params>(drill).and_then(|p| p.check(drill)),
        DrillKind::KillSwitch => params::<kill_switch::Params>(drill).and_then(|p| p.check(drill)),
        DrillKind::Alerting => params::<alerting::Params>(drill).and_then(|p| p.check(drill)),
        DrillKind::Runbook => params::<runbook::Params>(drill).and_then(|p| p.check(drill)),
        DrillKind::Failover => params::<failover::Params>(drill).and_then(|p| p.check(drill)),
        DrillKind::FileRestore => {
            params::<file_restore::Params>(drill).and_then(|p| p.check(drill))
        }
        DrillKind::PgBackupRestore => {
            params::<pg_restore::Params>(drill).and_then(|p| p.check(drill))
        }
    };
    r.err().into_iter().collect()
}

/// The kind's own method, run before the declared method steps.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    match run.drill().kind {
        DrillKind::Experiment => Ok(()),
        DrillKind::DeploymentRollback => deploy::method(run).await,
        DrillKind::BlueGreen => blue_green::method(run).await,
        DrillKind::KillSwitch => kill_switch::method(run).await,
        DrillKind::Alerting => alerting::method(run).await,
        DrillKind::Runbook => runbook::method(run).await,
        DrillKind::Failover => failover::method(run).await,
        DrillKind::FileRestore => file_restore::method(run).await,
        DrillKind::PgBackupRestore => pg_restore::method(run).await,
    }
}

/// The kind's own rollback, run before the declared rollbacks; `false`
/// when it failed.
pub async fn rollback(run: &Runner<'_>) -> bool {
    match run.drill().kind {
        DrillKind::Experiment => true,
        DrillKind::DeploymentRollback => deploy::rollback(run).await,
        DrillKind::BlueGreen => blue_green::rollback(run).await,
        DrillKind::KillSwitch => kill_switch::rollback(run).await,
        // The live alerting drill clears its own fault and stops its
        // servers; a runbook has no undo of its own; a PostgreSQL recovery
        // drill stops everything it started on every path of its own.
        DrillKind::Alerting | DrillKind::Runbook | DrillKind::PgBackupRestore => true,
        DrillKind::Failover => failover::rollback(run).await,
        // The file kind puts its backup back itself when it drilled in place.
        DrillKind::FileRestore => true,
    }
}

/// Read the kind's `[drill.params]`.
pub fn params<T: DeserializeOwned>(drill: &Drill) -> Result<T, SpecError> {
    let v = if drill.params.is_null() {
        serde_json::json!({})
    } else {
        drill.params.clone()
    };
    serde_path_to_error::deserialize(v).map_err(|e| SpecError {
        at: format!("drill \"{}\".params.{}", drill.name, e.path()),
        message: e.inner().to_string(),
        hint: format!(
            "see the {} keys in README (Drill kinds)",
            drill.kind.as_str()
        ),
    })
}

/// A problem in the kind's params.
pub fn bad(drill: &Drill, key: &str, message: &str, hint: &str) -> SpecError {
    SpecError {
        at: format!("drill \"{}\".params.{key}", drill.name),
        message: message.into(),
        hint: hint.into(),
    }
}

/// A duration in params (`"30s"`).
pub fn duration(drill: &Drill, key: &str, text: &str) -> Result<Duration, SpecError> {
    crate::config::parse_duration(text).map_err(|e| bad(drill, key, &e, "write e.g. 30s"))
}

/// POST a JSON body; the step's outcome, detail and output.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
) -> (StepOutcome, String, String) {
    match client
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            let outcome = if status.is_success() {
                StepOutcome::Ok
            } else {
                StepOutcome::Failed
            };
            (outcome, format!("POST {url}: {}", status.as_u16()), text)
        }
        Err(e) => (
            StepOutcome::Error,
            format!(
                "POST {url}: {}",
                if e.is_connect() {
                    "connection refused"
                } else {
                    "request failed"
                }
            ),
            String::new(),
        ),
    }
}

/// A step that did not pass stops the method: cancelled when the drill
/// was stopped, failed otherwise.
pub fn stop_on(
    run: &Runner<'_>,
    name: &str,
    outcome: StepOutcome,
    detail: &str,
) -> Result<(), MethodStop> {
    match outcome {
        StepOutcome::Ok => Ok(()),
        _ if run.cancelled() => Err(MethodStop::Cancelled),
        o => Err(MethodStop::Failed(format!(
            "{name} {}: {detail}",
            o.badge()
        ))),
    }
}

/// Sleep, cut short when the drill is stopped.
pub async fn pause(run: &Runner<'_>, d: Duration) -> Result<(), MethodStop> {
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        _ = run.cx.cancel.cancelled() => Err(MethodStop::Cancelled),
    }
}
