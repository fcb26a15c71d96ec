//! Capacity searches in history: each run's sustainable rate per load
//! stage, so that `history trend --metric capacity` shows the series and a
//! release whose capacity fell below its trend is marked a regression.

use serde::Serialize;

use super::error::StoreError;
use super::store::{Conn, Value, parse_name};
use crate::core::state::RunState;
use crate::core::verdict::Verdict;

/// One capacity search's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityRow {
    /// Load stage that ran the search.
    pub stage: String,
    /// Highest rate within the SLO (none when the search was inconclusive).
    pub sustainable_rps: Option<f64>,
    /// Where latency began to rise faster than linearly.
    pub knee_rps: Option<f64>,
    /// The required peak.
    pub required_rps: f64,
    /// The headroom asked for.
    pub headroom: f64,
    /// The search's verdict.
    pub verdict: Verdict,
}

/// The searches that ended in a run.
pub fn rows_of(s: &RunState) -> Vec<CapacityRow> {
    s.capacity
        .iter()
        .filter_map(|c| {
            let r = c.result.as_ref()?;
            Some(CapacityRow {
                stage: c.stage.clone(),
                sustainable_rps: r.sustainable_rps,
                knee_rps: r.knee_rps,
                required_rps: r.required_rps,
                headroom: r.headroom,
                verdict: r.verdict,
            })
        })
        .collect()
}

/// Write a run's capacity rows (its old ones are already deleted).
pub fn insert(c: &mut dyn Conn, run_id: &str, rows: &[CapacityRow]) -> Result<(), StoreError> {
    for r in rows {
        c.exec(
            "INSERT INTO capacity_results (run_id, stage, sustainable_rps, knee_rps, required_rps, headroom, verdict)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                run_id.into(),
                r.stage.as_str().into(),
                r.sustainable_rps.into(),
                r.knee_rps.into(),
                r.required_rps.into(),
                r.headroom.into(),
                r.verdict.as_str().into(),
            ],
        )?;
    }
    Ok(())
}

/// A run's capacity rows.
pub fn of_run(c: &mut dyn Conn, run_id: &str) -> Result<Vec<CapacityRow>, StoreError> {
    Ok(c.query(
        "SELECT stage, sustainable_rps, knee_rps, required_rps, headroom, verdict
             FROM capacity_results WHERE run_id = $1 ORDER BY stage",
        &[Value::from(run_id)],
    )?
    .iter()
    .map(|r| CapacityRow {
        stage: r.text(0),
        sustainable_rps: r.opt_f64(1),
        knee_rps: r.opt_f64(2),
        required_rps: r.f64(3),
        headroom: r.f64(4),
        verdict: parse_name(&r.text(5)).unwrap_or(Verdict::Inconclusive),
    })
    .collect())
}
