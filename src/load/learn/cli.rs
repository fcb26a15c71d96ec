//! The face of `flightdeck load learn`: read logs, write the mix file,
//! print what was learned (text or `--output json`).
//!
//! Exit codes: 0 a mix was learned, 2 usage (a file that cannot be opened,
//! a bad option), 3 nothing learned (no line parsed as a request).

use std::path::PathBuf;

use crate::load::cli::OutputFormat;

use super::formats::{JsonFields, LogFormat};
use super::mixfile::{mix_file, render};
use super::shape::{peak_hour_stages, sparkline};
use super::template::StaticFilter;
use super::{LearnOptions, Learned, learn};

/// A timing shape to write as load stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ShapeKind {
    /// The busiest hour, minute by minute, scaled to `--target-rate`.
    PeakHour,
}

/// `flightdeck load learn LOG...`.
#[derive(Clone, Debug, clap::Args)]
pub struct LearnArgs {
    /// Access logs (plain or .gz), read in order.
    #[arg(required = true, value_name = "ACCESS_LOG")]
    pub logs: Vec<PathBuf>,
    /// Log format.
    #[arg(long, value_enum, default_value = "combined")]
    pub format: LogFormat,
    /// Write the mix ([load.learned] + [[load.requests]]) to this file.
    #[arg(short = 'w', long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// JSON lines: which field holds what, ROLE=FIELD with ROLE one of
    /// method, path, query, status, time, request (repeatable).
    #[arg(long = "json-field", value_name = "ROLE=FIELD")]
    pub json_fields: Vec<String>,
    /// Templates below this share of requests fold into "other".
    #[arg(long, default_value_t = 0.005)]
    pub min_share: f64,
    /// Also leave out paths with this extension (repeatable).
    #[arg(long = "exclude-ext", value_name = "EXT")]
    pub exclude_ext: Vec<String>,
    /// Leave out paths starting with this prefix, e.g. /static/ (repeatable).
    #[arg(long = "exclude-path", value_name = "PREFIX")]
    pub exclude_path: Vec<String>,
    /// Keep static assets (no default extension list).
    #[arg(long)]
    pub keep_static: bool,
    /// Write a timing shape as [[load.stages]].
    #[arg(long, value_enum)]
    pub shape: Option<ShapeKind>,
    /// The rate the shape's busiest minute is scaled to (requests/s).
    #[arg(long, value_name = "RPS")]
    pub target_rate: Option<f64>,
    /// Seconds each minute of the shape is held (60 replays in real time).
    #[arg(long, default_value_t = 60.0)]
    pub stage_seconds: f64,
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct LearnFailure {
    /// The message.
    pub message: String,
    /// 2 usage, 4 internal.
    pub code: i32,
}

fn usage(message: String) -> LearnFailure {
    LearnFailure { message, code: 2 }
}

/// Run `load learn`: the stdout text and the exit code.
pub fn run(args: &LearnArgs) -> Result<(String, i32), LearnFailure> {
    if !(args.min_share.is_finite() && (0.0..1.0).contains(&args.min_share)) {
        return Err(usage(format!(
            "--min-share {} must be between 0 and 1 (e.g. 0.005 for 0.5%)",
            args.min_share
        )));
    }
    if let Some(r) = args.target_rate
        && !(r.is_finite() && r > 0.0)
    {
        return Err(usage(format!("--target-rate {r} must be above zero")));
    }
    if !(args.stage_seconds.is_finite() && args.stage_seconds > 0.0) {
        return Err(usage(format!(
            "--stage-seconds {} must be above zero",
            args.stage_seconds
        )));
    }
    let json = JsonFields::default()
        .with_overrides(&args.json_fields)
        .map_err(usage)?;
    let options = LearnOptions {
        format: args.format,
        json,
        statics: StaticFilter::new(&args.exclude_ext, &args.exclude_path, !args.keep_static),
        min_share: args.min_share,
    };
    let learned = learn(&args.logs, options).map_err(usage)?;
    let stages = match args.shape {
        Some(ShapeKind::PeakHour) => {
            peak_hour_stages(&learned.shape, args.target_rate, args.stage_seconds)
        }
        None => Vec::new(),
    };
    if args.shape.is_some() && stages.is_empty() {
        return Err(usage(
            "--shape peak-hour: the logs have no timestamps to take a shape from".into(),
        ));
    }
    let file = mix_file(&learned, stages.clone());
    let mut written = None;
    if let Some(path) = &args.write {
        if learned.templates.is_empty() {
            return Ok((report(args, &learned, None, &stages), 3));
        }
        let text = render(&learned, &file).map_err(|message| LearnFailure { message, code: 4 })?;
        std::fs::write(path, text)
            .map_err(|e| usage(format!("{}: cannot write the mix: {e}", path.display())))?;
        written = Some(path.display().to_string());
    }
    let code = if learned.templates.is_empty() { 3 } else { 0 };
    Ok((report(args, &learned, written.as_deref(), &stages), code))
}

fn report(
    args: &LearnArgs,
    l: &Learned,
    written: Option<&str>,
    stages: &[crate::load::config::RateStage],
) -> String {
    match args.output {
        OutputFormat::Json => {
            let mut v = serde_json::to_value(l).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("written".into(), serde_json::json!(written));
                o.insert(
                    "stages".into(),
                    serde_json::to_value(stages).unwrap_or_default(),
                );
            }
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        OutputFormat::Text => text(l, written, stages),
    }
}

fn text(l: &Learned, written: Option<&str>, stages: &[crate::load::config::RateStage]) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "learned from {} file(s), {} lines: {} requests, {} unmatched, {} static left out",
        l.files.len(),
        l.lines,
        l.requests,
        l.unmatched,
        l.static_excluded
    );
    let _ = writeln!(
        o,
        "coverage {:.1}%: {} templates in the mix, {} folded into other ({} requests, below {:.2}%)",
        l.coverage * 100.0,
        l.templates.len(),
        l.other_templates,
        l.other_requests,
        l.min_share * 100.0
    );
    for t in l.templates.iter().take(20) {
        let statuses: Vec<String> = t
            .statuses
            .iter()
            .map(|(s, f)| format!("{s} {:.0}%", f * 100.0))
            .collect();
        let _ = writeln!(
            o,
            "  {:>6.2}%  {:<48} {}",
            t.share * 100.0,
            t.name,
            statuses.join(" ")
        );
    }
    if l.templates.len() > 20 {
        let _ = writeln!(
            o,
            "  ... {} more (see --output json)",
            l.templates.len() - 20
        );
    }
    let s = &l.shape;
    if let Some(peak) = &s.peak_minute {
        let _ = writeln!(
            o,
            "daily shape (UTC, per hour) {}   peak minute {} ({} requests, {:.1}/s), burstiness {:.2}",
            sparkline(&s.daily_rpm),
            peak,
            s.peak_minute_requests,
            s.peak_rps,
            s.burstiness
        );
    }
    if !stages.is_empty() {
        let _ = writeln!(
            o,
            "peak hour from {}: {} stages written",
            s.peak_hour.as_deref().unwrap_or("?"),
            stages.len()
        );
    }
    for u in &l.unmatched_examples {
        let _ = writeln!(o, "unmatched {} ({}): {}", u.at, u.reason, u.line);
    }
    for e in &l.read_errors {
        let _ = writeln!(o, "warning: {e}");
    }
    match written {
        Some(p) => {
            let _ = writeln!(
                o,
                "mix written to {p} (use it with load.mix_file = \"{p}\")"
            );
        }
        None if l.templates.is_empty() => {
            let _ = writeln!(
                o,
                "nothing learned: no line parsed as a request of this format"
            );
        }
        None => {}
    }
    o
}
