//! `flightdeck canary judge`: offline re-judging of two samples.

use std::path::{Path, PathBuf};

use clap::Args;

use super::config::{Direction, JudgeConfig, JudgeParams, LoadMetric, MetricConfig, MetricSource};
use super::judge::{Samples, StepJudgement, judge_step};
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
        s.push_str(&format!(
            "  {:<16} {:<6} n {}/{}  median {} -> {}  shift {}  CI {}  p {}  ratio {}  bound {}  {}\n",
            m.name,
            m.verdict.badge(),
            m.baseline_n,
            m.canary_n,
            num(m.baseline_median),
            num(m.canary_median),
            num(m.shift),
            m.ci.map(|(a, b)| format!("[{a:.4}, {b:.4}]")).unwrap_or_else(|| "-".into()),
            num(m.p_value),
            m.effect_size.map(|e| format!("{e:.3}")).unwrap_or_else(|| if m.ci.is_some() { "unbounded".into() } else { "-".into() }),
            num(m.bound),
            m.reason
        ));
    }
    s
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
    let b = read_samples(&args.baseline)?;
    let c = read_samples(&args.canary)?;
    let metric = MetricConfig {
        name: args.name.clone(),
        source: MetricSource::Load(LoadMetric::P95),
        direction: args.direction,
        critical: true,
        weight: 1.0,
        params: JudgeParams {
            confidence: args.confidence,
            tolerance: args.tolerance,
            min_samples: args.min_samples,
            min_abs_shift: args.min_abs_shift,
            ..JudgeParams::default()
        },
    };
    let cfg = JudgeConfig {
        metrics: vec![metric],
        ..JudgeConfig::default()
    };
    let bs: Samples = [(args.name.clone(), b)].into();
    let cs: Samples = [(args.name.clone(), c)].into();
    let j = judge_step(&cfg, &bs, &cs);
    let out = if args.output == "json" {
        serde_json::to_string_pretty(&j).unwrap_or_default()
    } else {
        render_text(&j)
    };
    Ok((out, exit_code(j.verdict)))
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
