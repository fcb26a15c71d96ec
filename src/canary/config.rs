//! Judge configuration: per-metric parameters with documented defaults.

use serde::{Deserialize, Serialize};

pub use crate::core::canary::{Direction, EffectSizeMeasure};

/// What to do with missing values: windows with no value (no canary request
/// in a second) and NaN. Kayenta calls this `nanStrategy`; its `remove` is
/// `drop` and its `replace` (with zero) is `zero`, and both spellings are
/// accepted (`nan_strategy = "replace"` is `missing = "zero"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Drop missing values, then judge what is left (default; Kayenta's
    /// `remove`).
    #[default]
    #[serde(alias = "remove")]
    Drop,
    /// Count a missing value as 0 (sensible for counters, wrong for latency;
    /// Kayenta's `replace`).
    #[serde(alias = "replace")]
    Zero,
    /// Any missing value makes the metric NODATA.
    Nodata,
}

/// Statistical parameters of one metric. Defaults follow Kayenta's
/// Mann-Whitney classifier as Netflix runs it (confidence 0.98, tolerance 0.25,
/// effect size the mean ratio with bounds 1.0), plus a minimum sample count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgeParams {
    /// Confidence level of the shift interval. Default 0.98: at one judgement
    /// per step and several metrics, 0.95 gives too many false alarms.
    pub confidence: f64,
    /// A significant shift must also clear `tolerance * |Hodges-Lehmann
    /// estimate|` with its whole interval (Kayenta's bound). Default 0.25.
    pub tolerance: f64,
    /// How the size of a change is measured: `mean_ratio` (default) or
    /// `cles`. The effect-size thresholds are in this measure.
    pub effect_size_measure: EffectSizeMeasure,
    /// An increase fails only if the effect size is >= this. Default: no
    /// change (1.0 for the mean ratio, 0.5 for CLES; Kayenta's
    /// `allowedIncrease`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect_size_high: Option<f64>,
    /// A decrease fails only if the effect size is <= this. Default as
    /// `effect_size_high` (Kayenta's `allowedDecrease`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect_size_low: Option<f64>,
    /// For a critical metric: a HIGH whose effect size is >= this is a
    /// critical failure and fails the step whatever the score; a smaller
    /// HIGH only counts in the score. Default: no change, so every HIGH of a
    /// critical metric is critical (Kayenta's `criticalIncrease`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical_effect_size_high: Option<f64>,
    /// For a critical metric: a LOW whose effect size is <= this is a
    /// critical failure. Default as `critical_effect_size_high`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical_effect_size_low: Option<f64>,
    /// The interval must also clear this absolute shift (ms, or a rate), so
    /// that a 0.3 ms change on a 2 ms endpoint does not fail. Default 0.
    pub min_abs_shift: f64,
    /// Fewer values than this on either side: NODATA. Default 10.
    pub min_samples: usize,
    /// Missing values and NaN (`nan_strategy` is accepted for it). Default
    /// `drop`.
    #[serde(alias = "nan_strategy")]
    pub missing: Missing,
}

impl Default for JudgeParams {
    fn default() -> Self {
        JudgeParams {
            confidence: 0.98,
            tolerance: 0.25,
            effect_size_measure: EffectSizeMeasure::MeanRatio,
            effect_size_high: None,
            effect_size_low: None,
            critical_effect_size_high: None,
            critical_effect_size_low: None,
            min_abs_shift: 0.0,
            min_samples: 10,
            missing: Missing::Drop,
        }
    }
}

impl JudgeParams {
    /// The effect size an increase must reach to fail.
    pub fn effect_high(&self) -> f64 {
        self.effect_size_high
            .unwrap_or(self.effect_size_measure.neutral())
    }

    /// The effect size a decrease must reach (from above) to fail.
    pub fn effect_low(&self) -> f64 {
        self.effect_size_low
            .unwrap_or(self.effect_size_measure.neutral())
    }

    /// The effect size at which a critical metric's HIGH is critical.
    pub fn critical_high(&self) -> f64 {
        self.critical_effect_size_high
            .unwrap_or(self.effect_size_measure.neutral())
    }

    /// The effect size at which a critical metric's LOW is critical.
    pub fn critical_low(&self) -> f64 {
        self.critical_effect_size_low
            .unwrap_or(self.effect_size_measure.neutral())
    }

    /// Problems with the effect-size thresholds: `(key, what, hint)`, the
    /// key relative to the params. A CLES is a share, so its thresholds lie
    /// in [0, 1]; a mean ratio is positive.
    pub fn effect_size_problems(&self) -> Vec<(&'static str, String, String)> {
        let m = self.effect_size_measure;
        let (ok, range): (fn(f64) -> bool, &str) = match m {
            EffectSizeMeasure::MeanRatio => (|v| v.is_finite() && v > 0.0, "a positive ratio"),
            EffectSizeMeasure::Cles => (|v| (0.0..=1.0).contains(&v), "a share in [0, 1]"),
        };
        [
            ("effect_size_high", self.effect_size_high),
            ("effect_size_low", self.effect_size_low),
            ("critical_effect_size_high", self.critical_effect_size_high),
            ("critical_effect_size_low", self.critical_effect_size_low),
        ]
        .into_iter()
        .filter_map(|(key, v)| {
            let v = v?;
            (!ok(v)).then(|| {
                (
                    key,
                    format!("{v} is not {range} ({} effect size)", m.label()),
                    format!(
                        "default {} (no change); e.g. {} to fail only a clear increase",
                        m.neutral(),
                        match m {
                            EffectSizeMeasure::MeanRatio => "1.2",
                            EffectSizeMeasure::Cles => "0.7",
                        }
                    ),
                )
            })
        })
        .collect()
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
