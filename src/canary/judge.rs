//! The pure judge: one metric ([`judge_metric`]) and a step ([`judge_step`]).

use std::collections::BTreeMap;

use super::config::{JudgeConfig, MetricConfig, Missing};
use super::stats::{mann_whitney, mean, median};
pub use crate::core::canary::{Classification, MetricJudgement, SampleSource, StepJudgement};
use crate::core::canary::{Direction, EffectSizeMeasure};
use crate::core::verdict::Verdict;

/// Samples per metric name; `None` is a missing value (e.g. a second with no
/// canary requests).
pub type Samples = BTreeMap<String, Vec<Option<f64>>>;

fn clean(values: &[Option<f64>], missing: Missing) -> (Vec<f64>, usize, bool) {
    let absent = values
        .iter()
        .filter(|v| v.is_none_or(|x| !x.is_finite()))
        .count();
    let out = values
        .iter()
        .filter_map(|v| match v {
            Some(x) if x.is_finite() => Some(*x),
            _ if missing == Missing::Zero => Some(0.0),
            _ => None,
        })
        .collect();
    (out, absent, missing == Missing::Nodata && absent > 0)
}

/// Judge one metric: canary against baseline, as Kayenta's Mann-Whitney
/// classifier does: HIGH (LOW) when the shift interval clears the bound and
/// the effect size reaches `effect_size_high` (`effect_size_low`); for a
/// critical metric, a critical failure when it also reaches the critical
/// effect size.
pub fn judge_metric(
    cfg: &MetricConfig,
    baseline: &[Option<f64>],
    canary: &[Option<f64>],
) -> MetricJudgement {
    let p = &cfg.params;
    let (b, mb, b_nodata) = clean(baseline, p.missing);
    let (c, mc, c_nodata) = clean(canary, p.missing);
    let measure = p.effect_size_measure;
    let (effect_threshold, critical_threshold) = match cfg.direction {
        Direction::Decrease => (p.effect_low(), p.critical_low()),
        _ => (p.effect_high(), p.critical_high()),
    };
    let mut j = MetricJudgement {
        name: cfg.name.clone(),
        source: match cfg.source {
            crate::canary::MetricSource::Load(_) => SampleSource::Load,
            crate::canary::MetricSource::Promql { .. } => SampleSource::Prometheus,
        },
        direction: cfg.direction,
        critical: cfg.critical,
        weight: cfg.weight,
        baseline_n: b.len(),
        canary_n: c.len(),
        missing: mb + mc,
        baseline_median: (!b.is_empty()).then(|| median(&b)),
        canary_median: (!c.is_empty()).then(|| median(&c)),
        confidence: p.confidence,
        effect_size_measure: measure,
        effect_threshold,
        critical_threshold: cfg.critical.then_some(critical_threshold),
        ..MetricJudgement::default()
    };
    if b_nodata || c_nodata {
        j.reason = format!("NODATA: {} missing values and missing = nodata", mb + mc);
        return j;
    }
    if b.len() < p.min_samples || c.len() < p.min_samples {
        j.reason = format!(
            "NODATA: {} baseline and {} canary values, at least {} each needed",
            b.len(),
            c.len(),
            p.min_samples
        );
        return j;
    }
    let mw = mann_whitney(&b, &c, p.confidence);
    j.effect_size = match measure {
        EffectSizeMeasure::MeanRatio => {
            let (bm, cm) = (mean(&b), mean(&c));
            if bm != 0.0 {
                Some(cm / bm)
            } else if cm == 0.0 {
                Some(1.0)
            } else {
                None
            }
        }
        // U counts the pairs with the canary higher, ties as half.
        EffectSizeMeasure::Cles => Some(mw.u / (b.len() * c.len()) as f64),
    };
    let bound = (p.tolerance * mw.estimate.abs()).max(p.min_abs_shift);
    j.shift = Some(mw.estimate);
    j.ci = Some((mw.ci_low, mw.ci_high));
    j.p_value = Some(mw.p_value);
    j.bound = Some(bound);
    // An unbounded mean ratio (baseline mean 0) is as high as it gets.
    let reaches_high = |t: f64| j.effect_size.is_none_or(|e| e >= t);
    let reaches_low = |t: f64| j.effect_size.is_some_and(|e| e <= t);
    let high = matches!(cfg.direction, Direction::Increase | Direction::Either)
        && mw.ci_low > bound
        && reaches_high(p.effect_high());
    let low = matches!(cfg.direction, Direction::Decrease | Direction::Either)
        && mw.ci_high < -bound
        && reaches_low(p.effect_low());
    let ci_text = format!(
        "{:.0}% CI of shift [{:.4}, {:.4}]",
        p.confidence * 100.0,
        mw.ci_low,
        mw.ci_high
    );
    let eff = j
        .effect_size
        .map(|e| format!("{e:.3}"))
        .unwrap_or_else(|| "unbounded".into());
    let effect_text = format!("{} {eff}", measure.label());
    (j.classification, j.verdict, j.reason) = if high {
        (
            Classification::High,
            Verdict::Fail,
            format!("canary higher: {ci_text} above +{bound:.4}, {effect_text}"),
        )
    } else if low {
        (
            Classification::Low,
            Verdict::Fail,
            format!("canary lower: {ci_text} below -{bound:.4}, {effect_text}"),
        )
    } else {
        (
            Classification::Pass,
            Verdict::Pass,
            format!(
                "no significant {} change: {ci_text}, {effect_text}",
                direction_word(cfg.direction)
            ),
        )
    };
    if cfg.critical && (high || low) {
        let (reached, sign, t) = if high {
            (reaches_high(p.critical_high()), ">=", p.critical_high())
        } else {
            (reaches_low(p.critical_low()), "<=", p.critical_low())
        };
        j.critical_threshold = Some(t);
        j.critical_failure = reached;
        if reached {
            j.reason
                .push_str(&format!("; critical failure: {effect_text} {sign} {t}"));
        } else {
            j.reason.push_str(&format!(
                "; critical metric, but {effect_text} short of the critical {t}: counts in the score, does not fail the step alone"
            ));
        }
    }
    j
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Increase => "increase",
        Direction::Decrease => "decrease",
        Direction::Either => "",
    }
}

/// Judge a step: every configured metric, then the score and verdict.
///
/// - A critical failure (a critical metric classified HIGH/LOW whose effect
///   size reaches its critical threshold) fails the step whatever the score.
/// - A critical metric with NODATA makes the step inconclusive.
/// - Score = 100 x weight of passing metrics / weight of judged metrics
///   (NODATA metrics are left out, as in Kayenta). No judged metric:
///   inconclusive, no score.
/// - score >= pass_score: PASS, unless a metric had NODATA (then WARN: too
///   little data never reads as pass); >= marginal_score: WARN; else FAIL.
pub fn judge_step(cfg: &JudgeConfig, baseline: &Samples, canary: &Samples) -> StepJudgement {
    judge_step_with_errors(cfg, baseline, canary, &BTreeMap::new())
}

/// [`judge_step`], where the metrics named in `errors` could not be fetched
/// (e.g. a failing PromQL query): each is NODATA with its reason, never a pass.
pub fn judge_step_with_errors(
    cfg: &JudgeConfig,
    baseline: &Samples,
    canary: &Samples,
    errors: &BTreeMap<String, String>,
) -> StepJudgement {
    let empty = Vec::new();
    let metrics: Vec<MetricJudgement> = cfg
        .metrics
        .iter()
        .map(|m| {
            if let Some(e) = errors.get(&m.name) {
                let mut j = judge_metric(m, &empty, &empty);
                j.classification = Classification::Nodata;
                j.verdict = Verdict::Inconclusive;
                j.reason = format!("NODATA: {e}");
                return j;
            }
            judge_metric(
                m,
                baseline.get(&m.name).unwrap_or(&empty),
                canary.get(&m.name).unwrap_or(&empty),
            )
        })
        .collect();
    let judged: Vec<&MetricJudgement> = metrics
        .iter()
        .filter(|m| m.classification != Classification::Nodata)
        .collect();
    let total: f64 = judged.iter().map(|m| m.weight).sum();
    let passed: f64 = judged
        .iter()
        .filter(|m| m.verdict == Verdict::Pass)
        .map(|m| m.weight)
        .sum();
    // `+ 0.0`: an empty f64 sum is -0.0, which would print as "score -0".
    let score = (total > 0.0).then(|| 100.0 * passed / total + 0.0);
    let nodata: Vec<&str> = metrics
        .iter()
        .filter(|m| m.classification == Classification::Nodata)
        .map(|m| m.name.as_str())
        .collect();
    let critical_fail = metrics.iter().find(|m| m.critical_failure);
    let critical_nodata = metrics
        .iter()
        .find(|m| m.critical && m.classification == Classification::Nodata);
    let (verdict, reason) = if let Some(m) = critical_fail {
        (
            Verdict::Fail,
            format!("critical metric {} failed: {}", m.name, m.reason),
        )
    } else if let Some(m) = critical_nodata {
        (
            Verdict::Inconclusive,
            format!("critical metric {} has no data: {}", m.name, m.reason),
        )
    } else if let Some(s) = score {
        let of = format!(
            "{}/{} metrics pass, score {s:.0}",
            judged.iter().filter(|m| m.verdict == Verdict::Pass).count(),
            metrics.len()
        );
        if s >= cfg.pass_score && nodata.is_empty() {
            (Verdict::Pass, of)
        } else if s >= cfg.pass_score || s >= cfg.marginal_score {
            let extra = if nodata.is_empty() {
                String::new()
            } else {
                format!("; no data for {}", nodata.join(", "))
            };
            (
                Verdict::Warn,
                format!("{of} (marginal at {}){extra}", cfg.marginal_score),
            )
        } else {
            (
                Verdict::Fail,
                format!("{of}, below marginal {}", cfg.marginal_score),
            )
        }
    } else {
        (
            Verdict::Inconclusive,
            "no metric had enough data to judge".to_string(),
        )
    };
    StepJudgement {
        score,
        verdict,
        reason,
        metrics,
    }
}
