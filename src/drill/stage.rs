//! The `drill` stage: runs the configured drills one after another. Each
//! drill is evidence (its objectives with their bounds beside it, so
//! history keeps them); a missed objective or a failed rollback fails, a
//! drill that could not start (target down before the method) or that the
//! operator aborted is inconclusive. An abort stops the running drill's
//! method; its rollbacks still run, and the drills after it are skipped.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::core::drill::{DrillFinished, value_text};
use crate::core::event::Event;
use crate::core::verdict::{Evidence, Verdict};
use crate::flags::FlagProvider;
use crate::record::Recorder;

use super::config::DrillSection;

/// Run the drill stage `stage` to its `stage_finished`.
pub async fn run_stage(
    section: &DrillSection,
    stage: &str,
    rec: &Recorder,
    flags: Option<Arc<dyn FlagProvider>>,
    abort: CancellationToken,
) {
    rec.emit(Event::StageStarted {
        stage: stage.to_string(),
    });
    let drills = match section.for_stage(stage) {
        Ok(d) => d,
        Err(problems) => {
            let text: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect();
            rec.emit(Event::StageFinished {
                stage: stage.to_string(),
                verdict: Verdict::Inconclusive,
                summary: format!("drills could not be read: {}", text.join("; ")),
                evidence: Vec::new(),
            });
            return;
        }
    };
    let mut results = Vec::new();
    let total = drills.len();
    for (i, d) in drills.iter().enumerate() {
        if abort.is_cancelled() {
            break;
        }
        rec.emit(Event::StageProgress {
            stage: stage.to_string(),
            message: format!("drill {} of {total}: {}", i + 1, d.name),
            fraction: Some(i as f64 / total.max(1) as f64),
        });
        results.push(super::run_drill(rec, stage, d, flags.clone(), &abort).await);
    }
    let skipped = total - results.len();
    let (verdict, summary, evidence) = judge(&results, skipped);
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence,
    });
}

/// The stage's verdict from its drills: the worst drill, with every drill
/// and every objective as evidence.
pub fn judge(results: &[DrillFinished], skipped: usize) -> (Verdict, String, Vec<Evidence>) {
    let mut evidence = Vec::new();
    for r in results {
        evidence.push(Evidence {
            label: format!("drill {}", r.drill),
            value: r.summary.clone(),
            threshold: None,
            verdict: r.verdict,
        });
        for o in &r.objectives {
            evidence.push(Evidence {
                label: format!("{} {}", r.drill, o.objective.measure),
                value: o.measured.map_or("not measured".to_string(), value_text),
                threshold: Some(o.objective.bound_text()),
                verdict: o.verdict,
            });
        }
        if r.rollback_failed {
            evidence.push(Evidence {
                label: format!("{} rollback", r.drill),
                value: "FAILED: the system may be left in its faulted state".into(),
                threshold: None,
                verdict: Verdict::Fail,
            });
        }
    }
    let mut verdict = results
        .iter()
        .map(|r| r.verdict)
        .fold(Verdict::Skipped, Verdict::worst);
    if skipped > 0 {
        verdict = verdict.worst(Verdict::Inconclusive);
    }
    if results.is_empty() && skipped == 0 {
        return (
            Verdict::Inconclusive,
            "no drill configured for this stage".into(),
            evidence,
        );
    }
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let mut parts = vec![format!(
        "{} of {} drills passed",
        count(Verdict::Pass),
        results.len() + skipped
    )];
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .map(|r| r.drill.as_str())
        .collect();
    if !failed.is_empty() {
        parts.push(format!("failed: {}", failed.join(", ")));
    }
    if results.iter().any(|r| r.rollback_failed) {
        parts.push("ROLLBACK FAILED".into());
    }
    if skipped > 0 {
        parts.push(format!("{skipped} not run (aborted)"));
    }
    (verdict, parts.join("; "), evidence)
}
