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
        if let Some(e) = crate::core::dr_evidence::DrEvidence::of(d) {
            body.push_str(&recovery(&e));
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

/// A recovery drill's evidence: the rows of `report.md`, then integrity
/// per table with a text badge, then the timeline.
fn recovery(e: &crate::core::dr_evidence::DrEvidence) -> String {
    let mut out = String::new();
    let mut t = Table::new(&["disaster recovery", "evidence"]);
    for (k, v) in crate::report::dr::rows(e) {
        t.row(&[esc(k), esc(&v)]);
    }
    out.push_str(&t.finish());
    if !e.integrity.is_empty() {
        let mut t = Table::new(&["table", "expected", "restored", "checksum", "integrity"]);
        for i in &e.integrity {
            t.row(&[
                esc(&i.table),
                esc(&i.expected_rows.to_string()),
                esc(&i.restored_rows.to_string()),
                esc(&format!(
                    "{} / {}",
                    crate::report::dr::short_sum(&i.expected_sum),
                    crate::report::dr::short_sum(&i.restored_sum)
                )),
                if i.ok {
                    badge("pass", "match")
                } else {
                    badge("fail", "MISMATCH")
                },
            ]);
        }
        out.push_str(&t.finish());
    }
    if !e.timeline.is_empty() {
        out.push_str(&para(
            "note",
            &format!("Timeline: {}.", crate::report::dr::timeline(e)),
        ));
    }
    out
}
