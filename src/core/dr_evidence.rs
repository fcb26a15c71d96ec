//! A recovery drill's evidence as every face shows it (the Drills pane's
//! timeline, `report.json`, `report.md`, `report.html`), derived from one
//! folded [`DrillView`] so they cannot disagree: the timeline relative to
//! T0, RTO and RPO (seconds and lost writes) against their objectives,
//! backup size and duration, restore duration, and integrity per table.
//!
//! Durations come from the kind's measurements (`backup_s`, `restore_s`)
//! or, when it measured none, from its marks (backup started to done,
//! restore started to done). RPO comes from the measurements `rpo_s` and
//! `lost_writes`, else from the heartbeat in the recovery evidence.

use serde::Serialize;

use crate::core::disaster::{Mark, TableIntegrity, at, rpo};
use crate::core::drill::{DrillKind, ObjectiveResult};
use crate::core::state::DrillView;
use crate::core::verdict::Verdict;

/// One point of the timeline, relative to the disaster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelinePoint {
    /// Which point.
    pub mark: Mark,
    /// Milliseconds since the drill started.
    pub at_ms: u64,
    /// Milliseconds since the disaster (negative before it); `None`
    /// before any disaster.
    pub since_t0_ms: Option<i64>,
    /// One line about it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl TimelinePoint {
    /// `T0`, `T0+1.20s`, `T0-3.00s`, or `+1.20s` (from the drill's start)
    /// before the disaster happened.
    pub fn relative(&self) -> String {
        match self.since_t0_ms {
            Some(0) => "T0".into(),
            Some(ms) if ms > 0 => format!("T0+{:.2}s", ms as f64 / 1000.0),
            Some(ms) => format!("T0-{:.2}s", (-ms) as f64 / 1000.0),
            None => format!("+{:.2}s", self.at_ms as f64 / 1000.0),
        }
    }
}

/// A recovery drill's evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrEvidence {
    /// Stage id.
    pub stage: String,
    /// Drill name.
    pub drill: String,
    /// Its kind.
    pub kind: DrillKind,
    /// Verdict, once finished.
    pub verdict: Option<Verdict>,
    /// The method, once known.
    pub method: String,
    /// What the method promises for RPO.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rpo_expectation: String,
    /// The timeline.
    pub timeline: Vec<TimelinePoint>,
    /// RTO, seconds: `None` when not measured (no disaster, or the data
    /// was never verified, or the service never healthy).
    pub rto_s: Option<f64>,
    /// RPO, seconds (`None` without a heartbeat).
    pub rpo_s: Option<f64>,
    /// Acknowledged writes lost (`None` without a heartbeat).
    pub lost_writes: Option<u64>,
    /// Backup size, bytes.
    pub backup_bytes: Option<u64>,
    /// Backup duration, seconds.
    pub backup_s: Option<f64>,
    /// Restore duration, seconds.
    pub restore_s: Option<f64>,
    /// Integrity per table (or per file, with sizes and SHA-256).
    pub integrity: Vec<TableIntegrity>,
    /// The objectives as judged (or declared, not judged yet).
    pub objectives: Vec<ObjectiveResult>,
}

fn span_s(marks: &[crate::core::disaster::MarkAt], from: Mark, to: Mark) -> Option<f64> {
    let (a, b) = (at(marks, from)?, at(marks, to)?);
    (b >= a).then(|| (b - a) as f64 / 1000.0)
}

impl DrEvidence {
    /// The evidence of a drill that has a timeline or recovery evidence.
    pub fn of(d: &DrillView) -> Option<DrEvidence> {
        if d.marks.is_empty() && d.recovery.is_none() {
            return None;
        }
        let t0 = at(&d.marks, Mark::Disaster);
        let mut timeline: Vec<TimelinePoint> = d
            .marks
            .iter()
            .map(|m| TimelinePoint {
                mark: m.mark,
                at_ms: m.at_ms,
                since_t0_ms: t0.map(|t| m.at_ms as i64 - t as i64),
                detail: m.detail.clone(),
            })
            .collect();
        // A kind may journal a mark once it knows when it happened (the
        // first of a run of successes): shown in time order.
        timeline.sort_by_key(|p| p.at_ms);
        let heartbeat = d
            .recovery
            .as_ref()
            .filter(|r| r.last_acked.is_some())
            .map(|r| rpo(r.last_acked, r.restored, 0));
        let rpo_s = d.measured("rpo_s").or(heartbeat.map(|h| h.rpo_s));
        let lost_writes = d
            .measured("lost_writes")
            .map(|v| v.max(0.0) as u64)
            .or(heartbeat.map(|h| h.lost_writes));
        let objectives = if d.results.is_empty() {
            d.objectives
                .iter()
                .map(|o| ObjectiveResult {
                    objective: o.clone(),
                    measured: d.measured(&o.measure),
                    verdict: Verdict::Inconclusive,
                })
                .collect()
        } else {
            d.results.clone()
        };
        Some(DrEvidence {
            stage: d.stage.clone(),
            drill: d.name.clone(),
            kind: d.kind,
            verdict: d.verdict,
            method: d
                .recovery
                .as_ref()
                .map(|r| r.method.clone())
                .unwrap_or_default(),
            rpo_expectation: d
                .recovery
                .as_ref()
                .map(|r| r.rpo_expectation.clone())
                .unwrap_or_default(),
            timeline,
            rto_s: d.rto_s(),
            rpo_s,
            lost_writes,
            backup_bytes: d.measured("backup_bytes").map(|v| v.max(0.0) as u64),
            backup_s: d
                .measured("backup_s")
                .or_else(|| span_s(&d.marks, Mark::BackupStarted, Mark::BackupDone)),
            restore_s: d
                .measured("restore_s")
                .or_else(|| span_s(&d.marks, Mark::RestoreStarted, Mark::RestoreDone)),
            integrity: d
                .recovery
                .as_ref()
                .map(|r| r.integrity.clone())
                .unwrap_or_default(),
            objectives,
        })
    }

    /// The judged objective on `measure`, if one was declared.
    pub fn objective(&self, measure: &str) -> Option<&ObjectiveResult> {
        self.objectives
            .iter()
            .find(|o| o.objective.measure == measure)
    }

    /// `3/3 tables match`, or the first mismatch in words.
    pub fn integrity_summary(&self) -> String {
        let n = self.integrity.len();
        if n == 0 {
            return "integrity not checked yet".into();
        }
        let ok = self.integrity.iter().filter(|t| t.ok).count();
        match self.integrity.iter().find(|t| !t.ok) {
            None => format!("{ok}/{n} tables match"),
            Some(t) => format!(
                "{ok}/{n} tables match; {} MISMATCH: count {} -> {}{}",
                t.table,
                t.expected_rows,
                t.restored_rows,
                if t.note.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", t.note)
                }
            ),
        }
    }

    /// Why RTO is not measured, in words (empty when it is).
    pub fn rto_note(&self) -> &'static str {
        if self.rto_s.is_some() {
            ""
        } else if !self.timeline.iter().any(|p| p.mark == Mark::Disaster) {
            "not measured: no disaster yet"
        } else if self.verdict.is_none() {
            "not measured yet: recovering"
        } else {
            "not measured: the data was never verified or the service never healthy"
        }
    }
}

/// Bytes as shown (`4.1 MB`, `512 B`), in powers of 1000.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Seconds as shown (`2.60s`).
pub fn seconds(v: f64) -> String {
    format!("{v:.2}s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::disaster::{Ack, DrillRecovery, MarkAt};
    use crate::core::drill::Objective;

    fn view() -> DrillView {
        let m = |mark, at_ms| MarkAt {
            mark,
            at_ms,
            detail: String::new(),
        };
        DrillView {
            stage: "dr".into(),
            name: "pg".into(),
            kind: DrillKind::Experiment,
            started_at: chrono::DateTime::<chrono::Utc>::default(),
            finished_at: None,
            timeout_ms: 0,
            steps: Vec::new(),
            measurements: Vec::new(),
            objectives: vec![Objective::parse("rto_s <= 5").unwrap()],
            results: Vec::new(),
            verdict: None,
            end: None,
            summary: String::new(),
            rolled_back: false,
            rollback_failed: false,
            marks: vec![
                m(Mark::BackupStarted, 200),
                m(Mark::BackupDone, 1_400),
                m(Mark::Disaster, 5_000),
                m(Mark::RestoreStarted, 5_100),
                m(Mark::RestoreDone, 6_600),
                m(Mark::ServiceHealthy, 7_000),
                m(Mark::DataVerified, 7_600),
            ],
            recovery: Some(DrillRecovery {
                stage: "dr".into(),
                drill: "pg".into(),
                method: "pg_dump -Fc".into(),
                rpo_expectation: String::new(),
                last_acked: Some(Ack {
                    seq: 50,
                    at_ms: 4_900,
                }),
                restored: Some(Ack {
                    seq: 12,
                    at_ms: 1_100,
                }),
                integrity: vec![
                    TableIntegrity {
                        table: "public.a".into(),
                        expected_rows: 3,
                        restored_rows: 3,
                        expected_sum: "1".into(),
                        restored_sum: "1".into(),
                        ok: true,
                        note: String::new(),
                    },
                    TableIntegrity {
                        table: "public.b".into(),
                        expected_rows: 10,
                        restored_rows: 9,
                        expected_sum: "7".into(),
                        restored_sum: "6".into(),
                        ok: false,
                        note: String::new(),
                    },
                ],
            }),
        }
    }

    #[test]
    fn evidence_from_marks_and_the_heartbeat() {
        let e = DrEvidence::of(&view()).unwrap();
        assert_eq!(e.rto_s, Some(2.6));
        // No measurement: durations from the marks, RPO from the heartbeat.
        assert_eq!(e.backup_s, Some(1.2));
        assert_eq!(e.restore_s, Some(1.5));
        assert_eq!(e.lost_writes, Some(38));
        assert!((e.rpo_s.unwrap() - 3.8).abs() < 1e-9);
        assert_eq!(e.timeline[0].relative(), "T0-4.80s");
        assert_eq!(e.timeline[2].relative(), "T0");
        assert_eq!(e.timeline[6].relative(), "T0+2.60s");
        assert!(
            e.integrity_summary()
                .starts_with("1/2 tables match; public.b MISMATCH: count 10 -> 9"),
            "{}",
            e.integrity_summary()
        );
        assert_eq!(e.objective("rto_s").unwrap().measured, None);
        assert_eq!(bytes(4_100_000), "4.1 MB");
        assert_eq!(bytes(512), "512 B");
    }

    #[test]
    fn measurements_win_and_an_unverified_restore_has_no_rto() {
        let mut v = view();
        v.marks.retain(|m| m.mark != Mark::DataVerified);
        v.measurements.push(crate::core::state::Measured {
            name: "lost_writes".into(),
            value: 0.0,
        });
        v.verdict = Some(Verdict::Fail);
        let e = DrEvidence::of(&v).unwrap();
        assert_eq!(e.lost_writes, Some(0));
        assert_eq!(e.rto_s, None);
        assert!(e.rto_note().contains("never verified"));
        v.marks.clear();
        v.recovery = None;
        assert!(DrEvidence::of(&v).is_none());
    }
}
