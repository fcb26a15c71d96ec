//! The faces' arguments and text: `flightdeck history [show|trend|rebuild|
//! calibrate]` and `flightdeck outcome`. Opening the store needs the whole
//! configuration (state directory, `[history]`, a secret reference), so the
//! commands are run from `crate::launch`; this module parses and renders.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::calibrate::Calibration;
use super::index::Indexed;
use super::record::{RunRecord, RunRow};
use super::trend::{Metric, SeriesPoint};
use crate::core::format::trim_num;
use crate::core::history::{ProductionResult, sparkline};
use crate::output::OutputFormat;

/// Where the store and the journals are: the config file and the state
/// directory, as for `run`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct StoreArgs {
    /// Config file (for state_dir and [history]); default config/flightdeck.toml when present.
    #[arg(short, long, global = true)]
    pub config: Option<PathBuf>,
    /// State directory (runs, journals, history.db); overrides state_dir.
    #[arg(long, global = true)]
    pub state_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub output: OutputFormat,
}

/// `flightdeck history`: runs with their decision and score.
#[derive(Clone, Debug, clap::Args)]
pub struct HistoryArgs {
    /// A view other than the list.
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,
    /// Only this service.
    #[arg(long)]
    pub service: Option<String>,
    /// The newest N runs.
    #[arg(long, default_value_t = 20)]
    pub last: usize,
    /// Store and output.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `flightdeck history ...`.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum HistoryCommand {
    /// One run: stages, checks, load, canary, findings, outcomes, change.
    Show {
        /// Run id (or a prefix that names one run).
        run: String,
    },
    /// One metric over a service's runs, with a sparkline.
    Trend {
        /// The service.
        #[arg(long)]
        service: String,
        /// score, risk, duration, or p50|p95|p99|rps|error_rate[:ENDPOINT].
        #[arg(long, default_value = "score")]
        metric: String,
        /// The newest N runs.
        #[arg(long, default_value_t = 30)]
        last: usize,
    },
    /// Recreate the index from the journals under state_dir/runs.
    Rebuild,
    /// How well the checks and the gate predicted production outcomes.
    Calibrate {
        /// The service.
        #[arg(long)]
        service: String,
        /// Fewest samples for a rate (default history.min_sample).
        #[arg(long)]
        min_sample: Option<u64>,
    },
}

/// `flightdeck outcome`: what happened after a release went out.
#[derive(Clone, Debug, clap::Args)]
pub struct OutcomeArgs {
    /// Run id (or a prefix that names one run).
    #[arg(required_unless_present = "csv", conflicts_with = "csv")]
    pub run: Option<String>,
    /// success, rolled-back or incident.
    #[arg(long, required_unless_present = "csv", value_parser = parse_result)]
    pub result: Option<ProductionResult>,
    /// Incident severity, e.g. sev2.
    #[arg(long)]
    pub severity: Option<String>,
    /// Minutes until service was restored.
    #[arg(long)]
    pub restore_minutes: Option<f64>,
    /// A one-line note (it lands in reports: no secrets, no personal data).
    #[arg(long)]
    pub note: Option<String>,
    /// Record many outcomes from a CSV of releases (header: run or
    /// service,release; result; optional severity, restore_minutes, note).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Who records it (default: $USER).
    #[arg(long)]
    pub operator: Option<String>,
    /// Store and output.
    #[command(flatten)]
    pub store: StoreArgs,
}

fn parse_result(s: &str) -> Result<ProductionResult, String> {
    ProductionResult::parse(s)
        .ok_or_else(|| format!("`{s}` is not a result; use success, rolled-back or incident"))
}

fn opt(v: Option<f64>) -> String {
    v.map(trim_num).unwrap_or_else(|| "-".into())
}

/// The run list as a table, newest first.
pub fn runs_text(runs: &[RunRow], production: &HashMap<String, ProductionResult>) -> String {
    if runs.is_empty() {
        return "no runs in the history yet (finished runs are indexed when they end; `flightdeck history rebuild` reads every journal)\n".into();
    }
    let mut out = format!(
        "{:<22} {:<14} {:<14} {:<12} {:<12} {:>5} {:>5}  {:<11} started\n",
        "run", "service", "release", "environment", "decision", "score", "risk", "production"
    );
    for r in runs {
        let _ = writeln!(
            out,
            "{:<22} {:<14} {:<14} {:<12} {:<12} {:>5} {:>5}  {:<11} {}",
            r.run_id,
            r.service,
            r.release,
            r.environment,
            r.decision.map(|d| d.badge()).unwrap_or("-"),
            opt(r.score),
            opt(r.risk_score),
            production.get(&r.run_id).map(|p| p.as_str()).unwrap_or("-"),
            r.started_at
        );
    }
    out
}

/// One run, whole.
pub fn show_text(rec: &RunRecord) -> String {
    let r = &rec.run;
    let mut out = format!(
        "run {}: {} {} on {} by {}\nstarted {}  duration {}s  decision {}  score {}  exit {}\njournal {}\n",
        r.run_id,
        r.service,
        r.release,
        r.environment,
        r.operator,
        r.started_at,
        opt(r.duration_s),
        r.decision.map(|d| d.badge()).unwrap_or("-"),
        opt(r.score),
        r.exit_code,
        r.journal
    );
    if let Some(score) = r.risk_score {
        let _ = writeln!(
            out,
            "risk {} {}",
            trim_num(score),
            r.risk_level.as_deref().unwrap_or("").to_uppercase()
        );
    }
    let _ = writeln!(out, "\nstages:");
    for s in &rec.stages {
        let checks = rec.checks.iter().filter(|c| c.stage == s.stage).count();
        let _ = writeln!(
            out,
            "  {:<12} {:<12} {:<5} {} check{}  {}",
            s.stage,
            s.kind.as_str(),
            s.verdict.map(|v| v.badge()).unwrap_or("-"),
            checks,
            if checks == 1 { "" } else { "s" },
            s.summary
        );
    }
    if !rec.load.is_empty() {
        let _ = writeln!(out, "\nload:");
        for l in &rec.load {
            let _ = writeln!(
                out,
                "  {:<8} {:<14} {:>8} req {:>6} err {:>8}/s  p50 {}ms p95 {}ms p99 {}ms{}",
                l.stage,
                l.endpoint,
                l.requests,
                l.errors,
                trim_num(l.rps),
                trim_num(l.p50_ms),
                trim_num(l.p95_ms),
                trim_num(l.p99_ms),
                if l.histogram.is_some() {
                    "  (histogram kept)"
                } else {
                    ""
                }
            );
        }
    }
    let steps: Vec<_> = rec.canary.iter().filter(|c| c.metric == "(step)").collect();
    if !steps.is_empty() {
        let _ = writeln!(out, "\ncanary:");
        for s in steps {
            let _ = writeln!(
                out,
                "  {} step {} at {}%: {}",
                s.stage,
                s.step + 1,
                trim_num(s.percent),
                s.verdict.badge()
            );
        }
    }
    if !rec.drills.is_empty() {
        let _ = writeln!(out, "\ndrill objectives:");
        for d in &rec.drills {
            let _ = writeln!(
                out,
                "  {} {}: {} (bound {}) {}",
                d.stage,
                d.objective,
                d.value,
                d.bound.as_deref().unwrap_or("-"),
                d.verdict.badge()
            );
        }
    }
    if !rec.findings.is_empty() {
        let parts: Vec<String> = rec
            .findings
            .iter()
            .map(|f| format!("{} {} ({} open)", f.total, f.severity, f.open))
            .collect();
        let _ = writeln!(out, "\nfindings: {}", parts.join(", "));
    }
    if let Some(c) = &rec.change {
        let _ = writeln!(
            out,
            "\nchange {}: {} files +{} -{}{}",
            c.change.range,
            c.change.files.len(),
            c.change.lines_added(),
            c.change.lines_removed(),
            if c.full_plan {
                ", full plan"
            } else {
                ", selected plan"
            }
        );
    }
    if rec.outcomes.is_empty() {
        let _ = writeln!(
            out,
            "\nproduction: not recorded (flightdeck outcome {} --result ...)",
            r.run_id
        );
    } else {
        let _ = writeln!(out, "\nproduction:");
        for o in &rec.outcomes {
            let _ = writeln!(
                out,
                "  {} by {}: {}",
                o.recorded_at,
                o.actor,
                o.outcome.text()
            );
        }
    }
    out
}

/// A series with its sparkline.
pub fn trend_text(
    service: &str,
    metric_text: &str,
    metric: &Metric,
    points: &[SeriesPoint],
    ascii: bool,
) -> String {
    if points.is_empty() {
        return format!("{service} {metric_text}: no values in the history yet\n");
    }
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let unit = metric.unit();
    let mut out = format!(
        "{service} {metric_text} over {} run{}: {}  (min {}{unit}, max {}{unit}, last {}{unit})\n\n",
        points.len(),
        if points.len() == 1 { "" } else { "s" },
        sparkline(&values, ascii),
        trim_num(round2(lo)),
        trim_num(round2(hi)),
        trim_num(round2(values[values.len() - 1]))
    );
    for p in points {
        let _ = writeln!(
            out,
            "  {:<22} {:<14} {:>10}{unit}  {}",
            p.run_id,
            p.release,
            trim_num(round2(p.value)),
            p.started_at
        );
    }
    out
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What a rebuild did.
pub fn indexed_text(what: &str, store: &str, i: &Indexed) -> String {
    let mut out = format!(
        "{what}: {} run{} indexed into {store}",
        i.added.len() + i.updated.len(),
        if i.added.len() + i.updated.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    if i.unfinished > 0 {
        let _ = write!(out, "; {} unfinished journal(s) skipped", i.unfinished);
    }
    if i.kept_elsewhere > 0 {
        let _ = write!(out, "; {} run(s) of other machines kept", i.kept_elsewhere);
    }
    out.push('\n');
    for p in &i.problems {
        let _ = writeln!(out, "warning: {p}");
    }
    out
}

/// The calibration report.
pub fn calibration_text(c: &Calibration) -> String {
    let mut out = format!(
        "{}: {} runs, {} with a production outcome ({} bad: rolled back or incident); rates need {} samples\n",
        c.service, c.runs, c.with_outcome, c.bad, c.min_sample
    );
    let g = &c.gate;
    let _ = writeln!(
        out,
        "\ngate (runs with an outcome):\n                 success   bad\n  GO             {:>7} {:>5}\n  NO-GO (overr.) {:>7} {:>5}\n  INCONCLUSIVE   {:>7} {:>5}\n  GO then bad: {}",
        g.go_then_success,
        g.go_then_bad,
        g.nogo_overridden_success,
        g.nogo_overridden_bad,
        g.inconclusive_then_success,
        g.inconclusive_then_bad,
        c.gate_missed.text()
    );
    let _ = writeln!(
        out,
        "  bad outcomes no check fired before: {}",
        c.missed_by_every_check.text()
    );
    if !c.checks.is_empty() {
        let _ = writeln!(
            out,
            "\nchecks (runs with an outcome; fired = fail or warn):\n  {:<10} {:<40} {:>4} {:>5} {:>9}  precision",
            "stage", "check", "runs", "fired", "silent/bad"
        );
        for k in &c.checks {
            let _ = writeln!(
                out,
                "  {:<10} {:<40} {:>4} {:>5} {:>9}  {}",
                k.stage,
                truncate(&k.label, 40),
                k.runs,
                k.fired,
                k.silent_on_bad,
                k.precision.text()
            );
        }
    }
    for (title, list) in [
        ("never fired (tighten or retire?)", &c.never_fire),
        (
            "fired on every run (too tight, or a standing problem?)",
            &c.always_fire,
        ),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{title}:");
            for k in list {
                let _ = writeln!(out, "  {:<10} {} ({} runs)", k.stage, k.label, k.runs);
            }
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
