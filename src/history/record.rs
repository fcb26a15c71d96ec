//! One finished run as rows of the history store, built from the folded run
//! state alone ([`RunRecord::from_state`]), so the index holds only what
//! the reports hold: no secrets, no request data, no personal data beyond
//! the operator name a report already names.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::store::{name_of, ts};
use crate::core::event::{Outcome, StageKind};
use crate::core::state::RunState;
use crate::core::verdict::Verdict;

/// The run itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRow {
    /// Run id.
    pub run_id: String,
    /// Service.
    pub service: String,
    /// Release.
    pub release: String,
    /// Environment.
    pub environment: String,
    /// Operator (as the report names them).
    pub operator: String,
    /// Start.
    pub started_at: String,
    /// End.
    pub finished_at: Option<String>,
    /// Seconds from start to end.
    pub duration_s: Option<f64>,
    /// GO / NO-GO / inconclusive.
    pub decision: Option<Outcome>,
    /// Readiness score.
    pub score: Option<f64>,
    /// Score band.
    pub band: Option<Verdict>,
    /// The exit code the run gave.
    pub exit_code: i64,
    /// The journal, relative to the state directory.
    pub journal: String,
    /// The journal's size when indexed: a journal that grew (an outcome
    /// appended) is indexed again.
    pub journal_bytes: i64,
    /// The risk score history gave the run at its start.
    pub risk_score: Option<f64>,
    /// Its level.
    pub risk_level: Option<String>,
}

/// A stage's verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageRow {
    /// Stage id.
    pub stage: String,
    /// Kind.
    pub kind: StageKind,
    /// Weight.
    pub weight: f64,
    /// Hard gate.
    pub hard: bool,
    /// Verdict.
    pub verdict: Option<Verdict>,
    /// Summary.
    pub summary: String,
    /// Seconds.
    pub duration_s: Option<f64>,
}

/// One piece of a stage's evidence: a check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckRow {
    /// Stage id.
    pub stage: String,
    /// Position in the stage's evidence.
    pub position: i64,
    /// What was checked.
    pub label: String,
    /// What was found.
    pub value: String,
    /// The criterion.
    pub threshold: Option<String>,
    /// Its verdict.
    pub verdict: Verdict,
}

/// A load scope's whole-run figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadRow {
    /// Load stage.
    pub stage: String,
    /// `all` or the endpoint name.
    pub endpoint: String,
    /// Requests.
    pub requests: i64,
    /// Errors.
    pub errors: i64,
    /// Requests per second.
    pub rps: f64,
    /// p50, ms.
    pub p50_ms: f64,
    /// p95, ms.
    pub p95_ms: f64,
    /// p99, ms.
    pub p99_ms: f64,
    /// HdrHistogram V2 deflate bytes, when the journal has them.
    #[serde(skip)]
    pub histogram: Option<Vec<u8>>,
}

/// One canary metric judged at one step (`(step)` for the step itself).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CanaryRow {
    /// Canary stage.
    pub stage: String,
    /// Step index.
    pub step: i64,
    /// Canary share.
    pub percent: f64,
    /// Metric name.
    pub metric: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Baseline median (or the step's score).
    pub baseline: Option<f64>,
    /// Canary median.
    pub canary: Option<f64>,
    /// p-value.
    pub p_value: Option<f64>,
}

/// A drill objective: a measured value and its bound.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrillRow {
    /// Drill stage.
    pub stage: String,
    /// Objective (`rto_s`, `switch_time_s`...).
    pub objective: String,
    /// Measured.
    pub value: String,
    /// Bound.
    pub bound: Option<String>,
    /// Verdict.
    pub verdict: Verdict,
}

/// Findings of one severity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingCount {
    /// Severity.
    pub severity: String,
    /// All findings.
    pub total: i64,
    /// Those that counted against the criteria on the run's day.
    pub open: i64,
}

/// A production outcome recorded for the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeRow {
    /// Order among the run's outcomes (the last one counts).
    pub seq: i64,
    /// When.
    pub recorded_at: String,
    /// Who.
    pub actor: String,
    /// The outcome.
    pub outcome: crate::core::history::ProductionOutcome,
}

/// The change the run validated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChangeRow {
    /// The change set (files with their line counts).
    pub change: crate::core::impact::ChangeSet,
    /// Whether the full plan ran.
    pub full_plan: bool,
}

/// A finished run, as the store holds it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRecord {
    /// The run.
    pub run: RunRow,
    /// Its stages.
    pub stages: Vec<StageRow>,
    /// Every check (evidence) of every stage.
    pub checks: Vec<CheckRow>,
    /// Load scopes.
    pub load: Vec<LoadRow>,
    /// Canary judgements.
    pub canary: Vec<CanaryRow>,
    /// Drill objectives.
    pub drills: Vec<DrillRow>,
    /// Capacity searches.
    pub capacity: Vec<super::capacity::CapacityRow>,
    /// Findings by severity.
    pub findings: Vec<FindingCount>,
    /// Production outcomes.
    pub outcomes: Vec<OutcomeRow>,
    /// The change, when the run was given one.
    pub change: Option<ChangeRow>,
}

fn secs(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<f64> {
    let (a, b) = (a?, b?);
    Some((b - a).num_milliseconds() as f64 / 1000.0)
}

impl RunRecord {
    /// The rows of a run, or `None` when it never started or never finished
    /// (an unfinished journal is indexed once it ends).
    pub fn from_state(s: &RunState, journal: &str, journal_bytes: u64) -> Option<RunRecord> {
        let info = s.info.as_ref()?;
        let started = s.started_at?;
        s.finished_at?;
        let d = s.decision.as_ref();
        let risk = s.history.as_ref().and_then(|h| h.risk.as_ref());
        let run = RunRow {
            run_id: info.run_id.clone(),
            service: info.service.clone(),
            release: info.release.clone(),
            environment: info.environment.clone(),
            operator: info.operator.clone(),
            started_at: ts(started),
            finished_at: s.finished_at.map(ts),
            duration_s: secs(s.started_at, s.finished_at),
            decision: s.outcome,
            score: d.map(|d| d.score),
            band: d.map(|d| d.band),
            exit_code: i64::from(s.outcome.unwrap_or(Outcome::Inconclusive).exit_code()),
            journal: journal.to_string(),
            journal_bytes: journal_bytes as i64,
            risk_score: risk.map(|r| r.score),
            risk_level: risk.map(|r| name_of(&r.level)),
        };
        let mut rec = RunRecord {
            run,
            stages: Vec::new(),
            checks: Vec::new(),
            load: Vec::new(),
            canary: Vec::new(),
            drills: Vec::new(),
            capacity: super::capacity::rows_of(s),
            findings: Vec::new(),
            outcomes: Vec::new(),
            change: s.impact.as_ref().map(|i| ChangeRow {
                change: i.change.clone(),
                full_plan: i.full_plan,
            }),
        };
        rec.fill_stages(s);
        rec.fill_load(s);
        rec.fill_canary(s);
        rec.fill_findings(s, started);
        rec.outcomes = s
            .production
            .iter()
            .enumerate()
            .map(|(i, o)| OutcomeRow {
                seq: i as i64 + 1,
                recorded_at: ts(o.ts),
                actor: o.actor.clone(),
                outcome: o.outcome.clone(),
            })
            .collect();
        Some(rec)
    }

    fn fill_stages(&mut self, s: &RunState) {
        for st in &s.stages {
            self.stages.push(StageRow {
                stage: st.plan.id.clone(),
                kind: st.plan.kind,
                weight: st.plan.weight,
                hard: st.plan.hard,
                verdict: st.verdict,
                summary: st.summary.clone(),
                duration_s: secs(st.started_at, st.finished_at),
            });
            for (i, e) in st.evidence.iter().enumerate() {
                self.checks.push(CheckRow {
                    stage: st.plan.id.clone(),
                    position: i as i64,
                    label: e.label.clone(),
                    value: e.value.clone(),
                    threshold: e.threshold.clone(),
                    verdict: e.verdict,
                });
                // A drill's objectives are its evidence with a bound.
                if st.plan.kind == StageKind::Drill && e.threshold.is_some() {
                    self.drills.push(DrillRow {
                        stage: st.plan.id.clone(),
                        objective: e.label.clone(),
                        value: e.value.clone(),
                        bound: e.threshold.clone(),
                        verdict: e.verdict,
                    });
                }
            }
        }
        self.drills
            .sort_by(|a, b| (&a.stage, &a.objective).cmp(&(&b.stage, &b.objective)));
        self.drills
            .dedup_by(|a, b| a.stage == b.stage && a.objective == b.objective);
    }

    fn fill_load(&mut self, s: &RunState) {
        use base64::Engine;
        for (stage, sum) in &s.load_summaries {
            let secs = sum.duration_s.max(1e-9);
            let hist = |scope: &str| {
                sum.histograms
                    .iter()
                    .find(|h| h.scope == scope)
                    .and_then(|h| {
                        base64::engine::general_purpose::STANDARD
                            .decode(&h.hdr_v2_base64)
                            .ok()
                    })
            };
            self.load.push(LoadRow {
                stage: stage.clone(),
                endpoint: "all".into(),
                requests: sum.requests as i64,
                errors: sum.errors as i64,
                rps: sum.requests_per_sec,
                p50_ms: sum.latency.p50_ms,
                p95_ms: sum.latency.p95_ms,
                p99_ms: sum.latency.p99_ms,
                histogram: hist("all"),
            });
            for e in sum.endpoints.iter().filter(|e| e.name != "all") {
                self.load.push(LoadRow {
                    stage: stage.clone(),
                    endpoint: e.name.clone(),
                    requests: e.requests as i64,
                    errors: e.errors as i64,
                    rps: e.requests as f64 / secs,
                    p50_ms: e.latency.p50_ms,
                    p95_ms: e.latency.p95_ms,
                    p99_ms: e.latency.p99_ms,
                    histogram: hist(&e.name),
                });
            }
        }
    }

    fn fill_canary(&mut self, s: &RunState) {
        let Some(c) = &s.canary else { return };
        for j in &c.judged {
            self.canary.push(CanaryRow {
                stage: c.stage.clone(),
                step: j.index as i64,
                percent: j.percent,
                metric: "(step)".into(),
                verdict: j.judgement.verdict,
                baseline: j.judgement.score,
                canary: None,
                p_value: None,
            });
            for m in &j.judgement.metrics {
                self.canary.push(CanaryRow {
                    stage: c.stage.clone(),
                    step: j.index as i64,
                    percent: j.percent,
                    metric: m.name.clone(),
                    verdict: m.verdict,
                    baseline: m.baseline_median,
                    canary: m.canary_median,
                    p_value: m.p_value,
                });
            }
        }
        // A rerun judges the same steps again: the latest judgement counts.
        let mut seen = std::collections::HashSet::new();
        let mut rows: Vec<CanaryRow> = self.canary.drain(..).rev().collect();
        rows.retain(|r| seen.insert((r.stage.clone(), r.step, r.metric.clone())));
        rows.reverse();
        self.canary = rows;
    }

    fn fill_findings(&mut self, s: &RunState, started: DateTime<Utc>) {
        use crate::core::scan::Disposition;
        let day = started.date_naive();
        let mut counts: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        for f in &s.findings {
            let c = counts
                .entry(f.finding.severity.as_str().to_string())
                .or_default();
            c.0 += 1;
            if matches!(f.finding.disposition(day), Disposition::Open { .. }) {
                c.1 += 1;
            }
        }
        self.findings = counts
            .into_iter()
            .map(|(severity, (total, open))| FindingCount {
                severity,
                total,
                open,
            })
            .collect();
    }
}
