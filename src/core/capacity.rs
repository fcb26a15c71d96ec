//! What a capacity search emits: one [`CapacityStep`] per rate tried, then
//! one [`CapacityResult`]. Plain data, journalled, folded by
//! `RunState::apply`, read by the Load pane, the reports and history.

use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;

/// Why a step was run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepPhase {
    /// Rising in steps until the SLO breaks.
    Ramp,
    /// Refining between the last good and the first bad rate.
    Bisect,
    /// A noisy step, run again once.
    Repeat,
}

/// How a step was judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Within the SLO: sustainable.
    WithinSlo,
    /// The SLO broke at this rate.
    Breached,
    /// Errors above the safety bound: the search stopped here.
    Unsafe,
    /// The generator could not keep the rate while the target answered in
    /// time: the generator, not the target, was the limit.
    GeneratorLimited,
    /// The windows disagreed too much to judge.
    Noisy,
}

impl StepOutcome {
    /// A short word for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::WithinSlo => "ok",
            StepOutcome::Breached => "breach",
            StepOutcome::Unsafe => "unsafe",
            StepOutcome::GeneratorLimited => "gen-limit",
            StepOutcome::Noisy => "noisy",
        }
    }
}

/// One rate held and judged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CapacityStep {
    /// Step number, from 1.
    pub index: u32,
    /// Why it ran.
    pub phase: Option<StepPhase>,
    /// Offered (scheduled) rate, requests per second.
    pub rate_rps: f64,
    /// Completed requests per second.
    pub achieved_rps: f64,
    /// Requests completed.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Failed share.
    pub error_rate: f64,
    /// Corrected latency percentiles over the step, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// 99th percentile from the actual send (the target's own time), ms.
    pub p99_uncorrected_ms: f64,
    /// 99th percentile of the generator's send lag, ms.
    pub lag_p99_ms: f64,
    /// The judgement.
    pub outcome: Option<StepOutcome>,
    /// The SLO lines, e.g. `p99 412.0ms >= 300ms`.
    pub detail: String,
}

/// The outcome of a search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapacityResult {
    /// The highest rate that held the SLO; `None` when no step did, or the
    /// search was inconclusive (never a figure from a saturated generator).
    pub sustainable_rps: Option<f64>,
    /// Where latency starts to rise faster than linearly.
    pub knee_rps: Option<f64>,
    /// The peak the release must carry.
    pub required_rps: f64,
    /// The margin asked for above `required_rps`.
    pub headroom: f64,
    /// `sustainable_rps / required_rps`.
    pub headroom_achieved: Option<f64>,
    /// The search never broke the SLO: the figure is a lower bound at `max_rate`.
    pub bounded_by_max_rate: bool,
    /// The SLO as written.
    pub slo: Vec<String>,
    /// Pass, warn, fail or inconclusive.
    pub verdict: Verdict,
    /// One sentence: why this verdict.
    pub reason: String,
    /// Every step, in the order run.
    pub curve: Vec<CapacityStep>,
}

/// The `capacity_step` event's payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepEvent {
    /// Stage id.
    pub stage: String,
    /// The required peak, for the live chart's mark.
    pub required_rps: f64,
    /// The step.
    pub step: CapacityStep,
}

/// The `capacity_result` event's payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultEvent {
    /// Stage id.
    pub stage: String,
    /// The result, with the whole curve.
    pub result: CapacityResult,
}
