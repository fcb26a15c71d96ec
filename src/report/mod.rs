//! Reports for humans and CI, derived only from the folded run state, so a
//! replayed journal gives the same reports as the original run:
//! `report.json`, `report.md`, `junit.xml` and the self-contained
//! `report.html` ([`html`]).

mod dr;
pub mod html;
mod junit;
mod markdown;

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::event::{EnvRisk, HealthCheck, Outcome, StageKind};
use crate::core::gate::PointsLost;
use crate::core::state::{ActionRecord, RunState};
use crate::core::verdict::{Evidence, Verdict};

pub use junit::junit;
pub use markdown::markdown;

/// Schema name of `report.json`.
pub const REPORT_SCHEMA: &str = "flightdeck.report/v1";

/// The run report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    /// Schema name and version.
    pub schema: &'static str,
    /// Run id.
    pub run_id: String,
    /// Service.
    pub service: String,
    /// Release.
    pub release: String,
    /// Environment name.
    pub environment: String,
    /// Environment risk.
    pub risk: Option<EnvRisk>,
    /// Operator.
    pub operator: String,
    /// The operator's identity (uid, how named, where from), when the
    /// journal records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_identity: Option<crate::core::actor::Actor>,
    /// Read-only run.
    pub read_only: bool,
    /// Start time.
    pub started_at: Option<DateTime<Utc>>,
    /// End time.
    pub finished_at: Option<DateTime<Utc>>,
    /// Duration in seconds.
    pub duration_s: Option<f64>,
    /// Final outcome (`None` if the run never finished).
    pub outcome: Option<Outcome>,
    /// Exit code for this outcome.
    pub exit_code: i32,
    /// Why the run ended early.
    pub end_reason: Option<String>,
    /// Readiness score.
    pub score: Option<f64>,
    /// Score band.
    pub band: Option<Verdict>,
    /// The rule that decided.
    pub rationale: Option<String>,
    /// Every point lost.
    pub points_lost: Vec<PointsLost>,
    /// Stages.
    pub stages: Vec<StageReport>,
    /// Health checks (last attempt per endpoint).
    pub health: Vec<HealthCheck>,
    /// The apply approval (`iac.apply = "confirm"`), if one was asked for.
    pub apply_approval: Option<ApprovalReport>,
    /// Operator actions.
    pub operator_actions: Vec<ActionRecord>,
    /// The canary: flag, share, every judged step with each metric's numbers
    /// and sample source, the automatic rollback and any rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<crate::core::state::canary::CanaryView>,
    /// How the run was recovered after it crashed, if it was: who rolled
    /// its flag back (or found it back), when and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered: Option<crate::core::state::RecoveryView>,
    /// What history handed the run: the score trend of recent releases,
    /// p95 trends and the release's risk (with whether a sign-off is
    /// required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::core::history::HistoryContext>,
    /// The change under validation and the plan's selection for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_impact: Option<crate::core::impact::ImpactSelection>,
    /// Production outcomes recorded after the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub production: Vec<crate::core::state::OutcomeRecord>,
    /// The sign-offs the gate asked for, with each one given or refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signoffs: Option<crate::core::state::signoff::SignoffView>,
    /// Drills of drill stages: each with its steps, measurements,
    /// objectives against their bounds, and whether a rollback failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drills: Vec<crate::core::state::DrillView>,
    /// Each recovery drill's evidence: timeline, `rto_s`, `rpo_s`,
    /// `lost_writes`, backup and restore, per-table integrity, objectives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disaster_recovery: Vec<crate::core::dr_evidence::DrEvidence>,
    /// Anomalies found while folding the journal.
    pub anomalies: Vec<String>,
    /// Capacity searches: sustainable rate, knee, headroom and the curve.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity: Vec<crate::core::capacity::CapacityResult>,
    /// Each capacity search's sustainable rate against earlier runs'
    /// (history), when there were enough of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_trend: Vec<CapacityTrend>,
}

/// A sustainable rate judged against its trend over earlier runs.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CapacityTrend {
    /// The load stage.
    pub stage: String,
    /// This run's sustainable rate, requests per second.
    pub sustainable_rps: f64,
    /// The median of earlier runs'.
    pub median_rps: f64,
    /// Relative change from that median, percent.
    pub change_pct: f64,
    /// Below the trend by more than its tolerance and its own spread.
    pub regressed: bool,
}

fn capacity_trends(s: &crate::core::state::RunState) -> Vec<CapacityTrend> {
    s.capacity
        .iter()
        .filter_map(|c| {
            let v = c.result.as_ref()?.sustainable_rps?;
            let t = s.capacity_against_trend(&c.stage, v)?;
            Some(CapacityTrend {
                stage: c.stage.clone(),
                sustainable_rps: v,
                median_rps: t.median,
                change_pct: t.change_pct,
                regressed: t.regressed,
            })
        })
        .collect()
}

/// The apply approval in the report: what was asked and how it ended.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ApprovalReport {
    /// The environment stage that asked.
    pub stage: String,
    /// The saved plan that was (or would have been) applied.
    pub plan_file: String,
    /// Counts per action.
    pub counts: crate::iac::plan::ActionCounts,
    /// Root outputs that change.
    pub output_changes: usize,
    /// Deletes and replaces.
    pub destructive: Vec<String>,
    /// The plan's highest risk.
    pub risk: Option<crate::iac::plan::RiskLevel>,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// How it ended (`None`: the run stopped while it waited).
    pub decision: Option<crate::iac::approval::ApprovalDecision>,
    /// The decision in words.
    pub outcome: String,
}

impl ApprovalReport {
    fn from_view(a: &crate::core::state::approval::ApprovalView) -> ApprovalReport {
        ApprovalReport {
            stage: a.stage.clone(),
            plan_file: a.request.plan_file.clone(),
            counts: a.request.counts.clone(),
            output_changes: a.request.output_changes,
            destructive: a.request.destructive.clone(),
            risk: a.request.risk,
            requested_at: a.requested_at,
            decision: a.decision.clone(),
            outcome: match &a.decision {
                Some(d) if d.approved() => format!("applied: {}", d.text()),
                Some(d) => format!("not applied: {}", d.text()),
                None => "not applied: the run ended while the approval was pending".into(),
            },
        }
    }
}

/// One stage in the report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StageReport {
    /// Stage id.
    pub id: String,
    /// Kind.
    pub kind: StageKind,
    /// Weight.
    pub weight: f64,
    /// Hard gate.
    pub hard: bool,
    /// Verdict (`None`: never finished).
    pub verdict: Option<Verdict>,
    /// Summary.
    pub summary: String,
    /// Duration in seconds.
    pub duration_s: Option<f64>,
    /// Evidence.
    pub evidence: Vec<Evidence>,
}

fn secs(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<f64> {
    let (a, b) = (a?, b?);
    Some(((b - a).num_milliseconds() as f64 / 1000.0 * 1000.0).round() / 1000.0)
}

impl Report {
    /// Build the report from the run state.
    pub fn from_state(s: &RunState) -> Report {
        let info = s.info.as_ref();
        let d = s.decision.as_ref();
        Report {
            schema: REPORT_SCHEMA,
            run_id: info.map(|i| i.run_id.clone()).unwrap_or_default(),
            service: info.map(|i| i.service.clone()).unwrap_or_default(),
            release: info.map(|i| i.release.clone()).unwrap_or_default(),
            environment: info.map(|i| i.environment.clone()).unwrap_or_default(),
            risk: info.map(|i| i.risk),
            operator: info.map(|i| i.operator.clone()).unwrap_or_default(),
            operator_identity: info.and_then(|i| i.operator_identity.clone()),
            read_only: info.is_some_and(|i| i.read_only),
            started_at: s.started_at,
            finished_at: s.finished_at,
            duration_s: secs(s.started_at, s.finished_at),
            outcome: s.outcome,
            exit_code: s.outcome.unwrap_or(Outcome::Inconclusive).exit_code(),
            end_reason: s.end_reason.clone(),
            score: d.map(|d| d.score),
            band: d.map(|d| d.band),
            rationale: d.map(|d| d.rationale.clone()),
            points_lost: d.map(|d| d.lost.clone()).unwrap_or_default(),
            stages: s
                .stages
                .iter()
                .map(|st| StageReport {
                    id: st.plan.id.clone(),
                    kind: st.plan.kind,
                    weight: st.plan.weight,
                    hard: st.plan.hard,
                    verdict: st.verdict,
                    summary: st.summary.clone(),
                    duration_s: secs(st.started_at, st.finished_at),
                    evidence: st.evidence.clone(),
                })
                .collect(),
            health: s.health.clone(),
            apply_approval: s.approval.as_ref().map(ApprovalReport::from_view),
            operator_actions: s.actions.clone(),
            canary: s.canary.clone(),
            recovered: s.recovery.clone(),
            history: s.history.clone(),
            change_impact: s.impact.clone(),
            production: s.production.clone(),
            signoffs: s.signoffs.clone(),
            drills: s.drills.clone(),
            disaster_recovery: s
                .drills
                .iter()
                .filter_map(crate::core::dr_evidence::DrEvidence::of)
                .collect(),
            anomalies: s.anomalies.clone(),
            capacity: s.capacity.iter().filter_map(|c| c.result.clone()).collect(),
            capacity_trend: capacity_trends(s),
        }
    }
}

/// File names written into a report directory.
pub const REPORT_FILES: [&str; 4] = ["report.json", "report.md", "junit.xml", "report.html"];

/// `report.json` as written: the report, pretty-printed, with a final
/// newline. Sign-offs record the SHA-256 of exactly these bytes.
pub fn report_json(r: &Report) -> Result<String> {
    let mut json = serde_json::to_string_pretty(r).context("cannot encode report")?;
    json.push('\n');
    Ok(json)
}

/// SHA-256 (hex) of `report.json` for a state: what a sign-off records as
/// the report its signer saw.
pub fn report_sha256(s: &RunState) -> String {
    use sha2::{Digest, Sha256};
    let json = report_json(&Report::from_state(s)).unwrap_or_default();
    Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Write `report.json`, `report.md`, `junit.xml` and `report.html` into `dir`.
pub fn write_all(s: &RunState, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create report directory {}", dir.display()))?;
    let r = Report::from_state(s);
    for (name, body) in [
        (REPORT_FILES[0], report_json(&r)?),
        (REPORT_FILES[1], markdown(&r)),
        (REPORT_FILES[2], junit(&r)),
        (REPORT_FILES[3], html::html(&r, s)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, body).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
