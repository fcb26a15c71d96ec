//! The policy stage: evaluate the Rego policies over the run's facts.

use std::path::Path;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::core::event::Event;
use crate::core::scan::{Disposition, Severity};
use crate::core::state::RunState;
use crate::core::verdict::{Evidence, Verdict};
use crate::policy::{
    PolicyGate, PolicyOutcome, PolicySection, evaluate_gates, evaluate_sources_gated, load_dir,
};
use crate::record::recorder::Recorder;

/// The facts policies see, built from the run so far. Shape documented in
/// `config/policies/README.md`.
pub fn facts(state: &RunState, approver: Option<&str>, today: NaiveDate) -> Value {
    let info = state.info.as_ref();
    let open: Vec<_> = state
        .findings
        .iter()
        .filter(|f| matches!(f.finding.disposition(today), Disposition::Open { .. }))
        .collect();
    let count = |s: Severity| open.iter().filter(|f| f.finding.severity == s).count();
    let stages: serde_json::Map<String, Value> = state
        .stages
        .iter()
        .map(|s| {
            (
                s.plan.id.clone(),
                json!({ "kind": s.plan.kind, "verdict": s.verdict }),
            )
        })
        .collect();
    json!({
        "service": info.map(|i| i.service.clone()),
        "release": {
            "version": info.map(|i| i.release.clone()),
            "environment": info.map(|i| i.environment.clone()),
            "risk": info.map(|i| i.risk),
            "approver": approver,
        },
        "findings": {
            "open": {
                "critical": count(Severity::Critical),
                "high": count(Severity::High),
                "medium": count(Severity::Medium),
                "low": count(Severity::Low),
                "info": count(Severity::Info),
            },
            "secrets": open.iter().filter(|f| f.finding.is_secret()).count(),
        },
        "health": state.health.iter().map(|h| json!({
            "endpoint": h.endpoint, "status": h.status, "verdict": h.verdict, "version": h.version,
        })).collect::<Vec<_>>(),
        "load": state.load_summary.as_ref().map(|(_, s)| json!({
            "p50_ms": s.latency.p50_ms,
            "p95_ms": s.latency.p95_ms,
            "p99_ms": s.latency.p99_ms,
            "error_rate": 1.0 - s.success_rate,
            "requests_per_sec": s.requests_per_sec,
            "saturated_windows": s.saturated_windows,
        })),
        "stages": stages,
    })
}

/// A gate's own input document (`input = "FILE.json"`), read now.
fn gate_input(g: &PolicyGate, facts: &Value) -> Result<Value, String> {
    let Some(path) = &g.input else {
        return Ok(facts.clone());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("input {}: cannot read ({e})", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("input {}: not JSON ({e})", path.display()))
}

/// Run the policy stage: `deny`/`warn` rules over the run's facts, then the
/// `[[policy.gates]]`, each over its own input or the facts.
pub fn run_stage(
    dir: &Path,
    section: &PolicySection,
    stage: &str,
    rec: &Recorder,
    today: NaiveDate,
) {
    rec.emit(Event::StageStarted {
        stage: stage.to_string(),
    });
    let input = rec.read(|s| facts(s, section.approver.as_deref(), today));
    let gated: Vec<&str> = section.gates.iter().map(PolicyGate::rule).collect();
    let results = match load_dir(dir) {
        Ok(sources) => {
            let mut r = evaluate_sources_gated(&sources, &input, &gated);
            r.extend(evaluate_gates(&sources, &section.gates, |g| {
                gate_input(g, &input)
            }));
            Ok(r)
        }
        Err(e) => Err(e),
    };
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            rec.emit(Event::StageFinished {
                stage: stage.to_string(),
                verdict: Verdict::Inconclusive,
                summary: format!("policies could not be loaded: {e}"),
                evidence: Vec::new(),
            });
            return;
        }
    };
    let mut verdict = Verdict::Pass;
    let mut evidence = Vec::new();
    for r in &results {
        rec.emit(Event::PolicyResult {
            stage: stage.to_string(),
            result: r.clone(),
        });
        let v = match r.outcome {
            PolicyOutcome::Deny => Verdict::Fail,
            PolicyOutcome::Warn => Verdict::Warn,
            PolicyOutcome::NotEvaluable => Verdict::Inconclusive,
            PolicyOutcome::Pass => Verdict::Pass,
        };
        verdict = verdict.worst(v);
        if v != Verdict::Pass {
            evidence.push(Evidence {
                label: format!("{} {}", r.policy, r.rule),
                value: r.messages.join("; "),
                threshold: None,
                verdict: v,
            });
        }
    }
    let n = |o: PolicyOutcome| results.iter().filter(|r| r.outcome == o).count();
    let summary = if results.is_empty() {
        verdict = Verdict::Inconclusive;
        "no policy rules were found".to_string()
    } else {
        format!(
            "{} rules: {} deny, {} warn, {} not evaluable, {} pass",
            results.len(),
            n(PolicyOutcome::Deny),
            n(PolicyOutcome::Warn),
            n(PolicyOutcome::NotEvaluable),
            n(PolicyOutcome::Pass)
        )
    };
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence,
    });
}
