//! The bridge from an operational drill's [`OpsOutcome`] (alerting,
//! runbook) to the drill core: each `OpsStep` becomes a journalled method
//! step with its own timing, outcome and output; each measurement a drill
//! measurement (judged by the drill's objectives); each finding is written
//! into the step it concerns, so the journal and reports carry the
//! evidence; the outcome's verdict decides how the method ends.

use std::time::Duration;

use crate::core::drill::{Phase, StepOutcome};
use crate::core::drill_ops::{OpsFinding, OpsOutcome, OpsStep, OpsStepOutcome};
use crate::core::verdict::Verdict;
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::step::StepResult;

/// The drill core's outcome for an operational step's.
pub fn outcome_of(o: OpsStepOutcome) -> StepOutcome {
    match o {
        OpsStepOutcome::Pass => StepOutcome::Ok,
        OpsStepOutcome::Fail => StepOutcome::Failed,
        OpsStepOutcome::Error => StepOutcome::Error,
        OpsStepOutcome::TimedOut => StepOutcome::TimedOut,
        OpsStepOutcome::Skipped => StepOutcome::Skipped,
    }
}

/// One line naming what a tool found wrong, in the terms of the thing
/// checked (the alert, the group, the route, the runbook step).
pub fn finding_text(f: &OpsFinding) -> String {
    let mut t = format!("{} {}", f.tool, f.file);
    if let Some(g) = &f.group {
        t.push_str(&format!(" group {g}"));
    }
    if let Some(s) = &f.subject {
        t.push_str(&format!(" {s}"));
    }
    t.push_str(&format!(": {}", f.message));
    match (&f.expected, &f.got) {
        (Some(e), Some(g)) => t.push_str(&format!(" (expected {e}, got {g})")),
        (Some(e), None) => t.push_str(&format!(" (expected {e})")),
        (None, Some(g)) => t.push_str(&format!(" (got {g})")),
        (None, None) => {}
    }
    t
}

/// Which findings belong to which step: a finding goes to the first step
/// that did not pass and names its file (or its subject); the rest go to
/// the first step that did not pass.
fn findings_per_step(steps: &[OpsStep], findings: &[OpsFinding]) -> Vec<Vec<String>> {
    let mut per: Vec<Vec<String>> = vec![Vec::new(); steps.len()];
    let bad: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !matches!(s.outcome, OpsStepOutcome::Pass | OpsStepOutcome::Skipped))
        .map(|(i, _)| i)
        .collect();
    for f in findings {
        let base = std::path::Path::new(&f.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| f.file.clone());
        let own = bad.iter().copied().find(|&i| {
            let n = &steps[i].name;
            (!base.is_empty() && n.contains(&base)) || f.subject.as_ref().is_some_and(|s| n == s)
        });
        if let Some(i) = own.or_else(|| bad.first().copied()) {
            per[i].push(finding_text(f));
        }
    }
    per
}

/// Journal the outcome's steps and measurements, then end the method as
/// its verdict says: pass goes on, fail stops with the first step that did
/// not pass (and its findings), inconclusive (a tool missing) ends the
/// drill inconclusive, and a drill stopped meanwhile is cancelled.
pub fn journal(run: &Runner<'_>, out: &OpsOutcome) -> Result<(), MethodStop> {
    let per = findings_per_step(&out.steps, &out.findings);
    let timeout = run.drill().timeout;
    let mut first_bad: Option<String> = None;
    for (s, found) in out.steps.iter().zip(per) {
        let outcome = outcome_of(s.outcome);
        let mut detail = s.reason.clone().unwrap_or_default();
        for f in &found {
            if !detail.is_empty() {
                detail.push_str("; ");
            }
            detail.push_str(f);
        }
        let r = StepResult {
            outcome,
            detail: run.cx.redact(&detail),
            output: run.cx.redact(&crate::drill::process::cap(&s.output)),
            observed: None,
            elapsed: Duration::from_millis(s.end_ms.saturating_sub(s.start_ms)),
        };
        run.journal(&s.name, Phase::Method, timeout, &r);
        if first_bad.is_none() && !matches!(outcome, StepOutcome::Ok | StepOutcome::Skipped) {
            first_bad = Some(format!("{} {}: {}", s.name, outcome.badge(), r.detail));
        }
    }
    for m in &out.measurements {
        if let Some(v) = m.value {
            run.measure(&m.name, v);
        }
    }
    if run.cancelled() {
        return Err(MethodStop::Cancelled);
    }
    let why = first_bad.unwrap_or_else(|| out.summary.clone());
    match out.verdict {
        Verdict::Pass => Ok(()),
        Verdict::Fail => Err(MethodStop::Failed(why)),
        _ => Err(MethodStop::Inconclusive(why)),
    }
}

/// The drill's cancel token as the future the operational kinds take: it
/// completes with the reason when the operator (or a stop condition, or
/// the drill's timeout) stops the drill.
pub fn cancel_future(run: &Runner<'_>) -> impl std::future::Future<Output = String> + use<> {
    let token = run.cx.cancel.clone();
    async move {
        token.cancelled().await;
        "the drill was stopped".to_string()
    }
}

/// A drill param path, relative to the drill file's folder.
pub fn resolve(run_dir: &std::path::Path, p: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        run_dir.join(path)
    }
}
