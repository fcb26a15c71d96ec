//! Judge configuration: per-metric parameters with documented defaults.

use serde::{Deserialize, Serialize};

pub use crate::core::canary::Direction;

/// What to do with windows that have no value (no canary requests in a second).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Drop missing values, then judge what is left (default).
    #[default]
    Drop,
    /// Count a missing value as 0 (sensible for counters, wrong for latency).
    Zero,
    /// Any missing value makes the metric NODATA.
    Nodata,
}

/// Statistical parameters of one metric. Defaults follow Kayenta's
/// Mann-Whitney classifier as Netflix runs it (confidence 0.98, tolerance 0.25,
/// effect-size bounds 1.0), plus a minimum sample count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgeParams {
    /// Confidence level of the shift interval. Default 0.98: at one judgement
    /// per step and several metrics, 0.95 gives too many false alarms.
    pub confidence: f64,
    /// A significant shift must also clear `tolerance * |Hodges-Lehmann
    /// estimate|` with its whole interval (Kayenta's bound). Default 0.25.
    pub tolerance: f64,
    /// An increase fails only if canary mean / baseline mean >= this. Default 1.0.
    pub effect_size_high: f64,
    /// A decrease fails only if canary mean / baseline mean <= this. Default 1.0.
    pub effect_size_low: f64,
    /// The interval must also clear this absolute shift (ms, or a rate), so
    /// that a 0.3 ms change on a 2 ms endpoint does not fail. Default 0.
    pub min_abs_shift: f64,
    /// Fewer values than this on either side: NODATA. Default 10.
    pub min_samples: usize,
    /// Missing values. Default `drop`.
    pub missing: Missing,
}

impl Default for JudgeParams {
    fn default() -> Self {
        JudgeParams {
            confidence: 0.98,
            tolerance: 0.25,
            effect_size_high: 1.0,
            effect_size_low: 1.0,
            min_abs_shift: 0.0,
            min_samples: 10,
            missing: Missing::Drop,
        }
    }
}

/// A per-window figure the load engine reports per variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadMetric {
    /// Median latency, ms.
    P50,
    /// 95th percentile latency, ms.
    P95,
    /// 99th percentile latency, ms.
    P99,
    /// errors / requests in the window.
    ErrorRate,
}

/// Where a metric's samples come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricSource {
    /// Per-second load windows: `source = "p95"`.
    Load(LoadMetric),
    /// Two PromQL range queries: `source = { baseline = "...", canary = "..." }`.
    Promql {
        /// Query for the baseline series.
        baseline: String,
        /// Query for the canary series.
        canary: String,
    },
}

/// One metric of the judgement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    /// Name shown in the judgement, e.g. `p95 latency`.
    pub name: String,
    /// Where the samples come from.
    pub source: MetricSource,
    /// Which change is bad.
    #[serde(default)]
    pub direction: Direction,
    /// A failure here fails the step whatever the score; NODATA here makes it
    /// inconclusive.
    #[serde(default)]
    pub critical: bool,
    /// Weight in the score. Default 1.
    #[serde(default = "one")]
    pub weight: f64,
    /// Statistical parameters.
    #[serde(default)]
    pub params: JudgeParams,
}

fn one() -> f64 {
    1.0
}

impl MetricConfig {
    /// A load metric with default parameters.
    pub fn load(name: &str, metric: LoadMetric, critical: bool) -> MetricConfig {
        MetricConfig {
            name: name.into(),
            source: MetricSource::Load(metric),
            direction: Direction::Increase,
            critical,
            weight: 1.0,
            params: JudgeParams::default(),
        }
    }
}

/// The metrics of a step and the score thresholds (Kayenta's defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgeConfig {
    /// Metrics to judge.
    pub metrics: Vec<MetricConfig>,
    /// Score at or above this passes. Default 95.
    pub pass_score: f64,
    /// Score at or above this (and below pass) is marginal: WARN. Default 75.
    pub marginal_score: f64,
    /// Base URL of the Prometheus server the PromQL metrics are queried on,
    /// e.g. `http://127.0.0.1:9090` (`judge.prometheus_url`). Required as soon
    /// as one metric has a PromQL source; unused otherwise. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        JudgeConfig {
            metrics: vec![
                MetricConfig::load("p95 latency", LoadMetric::P95, false),
                MetricConfig::load("p99 latency", LoadMetric::P99, false),
                MetricConfig::load("error rate", LoadMetric::ErrorRate, true),
            ],
            pass_score: 95.0,
            marginal_score: 75.0,
            prometheus_url: None,
        }
    }
}
