//! The disaster-recovery evidence of each recovery drill, as `report.md`
//! and `report.html` list it: method, backup size and duration, restore
//! duration, RTO and RPO (seconds and lost writes) with their objective
//! verdicts, integrity per table, and the timeline. One set of rows for
//! both faces; the values come from [`DrEvidence`], as in `report.json`.

use crate::core::dr_evidence::{DrEvidence, bytes, seconds};
use crate::core::drill::value_text;

/// `(rto_s <= 30: PASS)`, or nothing without an objective on `measure`.
fn verdict_of(e: &DrEvidence, measure: &str) -> String {
    e.objective(measure).map_or(String::new(), |o| {
        format!(
            " (objective {} {} {}: {})",
            measure,
            o.objective.op.as_str(),
            value_text(o.objective.value),
            if e.verdict.is_some() {
                o.verdict.badge()
            } else {
                "not judged yet"
            }
        )
    })
}

/// The evidence as label and value rows.
pub fn rows(e: &DrEvidence) -> Vec<(&'static str, String)> {
    let mut out = vec![(
        "method",
        if e.method.is_empty() {
            "not recorded".to_string()
        } else {
            e.method.clone()
        },
    )];
    if !e.rpo_expectation.is_empty() {
        out.push(("RPO expectation", e.rpo_expectation.clone()));
    }
    let backup = match (e.backup_bytes, e.backup_s) {
        (None, None) => "no backup in this drill".to_string(),
        (b, s) => format!(
            "{}, {}",
            b.map_or("size not measured".into(), bytes),
            s.map_or("duration not measured".into(), |s| format!(
                "took {}",
                seconds(s)
            ))
        ),
    };
    out.push(("backup", backup));
    out.push((
        "restore",
        e.restore_s.map_or("duration not measured".into(), |s| {
            format!("took {}", seconds(s))
        }),
    ));
    out.push((
        "RTO",
        format!(
            "{}{}",
            e.rto_s.map_or_else(|| e.rto_note().to_string(), seconds),
            verdict_of(e, "rto_s")
        ),
    ));
    let rpo = match (e.rpo_s, e.lost_writes) {
        (None, None) => "not measured: no heartbeat in this drill".to_string(),
        (s, w) => format!(
            "{}, {} lost writes",
            s.map_or("-".into(), seconds),
            w.map_or("-".into(), |w| w.to_string())
        ),
    };
    let rpo_verdict = if e.objective("lost_writes").is_some() {
        verdict_of(e, "lost_writes")
    } else {
        verdict_of(e, "rpo_s")
    };
    out.push(("RPO", format!("{rpo}{rpo_verdict}")));
    out.push(("integrity", e.integrity_summary()));
    out
}

/// The timeline in one line: `T0-4.80s backup started; T0 disaster (T0); ...`.
pub fn timeline(e: &DrEvidence) -> String {
    e.timeline
        .iter()
        .map(|p| format!("{} {}", p.relative(), p.mark.as_str()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A checksum shortened for a table cell.
pub fn short_sum(s: &str) -> String {
    if s.chars().count() > 16 {
        format!("{}…", s.chars().take(16).collect::<String>())
    } else {
        s.to_string()
    }
}
