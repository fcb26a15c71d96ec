//! The history view: what history handed the run at its start (score
//! trend, p95 trends, risk), the change-impact selection, and production
//! outcomes recorded after the run; and every load stage's summary, which
//! history indexes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::event::{Envelope, Event};
use crate::core::history::{
    EndpointTrend, HistoryContext, ProductionOutcome, TrendCheck, check_against_trend,
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

    /// What history handed the run, if anything.
    pub fn history_context(&self) -> Option<&HistoryContext> {
        self.history.as_ref()
    }
}
