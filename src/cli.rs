//! Command-line interface.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{ColorMode, parse_duration};
use crate::demo::Scenario;
use crate::output::OutputFormat;

/// Flightdeck: release validation control room. Exit codes: 0 GO, 1 NO-GO,
/// 2 usage or config error, 3 inconclusive, 4 internal error.
#[derive(Parser, Debug)]
#[command(name = "flightdeck", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Commands,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Run the whole plan against the embedded demo environment (no external service).
    Demo {
        /// Demo scenario.
        #[arg(long, value_enum, default_value = "healthy")]
        scenario: Scenario,
        /// A short run for smoke tests: 3 s of load, 3 s per canary step
        /// (and the judge's minimum samples lowered to match).
        #[arg(long)]
        quick: bool,
        /// A GO waits for a `release-manager` sign-off that this account
        /// gives (S in the control room, or `flightdeck signoff`).
        #[arg(long)]
        signoff: bool,
        /// Shared run options.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Run the plan from a config file.
    Run {
        /// Shared run options.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Validate a config file and print every problem at once.
    CheckConfig {
        /// Config file.
        #[arg(short, long, default_value = "config/flightdeck.toml")]
        config: PathBuf,
    },
    /// Infrastructure-as-Code: plan summary, drift, parity with production.
    Env {
        /// What to do.
        #[command(subcommand)]
        command: EnvCommands,
    },
    /// A standalone HTTP load test (loopback and allow-listed hosts only), like
    /// oha; `load calibrate` measures what the setup can detect (A/A).
    Load(Box<LoadCommand>),
    /// Feature flags: evaluate, read, set a rollout percentage, roll back.
    Flags(crate::flags::cli::FlagsArgs),
    /// Operational drills: `drill run FILE` (steady state, method,
    /// rollbacks, objectives), `drill alerts` (promtool, amtool, a live
    /// fire and resolve) and `drill runbook FILE.md`.
    Drill(crate::drill::cli::DrillArgs),
    /// Canary analysis without a run.
    Canary {
        /// What to do.
        #[command(subcommand)]
        command: CanaryCommands,
    },
    /// Security and compliance findings: SARIF import, secrets scan.
    Scan {
        /// What to do.
        #[command(subcommand)]
        command: ScanCommands,
    },
    /// Secret references in config: list them and check that each resolves.
    Secrets {
        /// What to do.
        #[command(subcommand)]
        command: SecretsCommands,
    },
    /// Test data: classify the source's columns, copy it anonymised into
    /// the target, verify that nothing personal leaked and volumes match.
    Data(crate::data::cli::DataArgs),
    /// Policy-as-code (Rego).
    Policy {
        /// What to do.
        #[command(subcommand)]
        command: PolicyCommands,
    },
    /// Runs that crashed with their canary's flag moved: list them, and roll
    /// the flags back with --rollback (journalled in each run's journal).
    /// Exit 0 none left, 1 some left (or a rollback failed), 2 usage.
    Recover(RecoverArgs),
    /// The plan for a change (BASE..HEAD): each stage selected, intensified,
    /// kept or skipped, with the rule that decided. Runs nothing.
    Plan(PlanArgs),
    /// Run history: runs with decision and score; `show RUN`, `trend`,
    /// `rebuild`, `calibrate`.
    History(Box<crate::history::cli::HistoryArgs>),
    /// Record what happened in production after a release (journalled on
    /// the run, and indexed).
    Outcome(Box<crate::history::cli::OutcomeArgs>),
    /// Watch a live run from another terminal (the same screens; viewers
    /// read, operators act); a finished run shows its replay.
    Attach(AttachArgs),
    /// Sign off (approve or reject) a role a live run's gate waits for,
    /// over its socket. Exit 0 recorded, 1 refused or no answer, 2 usage.
    Signoff(SignoffArgs),
    /// Notifications: send again what a finished run never delivered.
    Notify {
        /// What to do.
        #[command(subcommand)]
        command: NotifyCommands,
    },
    /// Internal: one demo API instance, a child process of `flightdeck
    /// demo` for its failover drill (prints its address; exits when stdin
    /// closes).
    #[command(hide = true, name = "demo-instance")]
    DemoInstance {
        /// The version the instance reports.
        #[arg(long)]
        version_served: String,
    },
    /// Show a finished run from its journal (TUI, or reports with --headless).
    Replay {
        /// Path to `journal.jsonl`.
        journal: PathBuf,
        /// Write reports instead of opening the TUI.
        #[arg(long)]
        headless: bool,
        /// Where replayed reports go (default: `<journal dir>/replay`).
        #[arg(long)]
        report_dir: Option<PathBuf>,
        /// UI options.
        #[command(flatten)]
        ui: UiArgs,
    },
}

/// Options shared by `run` and `demo`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Config file (default: config/flightdeck.toml; the demo falls back to its built-in copy).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// No terminal UI: progress on stderr, reports in the run directory. Automatic when stdout is not a terminal.
    #[arg(long)]
    pub headless: bool,
    /// Also copy the reports to this directory.
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
    /// State directory (runs, journals); overrides `state_dir`.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Refuse actions that change things.
    #[arg(long)]
    pub read_only: bool,
    /// Operator name (default: $USER).
    #[arg(long)]
    pub operator: Option<String>,
    /// The change under validation, BASE..HEAD (git, in impact.repo): its
    /// paths select and intensify stages through [[impact.rules]];
    /// overrides `[run] changes`.
    #[arg(long, value_name = "BASE..HEAD")]
    pub changes: Option<String>,
    /// Approve applying the saved plan of an environment with
    /// `iac.apply = "confirm"` (journalled as the operator's action). Without
    /// it a headless run does not apply such a plan and is inconclusive.
    #[arg(long)]
    pub approve_apply: bool,
    /// UI options.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// `flightdeck load URL ...` or `flightdeck load calibrate ...`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LoadCommand {
    /// A load subcommand instead of a load test.
    #[command(subcommand)]
    pub command: Option<LoadCommands>,
    /// The load test.
    #[command(flatten)]
    pub test: Option<crate::load::LoadArgs>,
}

/// `flightdeck load ...` subcommands.
#[derive(Subcommand, Debug)]
pub enum LoadCommands {
    /// A/A calibration: the [load] scenario twice against the same target
    /// (or one run split in halves); per endpoint the run-to-run noise and
    /// the smallest regression the baseline comparison can detect. Stored
    /// in history, where the comparison reads it.
    Calibrate(CalibrateArgs),
    /// A request mix learned from production access logs (combined, JSON
    /// lines, ALB/ELB, CloudFront; .gz read directly): endpoint templates,
    /// weights, status mix, timing, coverage.
    Learn(crate::load::learn::cli::LearnArgs),
    /// Capacity search: the open-model rate in steps, then bisection, to
    /// the highest rate within the SLO, the knee, and the headroom against
    /// the required peak.
    Capacity(crate::load::capacity::cli::CapacityArgs),
}

/// `flightdeck load calibrate -c FILE`.
#[derive(Args, Debug, Clone)]
pub struct CalibrateArgs {
    /// Config file ([load], [run] service, [history]).
    #[arg(short, long, default_value = "config/flightdeck.toml")]
    pub config: PathBuf,
    /// One run split into halves instead of two runs.
    #[arg(long)]
    pub split: bool,
    /// Length of each run (default: the [load] duration).
    #[arg(short = 'z', long, value_parser = crate::config::parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// A steady open-model rate instead of the [load] profile (a ramp makes
    /// the halves of one run differ for a reason other than noise).
    #[arg(short = 'q', long)]
    pub rate: Option<f64>,
    /// Against the embedded demo target (fills the {demo.*} placeholders).
    #[arg(long)]
    pub demo: bool,
    /// State directory (history.db); overrides state_dir.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Measure and print, but do not store in history.
    #[arg(long)]
    pub no_store: bool,
    /// Seed of the bootstrap (the same seed gives the same thresholds).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// `flightdeck plan -c FILE --changes BASE..HEAD`.
#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// Config file.
    #[arg(short, long, default_value = "config/flightdeck.toml")]
    pub config: PathBuf,
    /// The change, BASE..HEAD (default `[run] changes`).
    #[arg(long, value_name = "BASE..HEAD")]
    pub changes: Option<String>,
    /// State directory (for the history that informs the risk).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// Terminal UI options.
#[derive(Args, Debug, Clone, Default)]
pub struct UiArgs {
    /// Theme: default, light, mono, high-contrast, or a file name in themes_dir.
    #[arg(long)]
    pub theme: Option<String>,
    /// Colour mode.
    #[arg(long, value_enum)]
    pub color: Option<ColorMode>,
    /// ASCII borders and chart markers.
    #[arg(long)]
    pub ascii: bool,
    /// Most frames per second.
    #[arg(long)]
    pub fps: Option<u32>,
    /// Capture the mouse.
    #[arg(long)]
    pub mouse: bool,
}

/// `flightdeck scan ...`.
#[derive(Subcommand, Debug)]
pub enum ScanCommands {
    /// Import SARIF files: normalised findings, counts by severity and baseline state.
    Import(crate::scan::cli::ImportArgs),
    /// Scan paths for secrets with gitleaks-format rules (matches are redacted).
    Secrets(crate::scan::cli::SecretsArgs),
}

/// `flightdeck secrets ...`.
#[derive(Subcommand, Debug)]
pub enum SecretsCommands {
    /// List every secret reference in a config (where, what kind) and whether
    /// it resolves, never its value. Exit 0 all resolve, 1 some do not, 2 bad config.
    Check(SecretsCheckArgs),
}

/// `flightdeck secrets check -c FILE`
#[derive(Args, Debug, Clone)]
pub struct SecretsCheckArgs {
    /// Config file.
    #[arg(short, long, default_value = "config/flightdeck.toml")]
    pub config: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// `flightdeck policy ...`.
#[derive(Subcommand, Debug)]
pub enum PolicyCommands {
    /// Evaluate a directory of Rego policies over an input JSON document.
    Eval(crate::policy::cli::EvalArgs),
}

/// `flightdeck env ...`.
#[derive(Subcommand, Debug)]
pub enum EnvCommands {
    /// Summarise a `terraform show -json` plan: changes, risk, masked values.
    Plan(crate::iac::face::PlanArgs),
    /// List drift from a `terraform plan -refresh-only` JSON plan.
    Drift(crate::iac::face::DriftArgs),
    /// Compare pre-production with production: parity score and differences.
    Parity(crate::iac::face::ParityArgs),
}

/// `flightdeck canary ...`.
#[derive(Subcommand, Debug)]
pub enum CanaryCommands {
    /// Judge two samples (one number per line): Mann-Whitney U, confidence
    /// interval, effect size.
    Judge(crate::canary::cli::JudgeArgs),
}

/// `flightdeck notify ...`.
#[derive(Subcommand, Debug)]
pub enum NotifyCommands {
    /// Send what a finished run's notifications never delivered (same
    /// message ids), recording the attempts in its journal. Exit 0 all sent
    /// (or nothing pending), 1 some not, 2 bad run or config.
    Resend(crate::notify::resend::ResendArgs),
}

/// `flightdeck attach`.
#[derive(Args, Debug, Clone)]
pub struct AttachArgs {
    /// The run id (or run directory); default: the newest live run.
    pub run: Option<String>,
    /// State directory where runs are looked up; overrides `state_dir`.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Config file for the state directory and the look (theme, keymap);
    /// default: config/flightdeck.toml when present.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// No terminal UI: the run's progress lines on stderr until it ends.
    #[arg(long)]
    pub headless: bool,
    /// UI options.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// `flightdeck signoff`.
#[derive(Args, Debug, Clone)]
pub struct SignoffArgs {
    /// The run id (or run directory).
    pub run: String,
    /// The role to sign, as in `[[gate.signoffs]]`.
    #[arg(long)]
    pub role: String,
    /// Approve.
    #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
    pub approve: bool,
    /// Reject: the run is NO-GO with the comment as the reason.
    #[arg(long)]
    pub reject: bool,
    /// Why (required to reject).
    #[arg(long, default_value = "")]
    pub comment: String,
    /// Sign the sign-off with this SSH private key (`ssh-keygen -Y sign`).
    #[arg(long)]
    pub ssh_key: Option<PathBuf>,
    /// State directory where run ids are looked up.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// How long to wait for the run's answer.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `flightdeck recover [--run ID] [--rollback]`
#[derive(Args, Debug, Clone)]
pub struct RecoverArgs {
    /// Only this run (its id, the name of its directory under `runs/`).
    #[arg(long)]
    pub run: Option<String>,
    /// Roll the flags back (without it, only list).
    #[arg(long)]
    pub rollback: bool,
    /// State directory (default: `FLIGHTDECK__STATE_DIR`, else the config's
    /// `state_dir` with `-c`, else `./.flightdeck`).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Config file whose `state_dir` to use.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Who recovers, for the journal (default: `$USER`).
    #[arg(long)]
    pub operator: Option<String>,
    /// Why, for the journal.
    #[arg(long, default_value = "flightdeck recover")]
    pub reason: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}
