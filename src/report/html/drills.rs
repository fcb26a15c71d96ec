//! The drills section of `report.html`: each drill with its verdict and
//! summary, its objectives against their bounds, its steps with their
//! timing, and a failed rollback in the failure colour and in words.

use crate::core::drill::{StepOutcome, value_text};
use crate::core::state::RunState;
use crate::report::html::markup::{Table, badge, esc, para, section, verdict_badge};

/// The drills, or nothing when the run had none.
pub fn drills(s: &RunState) -> String {
    if s.drills.is_empty() {
        return String::new();
    }
    let mut body = String::new();
    let mut t = Table::new(&["drill", "kind", "verdict", "summary"]);
    for d in &s.drills {
        t.row(&[
            esc(&d.name),
            esc(d.kind.as_str()),
            verdict_badge(d.verdict),
            esc(&d.summary),
        ]);
    }
    body.push_str(&t.finish());
    for d in &s.drills {
        body.push_str(&format!("<h3>{}</h3>", esc(&format!("Drill {}", d.name))));
        if d.rollback_failed {
            body.push_str(&format!(
                "<p>{} {}</p>",
                badge("fail", "ROLLBACK FAILED"),
                esc("the system may be left in its faulted state; check it before releasing.")
            ));
        }
        if !d.results.is_empty() {
            let mut o = Table::new(&["objective", "measured", "bound", "verdict"]);
            for r in &d.results {
                o.row(&[
                    esc(&r.objective.measure),
                    esc(&r.measured.map_or("not measured".into(), value_text)),
                    esc(&r.objective.bound_text()),
                    verdict_badge(Some(r.verdict)),
                ]);
            }
            body.push_str(&o.finish());
        }
        let mut st = Table::new(&["phase", "step", "outcome", "time", "seen"]);
        for step in d.steps.iter().filter(|x| x.outcome.is_some()) {
            let outcome = step.outcome.unwrap_or(StepOutcome::Skipped);
            let class = match outcome {
                StepOutcome::Ok => "pass",
                StepOutcome::Skipped => "skip",
                _ => "fail",
            };
            st.row(&[
                esc(step.phase.as_str()),
                esc(&step.name),
                badge(class, outcome.badge()),
                esc(&format!("{:.1} s", step.elapsed_ms as f64 / 1000.0)),
                esc(&step.detail.chars().take(160).collect::<String>()),
            ]);
        }
        body.push_str(&st.finish());
    }
    if body.is_empty() {
        body = para("empty", "No drill ran.");
    }
    section("drills", "Drills", &body)
}
