//! `flightdeck load capacity URL --slo ... --required R`: the capacity
//! search without the TUI. Exit codes: 0 pass or warn, 1 fail (below the
//! required peak), 2 usage or config, 3 inconclusive.

use std::io::IsTerminal;

use tokio_util::sync::CancellationToken;

use super::config::CapacityConfig;
use super::search::{real_step, search};
use crate::core::capacity::CapacityResult;
use crate::core::verdict::Verdict;
use crate::load::cli::OutputFormat;
use crate::load::config::LoadConfig;
use crate::load::error::LoadError;
use crate::load::threshold::Threshold;

/// `flightdeck load capacity URL`.
#[derive(Clone, Debug, clap::Args)]
pub struct CapacityArgs {
    /// Target URL (loopback, or a host given with --allow-host).
    pub url: String,
    /// SLO line such as `p99 < 300ms` or `error_rate < 0.5%` (repeatable).
    #[arg(long = "slo", required = true)]
    pub slo: Vec<String>,
    /// The peak the release must carry, requests per second.
    #[arg(long = "required")]
    pub required: f64,
    /// Never offer more than this many requests per second.
    #[arg(long = "max-rate")]
    pub max_rate: f64,
    /// Pass needs required x headroom.
    #[arg(long, default_value_t = 1.3)]
    pub headroom: f64,
    /// First step's rate (default: a quarter of --required).
    #[arg(long)]
    pub start_rate: Option<f64>,
    /// Each ramp step multiplies the rate by this.
    #[arg(long, default_value_t = 1.5)]
    pub step_factor: f64,
    /// How long each step is held, e.g. 10s.
    #[arg(long, default_value = "10s", value_parser = crate::config::parse_duration)]
    pub step: std::time::Duration,
    /// Bisection steps after the first breach.
    #[arg(long, default_value_t = 4)]
    pub bisect_steps: u32,
    /// Safety bound: a step with a higher error rate stops the search.
    #[arg(long, default_value_t = 0.2)]
    pub max_error_rate: f64,
    /// Open-model connection pool size.
    #[arg(long, default_value_t = 512)]
    pub max_connections: u32,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = crate::config::parse_duration)]
    pub timeout: std::time::Duration,
    /// Allow load to a host other than loopback (repeatable).
    #[arg(long = "allow-host")]
    pub allow_hosts: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

impl CapacityArgs {
    /// The equivalent `[load]` and `[load.capacity]`.
    pub fn to_config(&self) -> (LoadConfig, CapacityConfig) {
        let load = LoadConfig {
            target: self.url.clone(),
            allow_hosts: self.allow_hosts.clone(),
            max_rate: self.max_rate.max(f64::MIN_POSITIVE),
            max_connections: self.max_connections,
            timeout_ms: self.timeout.as_millis() as u64,
            ..LoadConfig::default()
        };
        let cap = CapacityConfig {
            required_rps: self.required,
            slo: self.slo.clone(),
            max_rate: Some(self.max_rate),
            headroom: self.headroom,
            start_rps: self.start_rate,
            step_factor: self.step_factor,
            step_s: self.step.as_secs_f64(),
            bisect_steps: self.bisect_steps,
            max_error_rate: self.max_error_rate,
            ..CapacityConfig::default()
        };
        (load, cap)
    }
}

/// Run the search of `cap` with the `[load]` settings of `load`, calling
/// `on_step` per judged step. Shared by this face and the load stage.
pub async fn run_search(
    load: &LoadConfig,
    cap: &CapacityConfig,
    cancel: CancellationToken,
    on_step: impl FnMut(&crate::core::capacity::CapacityStep),
    on_window: impl FnMut(&crate::core::load::Window) + Clone,
) -> Result<CapacityResult, LoadError> {
    let problems = cap.validate(load.max_rate);
    if !problems.is_empty() {
        return Err(LoadError::Invalid(
            problems
                .into_iter()
                .map(|p| format!("{}: {} ({})", p.key, p.message, p.hint))
                .collect(),
        ));
    }
    let slo = Threshold::parse_all("load.capacity.slo", &cap.slo).map_err(LoadError::Threshold)?;
    let max_rate = cap.max_rate.unwrap_or(load.max_rate).min(load.max_rate);
    // Validate the [load] part (allow-list, caps) once, before any traffic.
    crate::load::plan::LoadPlan::from_config(&LoadConfig {
        rate: Some(cap.start(max_rate)),
        stages: Vec::new(),
        duration_s: Some(cap.step_s),
        ..load.clone()
    })?;
    let step_s = cap.step_s;
    search(
        cap,
        max_rate,
        &slo,
        |rate| real_step(load, rate, step_s, cancel.clone(), on_window.clone()),
        on_step,
        &cancel,
    )
    .await
}

/// Run `flightdeck load capacity`: stdout text and exit code.
pub async fn run_cli(args: CapacityArgs) -> Result<(String, i32), LoadError> {
    let (load, cap) = args.to_config();
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let live = std::io::stderr().is_terminal();
    let result = run_search(
        &load,
        &cap,
        cancel,
        |s| {
            if live {
                eprintln!("{}", step_line(s));
            }
        },
        |_| {},
    )
    .await;
    signal.abort();
    let result = result?;
    let code = match result.verdict {
        Verdict::Pass | Verdict::Warn => 0,
        Verdict::Fail => 1,
        _ => 3,
    };
    let out = match args.output {
        OutputFormat::Json => serde_json::to_string_pretty(&result).unwrap_or_default() + "\n",
        OutputFormat::Text => text(&result),
    };
    Ok((out, code))
}

/// One line per step.
pub fn step_line(s: &crate::core::capacity::CapacityStep) -> String {
    format!(
        "step {:>2} {:>8.1}/s  achieved {:>8.1}/s  p50 {:>7.1}ms  p95 {:>7.1}ms  p99 {:>7.1}ms  err {:>5.2}%  lag p99 {:>6.1}ms  {}",
        s.index,
        s.rate_rps,
        s.achieved_rps,
        s.p50_ms,
        s.p95_ms,
        s.p99_ms,
        s.error_rate * 100.0,
        s.lag_p99_ms,
        s.outcome.map_or("?", |o| o.as_str())
    )
}

fn text(r: &CapacityResult) -> String {
    let mut o = String::new();
    for s in &r.curve {
        o.push_str(&step_line(s));
        o.push('\n');
    }
    let fig = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.0}/s"));
    o.push_str(&format!(
        "{} sustainable {}{}  knee {}  required {:.0}/s x{:.2}  SLO {}\n{}\n",
        r.verdict.badge(),
        fig(r.sustainable_rps),
        if r.bounded_by_max_rate {
            " (max_rate)"
        } else {
            ""
        },
        fig(r.knee_rps),
        r.required_rps,
        r.headroom,
        r.slo.join(", "),
        r.reason
    ));
    o
}
