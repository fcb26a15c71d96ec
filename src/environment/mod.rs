//! The environment stage: provision or check the environment through IaC
//! (plan, drift, parity with production), then check that its endpoints are
//! up and run the expected version.

pub mod config;
pub mod health;
pub mod iac_report;

use crate::config::program_exists;
use crate::core::event::{Event, LogLevel, TeardownTrigger};
use crate::core::verdict::{Evidence, Verdict};
use crate::iac::approval::Approver;
use crate::iac::config::ProvisionerKind;
use crate::record::recorder::Recorder;

pub use config::{EndpointConfig, EnvironmentSection, HealthSettings};
pub use iac_report::IacReport;

/// Run the IaC part, if configured. Returns its verdict, evidence, summary
/// and the endpoints it found; `None` when there is no IaC to run.
async fn run_iac(
    env: &EnvironmentSection,
    stage: &str,
    rec: &Recorder,
    approver: &Approver<'_>,
) -> Option<(Verdict, Vec<Evidence>, String, Vec<EndpointConfig>)> {
    let iac = env.iac.as_ref()?;
    let cli = matches!(
        iac.provisioner,
        ProvisionerKind::Terraform | ProvisionerKind::Tofu
    );
    if cli && iac.optional && !program_exists(&iac.binary()) {
        rec.log(
            LogLevel::Info,
            Some(stage),
            format!(
                "{} not found: the environment is not provisioned here; using the declared endpoints",
                iac.binary()
            ),
        );
        return None;
    }
    let outcome = crate::iac::run_stage_with(iac, stage, rec, approver).await;
    let provisioner = serde_json::to_value(iac.provisioner)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    rec.emit(Event::EnvIac {
        stage: stage.to_string(),
        report: Box::new(IacReport::from_outcome(
            provisioner,
            iac.workspace.clone(),
            &outcome,
        )),
    });
    let endpoints = outcome
        .endpoints
        .iter()
        .map(EndpointConfig::from_iac)
        .collect();
    let (verdict, evidence, summary) = outcome.verdict_parts();
    Some((verdict, evidence, summary, endpoints))
}

/// Run the environment stage with nobody to approve an apply. Nothing
/// checked at all is inconclusive, never pass.
pub async fn run_stage(env: &EnvironmentSection, stage: &str, rec: &Recorder) {
    run_stage_with(env, stage, rec, &Approver::Nobody).await
}

/// Run the environment stage; `approver` answers an apply that asks first
/// (`iac.apply = "confirm"`).
pub async fn run_stage_with(
    env: &EnvironmentSection,
    stage: &str,
    rec: &Recorder,
    approver: &Approver<'_>,
) {
    rec.emit(Event::StageStarted {
        stage: stage.to_string(),
    });
    let mut verdict = None::<Verdict>;
    let mut evidence = Vec::new();
    let mut summaries = Vec::new();
    let mut endpoints = env.endpoints.clone();
    if let Some((v, ev, s, found)) = run_iac(env, stage, rec, approver).await {
        if v != Verdict::Skipped {
            verdict = Some(v);
            summaries.push(s);
        }
        evidence.extend(ev);
        for e in found {
            if !endpoints.iter().any(|d| d.name == e.name) {
                endpoints.push(e);
            }
        }
    }
    if let Some((v, ev, s)) = health::check_all(&endpoints, &env.health, stage, rec).await {
        verdict = Some(verdict.map_or(v, |w| w.worst(v)));
        evidence.extend(ev);
        summaries.push(s);
    }
    let (verdict, summary) = match verdict {
        Some(v) => (v, summaries.join("; ")),
        None => (
            Verdict::Inconclusive,
            "no endpoints configured and no IaC to run: nothing was checked".to_string(),
        ),
    };
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence,
    });
}

/// Destroy the ephemeral environment: at the end of the run if configured,
/// or now on the operator's word or when its TTL runs out.
pub async fn teardown(env: &EnvironmentSection, stage: &str, rec: &Recorder, why: TeardownTrigger) {
    let Some(iac) = &env.iac else {
        if why != TeardownTrigger::EndOfRun {
            rec.log(
                LogLevel::Warn,
                Some(stage),
                "destroy: no IaC in this environment",
            );
        }
        return;
    };
    let (verdict, summary) = match why {
        TeardownTrigger::EndOfRun => {
            if !iac.ephemeral.as_ref().is_some_and(|e| e.destroy_at_end) {
                return;
            }
            crate::iac::stage::teardown(iac, stage, rec).await
        }
        TeardownTrigger::Operator | TeardownTrigger::TtlExpired => {
            crate::iac::stage::destroy(iac, stage, rec).await
        }
    };
    rec.emit(Event::EnvDestroyed {
        stage: stage.to_string(),
        trigger: why,
        verdict,
        summary,
    });
}
