//! `flightdeck canary judge`: offline re-judging of two samples.

use std::path::{Path, PathBuf};

use clap::Args;

use super::config::{
    Direction, EffectSizeMeasure, JudgeConfig, JudgeParams, LoadMetric, MetricConfig, MetricSource,
    Missing,
};
use super::judge::{Classification, Samples, StepJudgement, judge_step};
use crate::core::verdict::Verdict;

/// `flightdeck canary judge --baseline F --canary F`
#[derive(Debug, Clone, Args)]
pub struct JudgeArgs {
    /// Baseline samples: one number per line (`#` comments, blank lines skipped,
    /// `NA`/`null`/`nan` = missing).
    #[arg(long, value_name = "FILE")]
    pub baseline: PathBuf,
    /// Canary samples, same format.
    #[arg(long, value_name = "FILE")]
    pub canary: PathBuf,
    /// Which change is bad: increase, decrease or either.
    #[arg(long, default_value = "increase", value_parser = parse_direction)]
    pub direction: Direction,
    /// Confidence level of the shift interval.
    #[arg(long, default_value_t = 0.98)]
    pub confidence: f64,
    /// Relative tolerance (Kayenta's bound on the interval).
    #[arg(long, default_value_t = 0.25)]
    pub tolerance: f64,
    /// Minimum values per side (fewer: NODATA, inconclusive).
    #[arg(long, default_value_t = 10)]
    pub min_samples: usize,
    /// Absolute shift the interval must also clear.
    #[arg(long, default_value_t = 0.0)]
    pub min_abs_shift: f64,
    /// How the size of a change is measured: mean-ratio (canary mean /
    /// baseline mean) or cles (share of pairs with the canary higher).
    #[arg(long, default_value = "mean-ratio", value_parser = parse_measure)]
    pub effect_size_measure: EffectSizeMeasure,
    /// An increase fails only if the effect size is >= this (default: no
    /// change, 1.0 for mean-ratio, 0.5 for cles).
    #[arg(long, value_name = "E")]
    pub effect_size_high: Option<f64>,
    /// A decrease fails only if the effect size is <= this (same default).
    #[arg(long, value_name = "E")]
    pub effect_size_low: Option<f64>,
    /// With --critical: a HIGH whose effect size is >= this is a critical
    /// failure (same default: every HIGH of a critical metric is).
    #[arg(long, value_name = "E")]
    pub critical_effect_size_high: Option<f64>,
    /// With --critical: a LOW whose effect size is <= this is a critical
    /// failure.
    #[arg(long, value_name = "E")]
    pub critical_effect_size_low: Option<f64>,
    /// Missing values (NA, null, nan): remove them, or replace them with 0.
    #[arg(long, default_value = "remove", value_parser = parse_nan_strategy)]
    pub nan_strategy: Missing,
    /// The metric is critical: a critical failure fails the judgement
    /// whatever the score, and no data makes it inconclusive.
    #[arg(long)]
    pub critical: bool,
    /// Metric name shown in the output.
    #[arg(long, default_value = "metric")]
    pub name: String,
    /// `text` or `json`.
    #[arg(long, default_value = "text")]
    pub output: String,
}

/// Errors of the canary face.
#[derive(Debug, thiserror::Error)]
pub enum CanaryCliError {
    /// A samples file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// File.
        path: String,
        /// OS error.
        source: std::io::Error,
    },
    /// A line is not a number.
    #[error("{path}:{line}: \"{text}\" is not a number (one number per line; NA for missing)")]
    BadLine {
        /// File.
        path: String,
        /// 1-based line.
        line: usize,
        /// The offending text.
        text: String,
    },
    /// A bad argument.
    #[error("{0}")]
    Usage(String),
}

/// Parse a samples file: one number per line.
pub fn read_samples(path: &Path) -> Result<Vec<Option<f64>>, CanaryCliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CanaryCliError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_samples(&text, &path.display().to_string())
}

/// Parse samples text; `origin` names it in errors.
pub fn parse_samples(text: &str, origin: &str) -> Result<Vec<Option<f64>>, CanaryCliError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let t = raw.split('#').next().unwrap_or("").trim();
        if t.is_empty() {
            continue;
        }
        if ["na", "null", "nan", "-"].contains(&t.to_ascii_lowercase().as_str()) {
            out.push(None);
            continue;
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => out.push(Some(v)),
            _ => {
                return Err(CanaryCliError::BadLine {
                    path: origin.into(),
                    line: i + 1,
                    text: t.into(),
                });
            }
        }
    }
    Ok(out)
}

/// Exit code for a step verdict: 0 pass/warn, 1 fail, 3 inconclusive.
pub fn exit_code(v: Verdict) -> i32 {
    match v {
        Verdict::Pass | Verdict::Warn | Verdict::Skipped => 0,
        Verdict::Fail => 1,
        Verdict::Inconclusive => 3,
    }
}

/// Human summary of a step judgement.
pub fn render_text(j: &StepJudgement) -> String {
    let mut s = format!(
        "{} score {} — {}\n",
        j.verdict.badge(),
        j.score
            .map(|s| format!("{s:.0}"))
            .unwrap_or_else(|| "-".into()),
        j.reason
    );
    let num = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "-".into());
    for m in &j.metrics {
        let badge = match (m.critical_failure, m.critical) {
            (true, _) => format!("{} CRITICAL", m.verdict.badge()),
            (false, true) => format!("{} critical", m.verdict.badge()),
            _ => m.verdict.badge().to_string(),
        };
        s.push_str(&format!(
            "  {:<16} {:<6} {} n {}/{}  median {} -> {}  shift {}  CI {}  p {}  {} {}  bound {}  {}\n",
            m.name,
            badge,
            classification_word(m.classification),
            m.baseline_n,
            m.canary_n,
            num(m.baseline_median),
            num(m.canary_median),
            num(m.shift),
            m.ci.map(|(a, b)| format!("[{a:.4}, {b:.4}]")).unwrap_or_else(|| "-".into()),
            num(m.p_value),
            m.effect_size_measure.label(),
            m.effect_size.map(|e| format!("{e:.3}")).unwrap_or_else(|| if m.ci.is_some() { "unbounded".into() } else { "-".into() }),
            num(m.bound),
            m.reason
        ));
    }
    s
}

fn classification_word(c: Classification) -> &'static str {
    match c {
        Classification::Pass => "PASS",
        Classification::High => "HIGH",
        Classification::Low => "LOW",
        Classification::Nodata => "NODATA",
    }
}

/// Run `canary judge`: returns stdout and exit code.
pub fn run_judge(args: JudgeArgs) -> Result<(String, i32), CanaryCliError> {
    if !(args.confidence > 0.5 && args.confidence < 1.0) {
        return Err(CanaryCliError::Usage(format!(
            "--confidence {} must be in (0.5, 1)",
            args.confidence
        )));
    }
    if args.output != "text" && args.output != "json" {
        return Err(CanaryCliError::Usage(format!(
            "--output {} must be text or json",
            args.output
        )));
    }
    let params = JudgeParams {
        confidence: args.confidence,
        tolerance: args.tolerance,
        min_samples: args.min_samples,
        min_abs_shift: args.min_abs_shift,
        effect_size_measure: args.effect_size_measure,
        effect_size_high: args.effect_size_high,
        effect_size_low: args.effect_size_low,
        critical_effect_size_high: args.critical_effect_size_high,
        critical_effect_size_low: args.critical_effect_size_low,
        missing: args.nan_strategy,
    };
    if let Some((key, what, hint)) = params.effect_size_problems().into_iter().next() {
        return Err(CanaryCliError::Usage(format!(
            "--{} {what}; {hint}",
            key.replace('_', "-")
        )));
    }
    let b = read_samples(&args.baseline)?;
    let c = read_samples(&args.canary)?;
    let metric = MetricConfig {
        name: args.name.clone(),
        source: MetricSource::Load(LoadMetric::P95),
        direction: args.direction,
        critical: args.critical,
        weight: 1.0,
        params,
    };
    let cfg = JudgeConfig {
        metrics: vec![metric],
        ..JudgeConfig::default()
    };
    let bs: Samples = [(args.name.clone(), b)].into();
    let cs: Samples = [(args.name.clone(), c)].into();
    let j = judge_step(&cfg, &bs, &cs);
    let out = if args.output == "json" {
        serde_json::to_string_pretty(&explicit(&j)).unwrap_or_default()
    } else {
        render_text(&j)
    };
    Ok((out, exit_code(j.verdict)))
}

/// The judgement as JSON with every metric's classification, criticality
/// and reason spelled out: the journal leaves out fields at their defaults
/// (so that older journals replay into the same reports), a reader of this
/// output should not have to know those defaults.
fn explicit(j: &StepJudgement) -> serde_json::Value {
    let mut v = serde_json::to_value(j).unwrap_or_default();
    if let Some(ms) = v.get_mut("metrics").and_then(|m| m.as_array_mut()) {
        for (m, src) in ms.iter_mut().zip(&j.metrics) {
            if let Some(o) = m.as_object_mut() {
                o.insert("critical_failure".into(), src.critical_failure.into());
                o.insert(
                    "effect_size_measure".into(),
                    serde_json::to_value(src.effect_size_measure).unwrap_or_default(),
                );
                o.insert(
                    "critical_threshold".into(),
                    serde_json::to_value(src.critical_threshold).unwrap_or_default(),
                );
            }
        }
    }
    v
}

/// `--effect-size-measure`: `mean-ratio` or `cles`.
fn parse_measure(s: &str) -> Result<EffectSizeMeasure, String> {
    match s {
        "mean-ratio" | "mean_ratio" | "meanRatio" => Ok(EffectSizeMeasure::MeanRatio),
        "cles" => Ok(EffectSizeMeasure::Cles),
        other => Err(format!(
            "unknown effect-size measure `{other}` (use mean-ratio or cles)"
        )),
    }
}

/// `--nan-strategy`: Kayenta's names, `remove` or `replace` (with 0).
fn parse_nan_strategy(s: &str) -> Result<Missing, String> {
    match s {
        "remove" => Ok(Missing::Drop),
        "replace" => Ok(Missing::Zero),
        other => Err(format!(
            "unknown NaN strategy `{other}` (use remove, or replace for zero)"
        )),
    }
}

/// `--direction`: the judge's direction by its config name.
fn parse_direction(s: &str) -> Result<Direction, String> {
    match s {
        "increase" => Ok(Direction::Increase),
        "decrease" => Ok(Direction::Decrease),
        "either" => Ok(Direction::Either),
        other => Err(format!(
            "unknown direction `{other}` (use increase, decrease or either)"
        )),
    }
}
