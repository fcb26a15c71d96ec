//! Disaster-recovery drill vocabulary: the timeline a recovery drill
//! journals (`drill_mark`: backup, disaster at T0, restore started, data
//! verified, service healthy), the recovery's evidence (`drill_recovery`:
//! method, per-table integrity, the heartbeat's acknowledged and restored
//! writes), and the RTO and RPO arithmetic, which is pure so that the
//! runner, the fold, the pane and the reports agree on one number.
//!
//! - **RTO** runs from the disaster mark to the *later* of "data verified"
//!   and "service healthy": a service that answers but holds the wrong data
//!   has not recovered.
//! - **RPO** is measured by the heartbeat: the last write acknowledged
//!   before the disaster against the newest write found after the restore.

use serde::{Deserialize, Serialize};

/// A point on a recovery drill's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// The backup began.
    BackupStarted,
    /// The backup ended (and verified itself where it can).
    BackupDone,
    /// The disaster: T0, the start of the RTO clock.
    Disaster,
    /// The restore (or the failover) began.
    RestoreStarted,
    /// The restore's own work ended (the server may not answer yet).
    RestoreDone,
    /// The restored data was read and matched what was expected.
    DataVerified,
    /// The service's health probe passed and a real read succeeded.
    ServiceHealthy,
}

impl Mark {
    /// Name as journalled and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::BackupStarted => "backup started",
            Mark::BackupDone => "backup done",
            Mark::Disaster => "disaster (T0)",
            Mark::RestoreStarted => "restore started",
            Mark::RestoreDone => "restore done",
            Mark::DataVerified => "data verified",
            Mark::ServiceHealthy => "service healthy",
        }
    }
}

/// `drill_mark`: a recovery drill reached a point of its timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillMark {
    /// Stage id.
    pub stage: String,
    /// Drill name.
    pub drill: String,
    /// Which point.
    pub mark: Mark,
    /// Milliseconds since the drill started, from a monotonic clock (the
    /// envelope's wall-clock time may step).
    pub at_ms: u64,
    /// One line about it (`pg_ctl kill of process group 4242`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// A point of a timeline as the fold keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkAt {
    /// Which point.
    pub mark: Mark,
    /// Milliseconds since the drill started.
    pub at_ms: u64,
    /// One line about it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Milliseconds from the disaster to `mark`, when both happened.
pub fn since_disaster(marks: &[MarkAt], mark: Mark) -> Option<u64> {
    let t0 = at(marks, Mark::Disaster)?;
    at(marks, mark).map(|t| t.saturating_sub(t0))
}

/// When `mark` happened (its latest occurrence).
pub fn at(marks: &[MarkAt], mark: Mark) -> Option<u64> {
    marks.iter().rev().find(|m| m.mark == mark).map(|m| m.at_ms)
}

/// RTO in seconds: from the disaster until the data is verified *and* the
/// service is healthy. `None` (not measured) when the disaster did not
/// happen or either of the two never came: an aborted restore has no RTO.
pub fn rto_s(marks: &[MarkAt]) -> Option<f64> {
    let verified = since_disaster(marks, Mark::DataVerified)?;
    let healthy = since_disaster(marks, Mark::ServiceHealthy)?;
    Some(verified.max(healthy) as f64 / 1000.0)
}

/// A heartbeat write: its sequence number and when its commit returned
/// (milliseconds since the drill started).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Sequence number (1, 2, ...).
    pub seq: u64,
    /// When the commit returned, milliseconds since the drill started.
    pub at_ms: u64,
}

/// The recovery point as measured.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rpo {
    /// Acknowledged writes missing after the restore.
    pub lost_writes: u64,
    /// Seconds between the last acknowledged write and the newest restored
    /// one (0 when nothing acknowledged was lost).
    pub rpo_s: f64,
}

/// RPO from the heartbeat: `last_acked` is the last write acknowledged
/// before the disaster; `restored` the newest heartbeat write found after
/// the restore, with the time its commit was acknowledged (`None` when no
/// heartbeat row came back); `started_ms` is when the heartbeat began (the
/// recovery point when nothing came back). A restored write newer than the
/// last acknowledged one (committed, its acknowledgement in flight at the
/// disaster) loses nothing.
pub fn rpo(last_acked: Option<Ack>, restored: Option<Ack>, started_ms: u64) -> Rpo {
    let Some(last) = last_acked else {
        return Rpo {
            lost_writes: 0,
            rpo_s: 0.0,
        };
    };
    let (seq, at) = restored.map_or((0, started_ms), |r| (r.seq, r.at_ms));
    if seq >= last.seq {
        return Rpo {
            lost_writes: 0,
            rpo_s: 0.0,
        };
    }
    Rpo {
        lost_writes: last.seq - seq,
        rpo_s: last.at_ms.saturating_sub(at) as f64 / 1000.0,
    }
}

/// One table's integrity after the restore: its row count and an
/// order-independent checksum (a sum of row hashes computed in SQL)
/// against the values expected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableIntegrity {
    /// `schema.table`.
    pub table: String,
    /// Rows expected (taken at backup time, or at the last acknowledged
    /// point for WAL-based methods).
    pub expected_rows: i64,
    /// Rows found after the restore (`-1` when the table could not be read).
    pub restored_rows: i64,
    /// The expected checksum, as text (it may exceed 64 bits).
    pub expected_sum: String,
    /// The checksum found.
    pub restored_sum: String,
    /// Count and checksum both match.
    pub ok: bool,
    /// Why it does not match, or how the expectation was formed
    /// (`heartbeat rows up to seq 412 accounted for`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// `drill_recovery`: a recovery drill's evidence, once it is known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillRecovery {
    /// Stage id.
    pub stage: String,
    /// Drill name.
    pub drill: String,
    /// The method (`pg_dump -Fc + pg_restore -j 2`, `failover`).
    pub method: String,
    /// What the method promises for RPO, in words (`everything after the
    /// dump is lost`, `nothing acknowledged is lost`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rpo_expectation: String,
    /// The last heartbeat write acknowledged before the disaster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_acked: Option<Ack>,
    /// The newest heartbeat write found after the restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<Ack>,
    /// Per-table integrity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integrity: Vec<TableIntegrity>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(mark: Mark, at_ms: u64) -> MarkAt {
        MarkAt {
            mark,
            at_ms,
            detail: String::new(),
        }
    }

    #[test]
    fn rto_runs_from_the_disaster_to_the_later_of_verified_and_healthy() {
        let marks = [
            m(Mark::BackupStarted, 100),
            m(Mark::BackupDone, 900),
            m(Mark::Disaster, 5_000),
            m(Mark::RestoreStarted, 5_010),
            m(Mark::ServiceHealthy, 7_500),
            m(Mark::DataVerified, 8_250),
        ];
        assert_eq!(rto_s(&marks), Some(3.25));
        assert_eq!(since_disaster(&marks, Mark::RestoreStarted), Some(10));
        // Healthy after verified: the later one stops the clock.
        let marks = [
            m(Mark::Disaster, 1_000),
            m(Mark::DataVerified, 2_000),
            m(Mark::ServiceHealthy, 4_500),
        ];
        assert_eq!(rto_s(&marks), Some(3.5));
    }

    #[test]
    fn rto_is_not_measured_without_a_disaster_or_a_verified_restore() {
        assert_eq!(rto_s(&[m(Mark::ServiceHealthy, 10)]), None);
        // Aborted mid-restore: healthy never came.
        let aborted = [
            m(Mark::Disaster, 1_000),
            m(Mark::RestoreStarted, 1_100),
            m(Mark::DataVerified, 2_000),
        ];
        assert_eq!(rto_s(&aborted), None);
    }

    #[test]
    fn rpo_counts_lost_acknowledged_writes_and_their_seconds() {
        // A dump taken at seq 40; the heartbeat went on to 120 (100 ms apart).
        let last = Ack {
            seq: 120,
            at_ms: 12_000,
        };
        let restored = Ack {
            seq: 40,
            at_ms: 4_000,
        };
        let r = rpo(Some(last), Some(restored), 0);
        assert_eq!(r.lost_writes, 80);
        assert!((r.rpo_s - 8.0).abs() < 1e-9);
        // A synchronous stream: everything acknowledged came back.
        let r = rpo(Some(last), Some(last), 0);
        assert_eq!((r.lost_writes, r.rpo_s), (0, 0.0));
        // A write committed but not yet acknowledged came back too.
        let newer = Ack {
            seq: 121,
            at_ms: 12_100,
        };
        assert_eq!(rpo(Some(last), Some(newer), 0).lost_writes, 0);
    }

    #[test]
    fn rpo_when_no_heartbeat_row_came_back_reaches_the_heartbeat_start() {
        let last = Ack {
            seq: 30,
            at_ms: 4_000,
        };
        let r = rpo(Some(last), None, 1_000);
        assert_eq!(r.lost_writes, 30);
        assert!((r.rpo_s - 3.0).abs() < 1e-9);
        // Nothing was acknowledged: nothing can be lost.
        assert_eq!(rpo(None, None, 0).lost_writes, 0);
    }
}
