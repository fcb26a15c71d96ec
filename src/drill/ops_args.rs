//! The arguments of `flightdeck drill alerts` and `flightdeck drill
//! runbook`, beside `drill run`'s in [`super::cli`], so that the command
//! line can name them without importing the launcher that runs them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::output::OutputFormat;

/// The alerting and runbook drills' commands, flattened into the `drill`
/// group beside `drill run`.
#[derive(Subcommand, Debug, Clone)]
pub enum DrillOpsCommand {
    /// Do the alerts work? promtool checks and unit-tests the rules, amtool
    /// checks the Alertmanager config and each expected route; with --live,
    /// a real Prometheus and Alertmanager fire and resolve an alert on a
    /// fault injected into the target. Exit 0 pass, 1 fail, 2 usage, 3
    /// inconclusive (a tool missing).
    Alerts(Box<AlertsArgs>),
    /// Execute a Markdown incident runbook: its marked shell blocks
    /// (```sh {step="restart" expect="active" timeout="30s"}) run in order,
    /// each output checked; unmarked blocks never run. Exit 0 it still
    /// matches reality, 1 a step failed (named), 2 malformed runbook.
    Runbook(RunbookArgs),
}

/// `flightdeck drill alerts ...`
#[derive(Args, Debug, Clone)]
pub struct AlertsArgs {
    /// Prometheus rule files (`promtool check rules`).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// promtool unit test files (`promtool test rules`, run from each
    /// file's folder since its rule_files are relative).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub tests: Vec<PathBuf>,
    /// Alertmanager config (`amtool check-config`).
    #[arg(long, value_name = "FILE")]
    pub alertmanager_config: Option<PathBuf>,
    /// Labels and the receiver they must reach:
    /// 'severity=page,team=checkout=oncall-pager' (repeatable).
    #[arg(long, value_name = "LABELS=RECEIVER")]
    pub expect_route: Vec<String>,
    /// Also run the live drill: start Prometheus and Alertmanager on
    /// 127.0.0.1 (with --rules and --alertmanager-config), inject a fault,
    /// time the alert firing, its delivery and its resolution.
    #[arg(long, requires_all = ["alert", "alertmanager_config"])]
    pub live: bool,
    /// Live: the alert the fault must fire.
    #[arg(long, value_name = "ALERTNAME")]
    pub alert: Option<String>,
    /// Live: the receiver the alert must reach (the webhook payload's
    /// `receiver`); another one fails the drill.
    #[arg(long, value_name = "RECEIVER")]
    pub expect_receiver: Option<String>,
    /// Live: the metrics URL Prometheus scrapes (127.0.0.1 or [::1]);
    /// default: the embedded demo's canary, started for the drill.
    #[arg(long, value_name = "URL", requires = "fault_url")]
    pub target: Option<String>,
    /// Live: POST injects the fault, DELETE clears it (default with the
    /// demo: its canary's /admin/fault).
    #[arg(long, value_name = "URL")]
    pub fault_url: Option<String>,
    /// Live: GET at 20 requests/s through the drill, so that rates have
    /// traffic (default with the demo: its canary's /api/cart).
    #[arg(long, value_name = "URL")]
    pub traffic_url: Option<String>,
    /// Live objective: the alert fires at Prometheus within this of the fault.
    #[arg(long, default_value = "60s", value_parser = crate::config::parse_duration)]
    pub fire_within: std::time::Duration,
    /// Live objective: the alert resolves within this of the fault's end.
    #[arg(long, default_value = "60s", value_parser = crate::config::parse_duration)]
    pub resolve_within: std::time::Duration,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// `flightdeck drill runbook FILE.md`
#[derive(Args, Debug, Clone)]
pub struct RunbookArgs {
    /// The runbook (Markdown).
    pub file: PathBuf,
    /// List the steps that would run, with their checks; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// An environment variable holding a secret the steps use: its value
    /// is replaced by *** in every output kept (repeatable).
    #[arg(long, value_name = "NAME")]
    pub secret_env: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}
