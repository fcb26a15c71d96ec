//! Starting runs: config layering, run directory and journal, tracing, the
//! engine, and the consumer (TUI or headless), with exit codes; and the
//! faces that need the whole config (`check-config`, [`secrets`]).

pub mod attach;
pub mod calibrate;
pub mod check;
mod demo;
pub mod drill_ops;
use demo::filled_warnings;
pub use demo::{add_demo_signoff, quicken, start_demo};
pub mod history;
pub mod prepare;
pub mod recover;
pub mod secrets;
pub mod share;
pub mod signoff;

pub use check::{check_config, load_checked, load_config};

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use tokio::sync::mpsc::unbounded_channel;

use crate::cli::{RunArgs, UiArgs};
use crate::config::{ColorMode, OverrideValue, Problem, Severity, Sources};
use crate::core::command::Command;
use crate::core::event::{LogLevel, Outcome};
use crate::core::state::RunState;
use crate::demo::{DemoTargets, Scenario};
use crate::engine::{self, AfterDecision, ApplyApprovals, Config, RunIdentity};
use crate::record::journal::{self, JOURNAL_FILE, Journal};
use crate::record::recorder::Recorder;
use crate::record::run_dir::{CONFIG_FILE, RunLock};
use crate::{headless, report, ui};

/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: i32 = 2;
/// Exit code for internal errors.
pub const EXIT_INTERNAL: i32 = 4;

/// The default config file.
pub const DEFAULT_CONFIG: &str = "config/flightdeck.toml";
/// The demo's config, built in so the demo runs from any directory.
const BUILTIN_CONFIG: &str = include_str!("../config/flightdeck.toml");

/// A failure that ends the command, with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub code: i32,
    /// One-line (or one-per-problem) message.
    pub message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }
    fn internal(e: anyhow::Error) -> Failure {
        Failure {
            code: EXIT_INTERNAL,
            message: format!("{e:#}"),
        }
    }
}

fn color_name(c: ColorMode) -> &'static str {
    match c {
        ColorMode::Auto => "auto",
        ColorMode::Never => "never",
        ColorMode::Ansi16 => "16",
        ColorMode::Ansi256 => "256",
        ColorMode::Truecolor => "truecolor",
    }
}

fn apply_ui_args(s: &mut Sources, ui: &UiArgs) {
    if let Some(t) = &ui.theme {
        s.set("ui.theme", OverrideValue::Str(t.clone()));
    }
    if let Some(c) = ui.color {
        s.set("ui.color", OverrideValue::Str(color_name(c).into()));
    }
    if ui.ascii {
        s.set("ui.ascii", OverrideValue::Bool(true));
    }
    if let Some(f) = ui.fps {
        s.set("ui.fps", OverrideValue::Int(i64::from(f)));
    }
    if ui.mouse {
        s.set("ui.mouse", OverrideValue::Bool(true));
    }
}

fn sources_for(args: &RunArgs, demo: bool) -> Sources {
    let file = args.config.clone().or_else(|| {
        let p = PathBuf::from(DEFAULT_CONFIG);
        (!demo || p.is_file()).then_some(p)
    });
    let mut s = Sources::from_process(file.clone());
    if file.is_none() {
        s.text = Some(("built-in demo config".into(), BUILTIN_CONFIG.into()));
    }
    if let Some(d) = &args.state_dir {
        s.set("state_dir", OverrideValue::Str(d.display().to_string()));
    }
    if args.read_only {
        s.set("run.read_only", OverrideValue::Bool(true));
    }
    if let Some(o) = &args.operator {
        s.set("run.operator", OverrideValue::Str(o.clone()));
    }
    if let Some(c) = &args.changes {
        s.set("run.changes", OverrideValue::Str(c.clone()));
    }
    apply_ui_args(&mut s, &args.ui);
    s
}

fn new_run_id() -> String {
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", Utc::now().format("%Y%m%d-%H%M%S"), &rand[..4])
}

/// Create `state_dir/runs/<id>`, take its liveness lock (held until the
/// process ends: a run whose lock is free has died) and create its journal.
fn prepare_run_dir(cfg: &Config, run_id: &str) -> Result<(PathBuf, Journal, RunLock), Failure> {
    let dir = cfg.state_dir.join("runs").join(run_id);
    std::fs::create_dir_all(&dir).map_err(|e| {
        Failure::usage(format!(
            "error: state directory {} is not writable ({e}); set state_dir, FLIGHTDECK__STATE_DIR or --state-dir to a writable directory",
            cfg.state_dir.display()
        ))
    })?;
    let writable = |e: anyhow::Error| {
        Failure::usage(format!(
            "error: {e:#}; set state_dir, FLIGHTDECK__STATE_DIR or --state-dir to a writable directory"
        ))
    };
    let lock = RunLock::hold(&dir).map_err(writable)?;
    let journal = Journal::create(&dir.join(JOURNAL_FILE)).map_err(writable)?;
    Ok((dir, journal, lock))
}

/// Save the run's effective config (secrets as references only) in its
/// directory, so that a later `flightdeck recover` finds its flag provider.
fn save_config(cfg: &Config, run_dir: &Path) -> Result<(), Failure> {
    let path = run_dir.join(CONFIG_FILE);
    let json = serde_json::to_string_pretty(cfg)
        .context("cannot encode the effective config")
        .map_err(Failure::internal)?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Failure::internal)
}

fn ui_options(cfg: &Config, replay: bool) -> ui::UiOptions {
    ui::UiOptions {
        theme: cfg.ui.theme.clone(),
        themes_dir: cfg.ui.themes_dir.clone(),
        keymap: cfg.ui.keymap.clone(),
        fps: cfg.ui.fps,
        ascii: cfg.ui.ascii,
        color: cfg.ui.color,
        mouse: cfg.ui.mouse,
        read_only: cfg.run.read_only,
        replay,
        rollback_confirm: cfg.canary.rollback_confirm,
        attached: None,
    }
}

/// Send tracing to the log file, and to tui-logger when the TUI runs.
fn init_tracing(log_file: Option<&Path>, tui: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};

    let filter =
        || EnvFilter::try_from_env("FLIGHTDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file_layer = log_file
        .and_then(|p| std::fs::File::create(p).ok())
        .map(|f| {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .with_filter(filter())
        });
    let tui_layer = tui.then(|| {
        let _ = tui_logger::init_logger(tui_logger::LevelFilter::Debug);
        tui_logger::set_default_level(tui_logger::LevelFilter::Info);
        tui_logger::TuiTracingSubscriberLayer.with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(tui_layer)
        .try_init();
}

/// Forward SIGTERM, SIGHUP and SIGINT to the engine as an abort (headless).
fn forward_signals(tx: tokio::sync::mpsc::UnboundedSender<Command>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
            _ = int.recv() => "SIGINT",
        };
        let _ = tx.send(Command::Abort {
            reason: name.to_string(),
        });
    });
}

/// What a finished run leaves behind.
#[derive(Debug)]
pub struct Finished {
    /// Process exit code.
    pub code: i32,
    /// Summary printed after the run (stdout after the TUI, stderr headless).
    pub summary: String,
}

fn summarise(state: &RunState, run_dir: &Path) -> String {
    let outcome = state.outcome.map(|o| o.badge()).unwrap_or("UNFINISHED");
    let score = state
        .decision
        .as_ref()
        .map(|d| {
            format!(
                " score {} ({})",
                crate::core::format::trim_num(d.score),
                d.rationale
            )
        })
        .unwrap_or_default();
    format!(
        "{outcome}{score}\nreports and journal: {}",
        run_dir.display()
    )
}

/// How the demo runs.
#[derive(Clone, Copy, Debug)]
pub struct Demo {
    /// Scenario.
    pub scenario: Scenario,
    /// Short timings for smoke tests.
    pub quick: bool,
    /// A GO waits for a sign-off by this account.
    pub signoff: bool,
}

/// `flightdeck run` and `flightdeck demo`.
pub async fn run(args: RunArgs, demo: Option<Demo>) -> Result<Finished, Failure> {
    let sources = sources_for(&args, demo.is_some());
    let (mut cfg, mut warnings) = load_checked(&sources)?;
    if demo.is_none() && engine::config::uses_demo_placeholders(&cfg) {
        return Err(Failure::usage(
            "error: the config uses {demo.*} placeholders, which only `flightdeck demo` fills (hint: put real URLs and paths in your config, or run `flightdeck demo`)",
        ));
    }
    let headless = args.headless || !std::io::stdout().is_terminal();
    let opts = ui_options(&cfg, false);
    if !headless {
        ui::validate_options(&opts).map_err(|e| Failure::usage(format!("error: {e:#}")))?;
    }
    let prepared = prepare::prepare(&cfg).await?;
    let run_id = new_run_id();
    let (run_dir, journal, _lock) = prepare_run_dir(&cfg, &run_id)?;
    // Without a person to ask, an orphaned flag is rolled back by default.
    cfg.canary.on_orphan.get_or_insert(if headless {
        crate::canary::OnOrphan::Rollback
    } else {
        crate::canary::OnOrphan::Ask
    });
    let mut provided = crate::secrets::Provided::default();
    let (targets, receiver) = match demo {
        Some(d) => {
            if d.quick {
                quicken(&mut cfg);
            }
            if d.signoff {
                add_demo_signoff(&mut cfg);
            }
            let receiver = crate::demo::receiver::DemoReceiver::start()
                .await
                .map_err(Failure::internal)?;
            provided = receiver.provided();
            let targets = start_demo(&mut cfg, d.scenario, &run_dir).await?;
            // Now that the placeholders hold the demo's own paths, check again.
            warnings = filled_warnings(&cfg, &sources);
            (Some(targets), Some(receiver))
        }
        None => (None, None),
    };
    for w in &warnings {
        eprintln!("{}", check::problem_line(w));
    }
    save_config(&cfg, &run_dir)?;
    if !headless {
        // The TUI asks in a dialog; these lines stay on the terminal after it.
        recover::notice(&cfg.state_dir, Some(&run_id));
    }
    init_tracing(Some(&run_dir.join("flightdeck.log")), !headless);
    let id = RunIdentity {
        run_id,
        // `--operator` also reaches `run.operator` (the top layer); passing
        // it apart lets the journal say which of the two named the operator.
        operator: crate::identity::operator(args.operator.as_deref(), &cfg.run.operator),
        approvals: match (args.approve_apply, headless) {
            (true, _) => ApplyApprovals::PreApproved,
            (false, true) => ApplyApprovals::Nobody,
            (false, false) => ApplyApprovals::Operator,
        },
    };
    let rec = Recorder::new(Some(journal));
    for w in &warnings {
        rec.log(
            LogLevel::Warn,
            None,
            format!("config {}", check::problem_line(w)),
        );
    }
    let (cmd_tx, cmd_rx) = unbounded_channel();
    let sharing = share::Sharing::start(&cfg, &rec, &run_dir, &provided, &cmd_tx).await;
    let (state0, rx) = rec.subscribe();
    let after = if headless {
        AfterDecision::Return
    } else {
        AfterDecision::ServeCommands
    };
    let engine = {
        let (cfg, rec) = (cfg.clone(), rec.clone());
        tokio::spawn(async move {
            let outcome = engine::run_with(&cfg, &id, &rec, cmd_rx, after, &prepared).await;
            rec.close();
            outcome
        })
    };
    let state = if headless {
        forward_signals(cmd_tx.clone());
        headless::follow(state0, rx).await
    } else {
        let exit = ui::run_tui(opts, state0, Some(rx), Some(cmd_tx.clone())).await;
        let abort = match &exit {
            Ok(ui::UiExit::Signal(name)) => Some(name.clone()),
            Ok(ui::UiExit::Quit) => None,
            // The run outlives its screen: the failure is journalled, the
            // run ends (as on SIGHUP), and its journal and reports are
            // complete before the error is reported.
            Err(e) => {
                rec.log(
                    LogLevel::Error,
                    None,
                    format!("the terminal failed: {e:#}; the run stops"),
                );
                Some(format!("terminal error: {e:#}"))
            }
        };
        if let Some(reason) = abort {
            let _ = cmd_tx.send(Command::Abort { reason });
        }
        drop(cmd_tx);
        let _ = tokio::time::timeout(Duration::from_secs(5), engine).await;
        if let Err(e) = exit {
            let state = rec.snapshot();
            report::write_all(&state, &run_dir).map_err(Failure::internal)?;
            return Err(Failure::internal(e.context(format!(
                "the control room failed; journal and reports: {}",
                run_dir.display()
            ))));
        }
        rec.snapshot()
    };
    drop(targets);
    report::write_all(&state, &run_dir).map_err(Failure::internal)?;
    sharing.finish().await;
    drop(receiver);
    if let Some(dir) = &args.report_dir {
        report::write_all(&state, dir).map_err(Failure::internal)?;
    }
    let mut code = state.outcome.unwrap_or(Outcome::Inconclusive).exit_code();
    let mut summary = summarise(&state, &run_dir);
    if let Some(e) = rec.journal_error() {
        code = EXIT_INTERNAL;
        summary.push_str(&format!("\nerror: the journal is incomplete: {e}"));
    }
    if let Some(w) = prepare::index_finished(&cfg, &run_dir.join(JOURNAL_FILE)).await {
        summary.push('\n');
        summary.push_str(&w);
    }
    Ok(Finished { code, summary })
}

/// `flightdeck replay`.
pub async fn replay(
    path: &Path,
    headless: bool,
    report_dir: Option<PathBuf>,
    ui_args: &UiArgs,
) -> Result<Finished, Failure> {
    let back = journal::read(path).map_err(|e| {
        Failure::usage(format!(
            "error: {e:#} (hint: pass the path of a journal.jsonl)"
        ))
    })?;
    for p in &back.problems {
        eprintln!("warning: {}: {p}", path.display());
    }
    if back.envelopes.is_empty() {
        return Err(Failure::usage(format!(
            "error: {}: no events could be read (hint: is this a Flightdeck journal.jsonl?)",
            path.display()
        )));
    }
    let state = RunState::from_envelopes(&back.envelopes);
    let headless = headless || !std::io::stdout().is_terminal();
    let code = state.outcome.unwrap_or(Outcome::Inconclusive).exit_code();
    if headless {
        let dir = report_dir.unwrap_or_else(|| {
            path.parent()
                .unwrap_or_else(|| Path::new("."))
                .join("replay")
        });
        report::write_all(&state, &dir).map_err(Failure::internal)?;
        return Ok(Finished {
            code,
            summary: summarise(&state, &dir),
        });
    }
    let mut sources = Sources::from_process(None);
    apply_ui_args(&mut sources, ui_args);
    let cfg = load_config(&sources)?;
    let opts = ui_options(&cfg, true);
    ui::validate_options(&opts).map_err(|e| Failure::usage(format!("error: {e:#}")))?;
    init_tracing(None, true);
    ui::run_tui(opts, state.clone(), None, None)
        .await
        .context("replay")
        .map_err(Failure::internal)?;
    Ok(Finished {
        code,
        summary: summarise(&state, path.parent().unwrap_or(Path::new("."))),
    })
}
