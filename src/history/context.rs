//! What history hands a run at its start (the `history_context` event):
//! the score trend of recent releases, each load endpoint's p95 trend, each
//! capacity search's sustainable rate, and the release's risk.

use super::config::HistorySection;
use super::error::StoreError;
use super::queries;
use super::risk::{self, PastRun};
use super::store::Store;
use crate::core::history::{EndpointTrend, HistoryContext, ScorePoint, TrendPoint};
use crate::core::impact::ChangeSet;

/// Build the context for a run of `service` with these load endpoint names
/// (all traffic is always included) and this change.
pub fn build(
    store: &mut Store,
    service: &str,
    cfg: &HistorySection,
    endpoints: &[String],
    change: Option<&ChangeSet>,
) -> Result<HistoryContext, StoreError> {
    store.read(|c| {
        let trend = cfg.trend_runs as usize;
        let results = queries::production_results(c, service)?;
        let mut recent = queries::runs(c, Some(service), trend.max(cfg.risk.recent_runs as usize))?;
        let past: Vec<PastRun> = recent
            .iter()
            .take(cfg.risk.recent_runs as usize)
            .map(|r| PastRun {
                decision: r.decision,
                production: results.get(&r.run_id).copied(),
            })
            .collect();
        recent.truncate(trend);
        recent.reverse();
        let scores = recent
            .iter()
            .filter_map(|r| {
                Some(ScorePoint {
                    run_id: r.run_id.clone(),
                    release: r.release.clone(),
                    started_at: chrono::DateTime::parse_from_rfc3339(&r.started_at)
                        .ok()?
                        .with_timezone(&chrono::Utc),
                    score: r.score?,
                    outcome: r.decision?,
                    production: results.get(&r.run_id).copied(),
                })
            })
            .collect();
        let mut p95 = Vec::new();
        let names = std::iter::once("all").chain(endpoints.iter().map(String::as_str));
        for name in names {
            let mut series = queries::load_series(c, service, name)?;
            if series.len() > trend {
                series.drain(..series.len() - trend);
            }
            if !series.is_empty() {
                p95.push(EndpointTrend {
                    endpoint: name.to_string(),
                    points: series
                        .into_iter()
                        .map(|(r, l)| TrendPoint {
                            run_id: r.run_id,
                            release: r.release,
                            value: l.p95_ms,
                        })
                        .collect(),
                });
            }
        }
        let mut capacity: Vec<EndpointTrend> = Vec::new();
        for run in &recent {
            for row in super::capacity::of_run(c, &run.run_id)? {
                let Some(v) = row.sustainable_rps else {
                    continue;
                };
                let point = TrendPoint {
                    run_id: run.run_id.clone(),
                    release: run.release.clone(),
                    value: v,
                };
                match capacity.iter_mut().find(|t| t.endpoint == row.stage) {
                    Some(t) => t.points.push(point),
                    None => capacity.push(EndpointTrend {
                        endpoint: row.stage,
                        points: vec![point],
                    }),
                }
            }
        }
        let touched = queries::changed_paths_with_results(c, service)?;
        let risk = risk::assess(&past, &touched, change, &cfg.risk);
        let calibrations = super::calibrations::latest(c, service)?;
        Ok(HistoryContext {
            scores,
            p95,
            capacity,
            risk: Some(risk),
            tolerance_pct: cfg.trend_tolerance_pct,
            calibrations,
        })
    })
}
