//! The alerting drill: do the alerts work?
//!
//! Offline ([`offline`]): `promtool` checks and unit-tests the rules,
//! `amtool` checks the Alertmanager config and that each expected route
//! reaches its receiver. Live ([`live`]): a real Prometheus scrapes the
//! target and evaluates the rules, a real Alertmanager routes to a webhook
//! receiver that Flightdeck serves on 127.0.0.1, a fault is injected, and
//! the time until the alert fires, is delivered and resolves is measured.
//! Both return an [`OpsOutcome`] with steps and measurements, which the
//! drill core turns into drill events and judges against objectives.

pub mod live;
pub mod observe;
pub mod offline;
pub mod promtool;
pub mod routes;
pub mod servers;
pub mod tools;
pub mod webhook;

use std::time::Instant;

use crate::core::drill_ops::OpsOutcome;

pub use live::LiveSpec;
pub use offline::OfflineSpec;
pub use routes::ExpectRoute;
pub use tools::Tool;

/// Run the offline checks, then (when they all passed) the live drill,
/// which `cancel` aborts (see [`live::run_at`]).
pub async fn run(
    offline: &OfflineSpec,
    live: Option<&LiveSpec>,
    cancel: impl std::future::Future<Output = String>,
) -> OpsOutcome {
    use crate::core::drill_ops::{OpsStep, OpsStepOutcome};
    use crate::core::verdict::Verdict;
    let t0 = Instant::now();
    let (mut steps, mut findings) = offline::run(offline, t0).await;
    let mut measurements = Vec::new();
    if let Some(spec) = live {
        if OpsOutcome::verdict_of(&steps) == Verdict::Fail {
            let at = t0.elapsed().as_millis() as u64;
            steps.push(OpsStep {
                name: "live drill".into(),
                start_ms: at,
                end_ms: at,
                outcome: OpsStepOutcome::Skipped,
                reason: Some("not run: the offline checks failed".into()),
                output: String::new(),
            });
        } else {
            let r = live::run_at(spec, t0, cancel).await;
            steps.extend(r.steps);
            findings.extend(r.findings);
            measurements = r.measurements;
        }
    }
    let verdict = OpsOutcome::verdict_of(&steps);
    let ran = steps
        .iter()
        .filter(|s| s.outcome != OpsStepOutcome::Skipped)
        .count();
    let not_passed = steps
        .iter()
        .filter(|s| !matches!(s.outcome, OpsStepOutcome::Pass | OpsStepOutcome::Skipped))
        .count();
    let what = if live.is_some() {
        "alerting (offline and live)"
    } else {
        "alerting offline"
    };
    let summary = match verdict {
        Verdict::Pass => format!("{what}: {ran} step(s) passed"),
        _ => format!(
            "{what}: {not_passed} of {ran} step(s) did not pass, {} finding(s)",
            findings.len()
        ),
    };
    OpsOutcome {
        kind: if live.is_some() {
            "alerts_live"
        } else {
            "alerts"
        }
        .into(),
        verdict,
        summary,
        steps,
        findings,
        measurements,
    }
}
