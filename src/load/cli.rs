//! The standalone face: `flightdeck load URL ...` without the TUI, printing
//! a human summary or oha-compatible JSON, with an exit code for CI
//! (0 pass, 1 fail, 3 inconclusive).

use crate::config::parse_duration;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::core::verdict::Verdict;

use super::baseline::{Baseline, compare};
use super::config::{LoadConfig, RequestSpec};
use super::error::LoadError;
use super::judge::judge;
use super::locust::{Engine, LocustConfig};
use super::plan::LoadPlan;
use super::threshold::Threshold;
use crate::core::load::Window;
use crate::load::LoadUpdate;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A human summary.
    Text,
    /// JSON with oha-compatible fields plus Flightdeck's own.
    Json,
}

/// `flightdeck load`: send load to one URL and judge it.
#[derive(Clone, Debug, clap::Args)]
pub struct LoadArgs {
    /// Target URL (loopback, or a host given with --allow-host).
    pub url: String,
    /// Open model: requests per second on an arrival schedule.
    #[arg(short = 'q', long, conflicts_with = "connections")]
    pub rate: Option<f64>,
    /// Closed model: connections sending back to back (default 10).
    #[arg(short = 'c', long)]
    pub connections: Option<u32>,
    /// Run length, e.g. 10s, 1m, 500ms.
    #[arg(short = 'z', long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// HTTP method.
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,
    /// Extra header, `name: value` (repeatable).
    #[arg(short = 'H', long = "header")]
    pub headers: Vec<String>,
    /// Request body.
    #[arg(short = 'd', long)]
    pub body: Option<String>,
    /// Criterion such as `p95 < 300ms` or `error_rate < 1%` (repeatable).
    #[arg(long = "threshold")]
    pub thresholds: Vec<String>,
    /// Allow load to a host other than loopback (repeatable).
    #[arg(long = "allow-host")]
    pub allow_hosts: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// Save this run as baseline NAME when it passes.
    #[arg(long, value_name = "NAME")]
    pub save_baseline: Option<String>,
    /// Compare with baseline NAME.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Where baselines are kept.
    #[arg(long, default_value = ".flightdeck")]
    pub state_dir: PathBuf,
    /// Service name under which baselines are kept.
    #[arg(long, default_value = "load")]
    pub service: String,
    /// Open-model connection pool size.
    #[arg(long, default_value_t = 512)]
    pub max_connections: u32,
    /// Refuse rates above this.
    #[arg(long, default_value_t = 20_000.0)]
    pub max_rate: f64,
    /// Speak HTTP/2: prior knowledge (h2c) over TCP, ALPN over HTTPS.
    #[arg(long)]
    pub http2: bool,
    /// PEM file of extra CA certificates trusted for https:// targets.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// DANGER: do not verify the server certificate at all (https:// only).
    /// The server is not authenticated; use only against throwaway test servers.
    #[arg(long)]
    pub insecure: bool,
    /// Response header naming the variant that served a request.
    #[arg(long, default_value = "x-variant")]
    pub variant_header: String,
    /// Request header carrying a varied targeting key, e.g. x-user-id.
    #[arg(long)]
    pub targeting_header: Option<String>,
    /// Load engine: `builtin` (this process) or `locust` (a Locust master
    /// and workers, found through FLIGHTDECK_LOCUST or PATH).
    #[arg(long, value_enum, default_value = "builtin")]
    pub engine: EngineArg,
    /// Locust: local worker processes.
    #[arg(long, default_value_t = 2)]
    pub workers: u32,
    /// Locust: how long workers may take to join.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub join_timeout: Duration,
    /// Locust: workers that may be lost mid-run before the run is inconclusive.
    #[arg(long, default_value_t = 0)]
    pub allow_fewer: u32,
}

/// `--engine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// Flightdeck's own engine.
    Builtin,
    /// Locust master and workers.
    Locust,
}

impl LoadArgs {
    /// The equivalent `[load]` section.
    pub fn to_config(&self) -> Result<LoadConfig, LoadError> {
        let mut headers = BTreeMap::new();
        for (i, h) in self.headers.iter().enumerate() {
            let Some((k, v)) = h.split_once(':') else {
                return Err(LoadError::Field {
                    key: format!("--header[{i}]"),
                    message: format!("\"{h}\" has no colon"),
                    hint: "write -H 'name: value'".into(),
                });
            };
            headers.insert(k.trim().to_string(), v.trim().to_string());
        }
        Ok(LoadConfig {
            target: self.url.clone(),
            allow_hosts: self.allow_hosts.clone(),
            connections: self.connections,
            rate: self.rate,
            duration_s: Some(self.duration.as_secs_f64()),
            timeout_ms: self.timeout.as_millis() as u64,
            requests: vec![RequestSpec {
                name: String::new(),
                method: self.method.to_ascii_uppercase(),
                path: String::new(),
                headers,
                body: self.body.clone(),
                weight: 1,
            }],
            variant_header: self.variant_header.clone(),
            targeting_header: self.targeting_header.clone(),
            http2: self.http2,
            ca_file: self.ca_file.clone(),
            insecure: self.insecure,
            max_rate: self.max_rate,
            max_connections: self.max_connections,
            thresholds: self.thresholds.clone(),
            engine: match self.engine {
                EngineArg::Builtin => Engine::Builtin,
                EngineArg::Locust => Engine::Locust,
            },
            locust: LocustConfig {
                workers: self.workers,
                join_timeout_s: self.join_timeout.as_secs_f64(),
                allow_fewer: self.allow_fewer,
                ..LocustConfig::default()
            },
            ..LoadConfig::default()
        })
    }
}

/// Run `flightdeck load` and return the text for stdout and the exit code
/// (0 pass or warn, 1 fail, 3 inconclusive). Ctrl-C stops the load at once
/// and still prints what was measured.
pub async fn run_cli(args: LoadArgs) -> Result<(String, i32), LoadError> {
    let cfg = args.to_config()?;
    let thresholds =
        Threshold::parse_all("--threshold", &args.thresholds).map_err(LoadError::Threshold)?;
    let plan = LoadPlan::from_config(&cfg)?;
    let previous = match &args.baseline {
        Some(name) => Some(Baseline::load(&args.state_dir, &args.service, name)?),
        None => None,
    };
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    // Ctrl-C and SIGTERM both stop the load, so that every process an
    // engine started is stopped before the summary prints.
    let signal = tokio::spawn(async move {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
        on_signal.cancel();
    });
    let live = std::io::stderr().is_terminal();
    let mut windows: Vec<Window> = Vec::new();
    let result = super::dispatch::run_configured(&cfg, plan, cancel, |u| {
        if let (LoadUpdate::Workers(p), true) = (&u, live) {
            let each: Vec<String> = p
                .workers
                .iter()
                .map(|w| format!("{} {}", w.label, w.state))
                .collect();
            eprintln!(
                "{}: {}/{} workers  {}",
                p.engine,
                p.joined(),
                p.expected,
                each.join("  ")
            );
        }
        if let LoadUpdate::Window(w) = u {
            if live {
                eprintln!(
                    "{:>4}s {:>8.0} req/s  p50 {:>7.1}ms  p99 {:>7.1}ms  err {:>5}  lag p99 {:>6.1}ms{}",
                    w.second, w.achieved_rps, w.p50_ms, w.p99_ms, w.errors, w.lag_p99_ms, if w.saturated { "  SATURATED" } else { "" }
                );
            }
            windows.push(w);
        }
    })
    .await;
    signal.abort();
    let summary = result?;
    let scenario = args
        .baseline
        .clone()
        .or_else(|| args.save_baseline.clone())
        .unwrap_or_default();
    let current = Baseline::from_run(&args.service, &scenario, &summary, &windows);
    let comparison = previous.map(|p| compare(p.as_ref(), &current, &cfg.baseline));
    let (verdict, evidence, line) = judge(&summary, &windows, &thresholds, comparison.as_ref());
    let mut saved = None;
    if let Some(name) = &args.save_baseline {
        saved = Some(if matches!(verdict, Verdict::Pass | Verdict::Warn) {
            Baseline::save(&args.state_dir, &args.service, name, &summary, &windows)?
                .display()
                .to_string()
        } else {
            format!("not saved: verdict is {}", verdict.as_str())
        });
    }
    let code = match verdict {
        Verdict::Fail => 1,
        Verdict::Inconclusive => 3,
        _ => 0,
    };
    let threshold_results: Vec<_> = thresholds
        .iter()
        .map(|t| t.evaluate_windows(&summary, &windows))
        .collect();
    let out = match args.output {
        OutputFormat::Json => {
            let v = json_report(
                &summary,
                verdict,
                &line,
                &evidence,
                &threshold_results,
                comparison.as_ref(),
                saved.as_deref(),
            );
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        OutputFormat::Text => text_report(&summary, &line, &evidence, saved.as_deref()),
    };
    Ok((out, code))
}

#[path = "cli_output.rs"]
mod output;
pub use output::json_report;
use output::text_report;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        load: LoadArgs,
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(
            parse_duration("10 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
    }

    #[test]
    fn rate_and_connections_conflict() {
        assert!(
            Cli::try_parse_from(["x", "http://127.0.0.1:1/", "--rate", "5", "-c", "2"]).is_err()
        );
        let c = Cli::try_parse_from([
            "x",
            "http://127.0.0.1:1/",
            "--rate",
            "5",
            "-H",
            "a: b",
            "--threshold",
            "p95 < 1s",
            "-z",
            "2s",
        ])
        .unwrap();
        let cfg = c.load.to_config().unwrap();
        assert_eq!(cfg.rate, Some(5.0));
        assert_eq!(cfg.requests[0].headers["a"], "b");
        assert_eq!(cfg.duration_s, Some(2.0));
    }

    #[tokio::test]
    async fn refuses_a_host_off_the_allow_list() {
        let c = Cli::try_parse_from(["x", "http://load-target.invalid/", "-z", "1s"]).unwrap();
        let e = run_cli(c.load).await.unwrap_err().to_string();
        assert!(
            e.contains("load-target.invalid") && e.contains("add it to load.allow_hosts"),
            "{e}"
        );
    }
}
