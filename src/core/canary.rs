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

/// How the size of a change is measured (Kayenta's `effectSize.measure`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectSizeMeasure {
    /// Canary mean / baseline mean (default; 1.0 is no change).
    #[default]
    #[serde(alias = "meanRatio")]
    MeanRatio,
    /// Common-language effect size: the share of (canary, baseline) pairs in
    /// which the canary value is higher, ties counting half (Vargha and
    /// Delaney's A; 0.5 is no change). Robust where a mean ratio is not: a
    /// baseline mean of 0, or a few outliers.
    Cles,
}

impl EffectSizeMeasure {
    /// The value meaning "no change", Kayenta's default threshold.
    pub fn neutral(self) -> f64 {
        match self {
            EffectSizeMeasure::MeanRatio => 1.0,
            EffectSizeMeasure::Cles => 0.5,
        }
    }

    /// Its name in reasons: `mean ratio`, `CLES`.
    pub fn label(self) -> &'static str {
        match self {
            EffectSizeMeasure::MeanRatio => "mean ratio",
            EffectSizeMeasure::Cles => "CLES",
        }
    }

    /// True for the default, which journals before this field meant.
    pub fn is_mean_ratio(&self) -> bool {
        *self == EffectSizeMeasure::MeanRatio
    }
}

fn is_false(b: &bool) -> bool {
    !*b
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
    /// The effect size in `effect_size_measure`: canary mean / baseline
    /// mean (`None` when the baseline mean is 0 and the canary's is not:
    /// unbounded), or the CLES.
    pub effect_size: Option<f64>,
    /// What `effect_size` measures (journals before this field: mean ratio).
    #[serde(default, skip_serializing_if = "EffectSizeMeasure::is_mean_ratio")]
    pub effect_size_measure: EffectSizeMeasure,
    /// The effect size an increase (or decrease) must reach to fail.
    pub effect_threshold: f64,
    /// For a critical metric, the effect size a HIGH (or LOW) must reach to
    /// be a critical failure; `None` for other metrics and older journals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_threshold: Option<f64>,
    /// The metric is critical, was classified HIGH or LOW, and its effect
    /// size reached the critical threshold: it fails the step whatever the
    /// score (Kayenta's critical failure). Absent in older journals.
    #[serde(default, skip_serializing_if = "is_false")]
    pub critical_failure: bool,
    /// The interval must clear +/- this to count as a change.
    pub bound: Option<f64>,
    /// Classification.
    pub classification: Classification,
    /// pass / fail / inconclusive.
    pub verdict: Verdict,
    /// One human sentence.
    pub reason: String,
}

impl Default for MetricJudgement {
    /// Nothing judged yet: no data, inconclusive.
    fn default() -> Self {
        MetricJudgement {
            name: String::new(),
            source: SampleSource::default(),
            direction: Direction::default(),
            critical: false,
            weight: 1.0,
            baseline_n: 0,
            canary_n: 0,
            missing: 0,
            baseline_median: None,
            canary_median: None,
            shift: None,
            ci: None,
            confidence: 0.98,
            p_value: None,
            effect_size: None,
            effect_size_measure: EffectSizeMeasure::default(),
            effect_threshold: 1.0,
            critical_threshold: None,
            critical_failure: false,
            bound: None,
            classification: Classification::Nodata,
            verdict: Verdict::Inconclusive,
            reason: String::new(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A metric as journalled before effect-size measures and critical
    /// failures existed reads with their defaults and writes back unchanged,
    /// so recorded runs replay into the same reports.
    #[test]
    fn older_journals_read_and_write_back_unchanged() {
        let old = r#"{"name":"error rate","source":"load","direction":"increase","critical":true,"weight":1.0,"baseline_n":10,"canary_n":10,"missing":0,"baseline_median":0.0,"canary_median":0.2,"shift":0.2,"ci":[0.1,0.3],"confidence":0.98,"p_value":0.001,"effect_size":null,"effect_threshold":1.0,"bound":0.05,"classification":"HIGH","verdict":"fail","reason":"canary higher"}"#;
        let m: MetricJudgement = serde_json::from_str(old).unwrap();
        assert_eq!(m.effect_size_measure, EffectSizeMeasure::MeanRatio);
        assert_eq!((m.critical_threshold, m.critical_failure), (None, false));
        assert_eq!(serde_json::to_string(&m).unwrap(), old);
        let new = MetricJudgement {
            effect_size_measure: EffectSizeMeasure::Cles,
            critical_threshold: Some(0.9),
            critical_failure: true,
            ..m
        };
        let text = serde_json::to_string(&new).unwrap();
        assert!(text.contains(r#""effect_size_measure":"cles""#), "{text}");
        assert!(
            text.contains(r#""critical_threshold":0.9,"critical_failure":true"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<MetricJudgement>(&text).unwrap(), new);
    }
}
