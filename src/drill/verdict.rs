//! A drill's verdict from how it ended, its objectives and its rollbacks.

use crate::core::drill::{DrillEnd, ObjectiveResult};
use crate::core::verdict::Verdict;

/// The verdict: a failed rollback fails the drill; a drill that could not
/// start is inconclusive; one whose tools are not installed is skipped; an operator abort is inconclusive; a stop, a
/// timeout or a failed method fails; else every objective must pass (one
/// not measured makes it inconclusive).
pub fn decide(
    end: DrillEnd,
    why: &str,
    objectives: &[ObjectiveResult],
    rollback_failed: bool,
    rollback_notes: &[String],
) -> (Verdict, String) {
    let missed: Vec<String> = objectives
        .iter()
        .filter(|o| o.verdict == Verdict::Fail)
        .map(|o| {
            format!(
                "{} = {} (bound {})",
                o.objective.measure,
                o.measured
                    .map(crate::core::drill::value_text)
                    .unwrap_or_default(),
                o.objective.bound_text()
            )
        })
        .collect();
    let rb = if rollback_failed {
        format!(
            "; ROLLBACK FAILED ({}): the system may be left faulted",
            rollback_notes.join(", ")
        )
    } else {
        String::new()
    };
    let (v, text) = match end {
        DrillEnd::NotStarted => (Verdict::Inconclusive, why.to_string()),
        DrillEnd::Skipped => (Verdict::Skipped, why.to_string()),
        DrillEnd::Aborted => (Verdict::Inconclusive, why.to_string()),
        DrillEnd::Stopped | DrillEnd::TimedOut | DrillEnd::MethodFailed => {
            (Verdict::Fail, why.to_string())
        }
        DrillEnd::Completed if !missed.is_empty() => (
            Verdict::Fail,
            format!("objective missed: {}", missed.join(", ")),
        ),
        DrillEnd::Completed => {
            let unmeasured: Vec<&str> = objectives
                .iter()
                .filter(|o| o.verdict == Verdict::Inconclusive)
                .map(|o| o.objective.measure.as_str())
                .collect();
            if unmeasured.is_empty() {
                let n = objectives.len();
                (
                    Verdict::Pass,
                    if n == 0 {
                        "completed; steady state held".into()
                    } else {
                        format!("completed; {n} of {n} objectives met")
                    },
                )
            } else {
                (
                    Verdict::Inconclusive,
                    format!("not measured: {}", unmeasured.join(", ")),
                )
            }
        }
    };
    if rollback_failed {
        (Verdict::Fail, format!("{text}{rb}"))
    } else {
        (v, text)
    }
}
