//! The canary as journalled: step judgements with every metric's numbers,
//! and the live guard's status. Judging and rolling out live in
//! `crate::canary`.

use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;

/// Which change is bad. For latency and errors only an increase is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Canary significantly higher fails (default).
    #[default]
    Increase,
    /// Canary significantly lower fails.
    Decrease,
    /// Any significant change fails.
    Either,
}

/// Kayenta's metric classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Classification {
    /// No significant change in a bad direction.
    Pass,
    /// Canary significantly higher.
    High,
    /// Canary significantly lower.
    Low,
    /// Too little data to judge.
    Nodata,
}

/// Where a metric's samples came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleSource {
    /// The run's own load windows, one value per second.
    #[default]
    Load,
    /// PromQL range queries against Prometheus.
    Prometheus,
}

/// The judgement of one metric, with every number behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricJudgement {
    /// Metric name.
    pub name: String,
    /// Where its samples came from (journals before this field: load).
    #[serde(default)]
    pub source: SampleSource,
    /// Which change is bad.
    pub direction: Direction,
    /// Whether a failure fails the step outright.
    pub critical: bool,
    /// Weight in the score.
    pub weight: f64,
    /// Values used, baseline side (after missing-value handling).
    pub baseline_n: usize,
    /// Values used, canary side.
    pub canary_n: usize,
    /// Missing values seen (both sides).
    pub missing: usize,
    /// Baseline median.
    pub baseline_median: Option<f64>,
    /// Canary median.
    pub canary_median: Option<f64>,
    /// Hodges-Lehmann estimate of canary - baseline.
    pub shift: Option<f64>,
    /// Confidence interval of the shift.
    pub ci: Option<(f64, f64)>,
    /// Confidence level of `ci`.
    pub confidence: f64,
    /// Two-sided Mann-Whitney p-value.
    pub p_value: Option<f64>,
    /// Canary mean / baseline mean; `None` when the baseline mean is 0 and the
    /// canary's is not (unbounded).
    pub effect_size: Option<f64>,
    /// The effect size an increase (or decrease) must reach to fail.
    pub effect_threshold: f64,
    /// The interval must clear +/- this to count as a change.
    pub bound: Option<f64>,
    /// Classification.
    pub classification: Classification,
    /// pass / fail / inconclusive.
    pub verdict: Verdict,
    /// One human sentence.
    pub reason: String,
}

/// The judgement of one canary step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepJudgement {
    /// 0..=100: weight share of passing metrics among judged ones; `None` when
    /// no metric had data.
    pub score: Option<f64>,
    /// The step's verdict.
    pub verdict: Verdict,
    /// Why, in one sentence.
    pub reason: String,
    /// Per metric.
    pub metrics: Vec<MetricJudgement>,
}

/// What the guard says now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuardStatus {
    /// Roll back now.
    pub tripped: bool,
    /// Breaching windows in a row, counting back from the latest.
    pub consecutive: u32,
    /// Countdown: more breaching windows before it trips (0 when tripped).
    pub remaining: u32,
    /// The latest judged window's canary error rate.
    pub last_error_rate: Option<f64>,
    /// The latest judged window's canary p99, ms.
    pub last_p99_ms: Option<f64>,
    /// Why, when breaching.
    pub reason: Option<String>,
}
