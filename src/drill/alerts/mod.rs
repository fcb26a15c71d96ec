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

pub mod offline;
pub mod promtool;
pub mod routes;
pub mod tools;

use std::time::Instant;

use crate::core::drill_ops::OpsOutcome;

pub use offline::OfflineSpec;
pub use routes::ExpectRoute;
pub use tools::Tool;

/// Run the offline checks.
pub async fn run_offline(spec: &OfflineSpec) -> OpsOutcome {
    let t0 = Instant::now();
    let (steps, findings) = offline::run(spec, t0).await;
    let verdict = OpsOutcome::verdict_of(&steps);
    let failed = steps
        .iter()
        .filter(|s| s.outcome != crate::core::drill_ops::OpsStepOutcome::Pass)
        .count();
    let summary = match verdict {
        crate::core::verdict::Verdict::Pass => {
            format!("alerting offline: {} check(s) passed", steps.len())
        }
        _ => format!(
            "alerting offline: {failed} of {} check(s) did not pass, {} finding(s)",
            steps.len(),
            findings.len()
        ),
    };
    OpsOutcome {
        kind: "alerts".into(),
        verdict,
        summary,
        steps,
        findings,
        measurements: Vec::new(),
    }
}
