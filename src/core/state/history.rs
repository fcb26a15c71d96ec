//! The history view: what history handed the run at its start (score
//! trend, p95 trends, risk), the change-impact selection, and production
//! outcomes recorded after the run; and every load stage's summary, which
//! history indexes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::event::{Envelope, Event};
use crate::core::history::{
    EndpointTrend, HistoryContext, ProductionOutcome, TrendCheck, check_against_trend,
    check_below_trend,
};
use crate::core::state::RunState;

/// A production outcome as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeRecord {
    /// When it was recorded.
    pub ts: DateTime<Utc>,
    /// Who recorded it.
    pub actor: String,
    /// What happened.
    pub outcome: ProductionOutcome,
}

/// Fold the events history and change impact own.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::HistoryContext(h) => s.history = Some((**h).clone()),
        Event::ChangeImpact(sel) => s.impact = Some((**sel).clone()),
        Event::OutcomeRecorded { actor, outcome } => s.production.push(OutcomeRecord {
            ts: env.ts,
            actor: actor.clone(),
            outcome: outcome.clone(),
        }),
        Event::LoadSummary { stage, summary } => {
            s.load_summaries.retain(|(st, _)| st != stage);
            s.load_summaries.push((stage.clone(), summary.clone()));
        }
        _ => {}
    }
}

impl RunState {
    /// The latest production outcome recorded for this run.
    pub fn production_outcome(&self) -> Option<&OutcomeRecord> {
        self.production.last()
    }

    /// Scores of earlier runs of this service, oldest first (empty without history).
    pub fn score_trend(&self) -> Vec<f64> {
        self.history
            .as_ref()
            .map(|h| h.scores.iter().map(|p| p.score).collect())
            .unwrap_or_default()
    }

    /// An endpoint's p95 over earlier runs, if history has it.
    pub fn p95_trend(&self, endpoint: &str) -> Option<&EndpointTrend> {
        self.history
            .as_ref()?
            .p95
            .iter()
            .find(|t| t.endpoint == endpoint)
    }

    /// The endpoint's p95 now judged against its trend: a regression when
    /// it is above the trend's median by more than the history's tolerance
    /// and by more than the trend's own spread.
    pub fn p95_against_trend(&self, endpoint: &str, p95_ms: f64) -> Option<TrendCheck> {
        let h = self.history.as_ref()?;
        let t = self.p95_trend(endpoint)?;
        let earlier: Vec<f64> = t.points.iter().map(|p| p.value).collect();
        check_against_trend(&earlier, p95_ms, h.tolerance_pct)
    }

    /// A stage's sustainable capacity now judged against its trend over
    /// earlier runs: a regression when it fell below the trend's median by
    /// more than the history's tolerance and the trend's own spread.
    pub fn capacity_against_trend(&self, stage: &str, sustainable_rps: f64) -> Option<TrendCheck> {
        let h = self.history.as_ref()?;
        let t = h.capacity.iter().find(|t| t.endpoint == stage)?;
        let earlier: Vec<f64> = t.points.iter().map(|p| p.value).collect();
        check_below_trend(&earlier, sustainable_rps, h.tolerance_pct)
    }

    /// What history handed the run, if anything.
    pub fn history_context(&self) -> Option<&HistoryContext> {
        self.history.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::history::{EndpointTrend, OutcomeSource, ProductionResult, TrendPoint};
    use crate::core::load::Summary;

    fn env(seq: u64, event: Event) -> Envelope {
        Envelope {
            v: 1,
            seq,
            ts: chrono::DateTime::from_timestamp(1_700_000_000 + seq as i64, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn history_outcomes_and_every_load_summary_are_folded() {
        let trend = |values: &[f64]| EndpointTrend {
            endpoint: "checkout".into(),
            points: values
                .iter()
                .map(|v| TrendPoint {
                    run_id: "r".into(),
                    release: "1".into(),
                    value: *v,
                })
                .collect(),
        };
        let ctx = HistoryContext {
            p95: vec![trend(&[30.0, 31.0, 29.0, 30.0])],
            capacity: Vec::new(),
            ..HistoryContext::default()
        };
        let summary = |p95: f64| {
            let mut s = Summary::default();
            s.latency.p95_ms = p95;
            s
        };
        let outcome = ProductionOutcome {
            result: ProductionResult::RolledBack,
            severity: None,
            restore_minutes: Some(12.0),
            note: None,
            source: OutcomeSource::Cli,
        };
        let s = RunState::from_envelopes(&[
            env(1, Event::HistoryContext(Box::new(ctx))),
            env(
                2,
                Event::LoadSummary {
                    stage: "load".into(),
                    summary: summary(10.0),
                },
            ),
            env(
                3,
                Event::LoadSummary {
                    stage: "soak".into(),
                    summary: summary(20.0),
                },
            ),
            env(
                4,
                Event::LoadSummary {
                    stage: "load".into(),
                    summary: summary(11.0),
                },
            ),
            env(
                5,
                Event::OutcomeRecorded {
                    actor: "sam".into(),
                    outcome: outcome.clone(),
                },
            ),
        ]);
        let stages: Vec<(&str, f64)> = s
            .load_summaries
            .iter()
            .map(|(st, sum)| (st.as_str(), sum.latency.p95_ms))
            .collect();
        assert_eq!(stages, [("soak", 20.0), ("load", 11.0)]);
        assert_eq!(s.production_outcome().map(|o| &o.outcome), Some(&outcome));
        let c = s.p95_against_trend("checkout", 45.0).expect("trend");
        assert!(c.regressed, "{c:?}");
        assert!(
            !s.p95_against_trend("checkout", 31.0)
                .expect("trend")
                .regressed
        );
        assert!(s.p95_against_trend("cart", 45.0).is_none());
    }
}
