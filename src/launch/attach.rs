//! `flightdeck attach [RUN-ID]`: watch a live run from another terminal
//! (over `ssh -t host flightdeck attach`, the SSH login decides who you
//! are). The run's journal arrives from its start, then live, into a mirror
//! recorder that the same control room follows, so the screen is folded
//! by the same code as the owner's. A viewer's keys that change things say
//! "read-only: ask the operator for control"; an operator's go to the run's
//! engine with their identity. A finished run is shown as its replay.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use tokio::sync::mpsc::unbounded_channel;

use super::{Failure, Finished, apply_ui_args, load_config, ui_options};
use crate::cli::AttachArgs;
use crate::config::{OverrideValue, Sources};
use crate::core::event::Outcome;
use crate::core::state::RunState;
use crate::record::journal::{self, JOURNAL_FILE};
use crate::record::recorder::Recorder;
use crate::share::client::{self, AttachError, Ended};
use crate::share::protocol::{RemoteCommand, SOCKET_FILE};
use crate::ui::Status;

/// The run directories under `state_dir`, newest first (run ids start
/// with their start time).
fn runs_newest_first(state_dir: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(state_dir.join("runs"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    runs.sort();
    runs.reverse();
    runs
}

/// The run directory a `RUN` argument names.
pub(crate) fn run_dir(run: &str, state_dir: &Path) -> Option<PathBuf> {
    [PathBuf::from(run), state_dir.join("runs").join(run)]
        .into_iter()
        .find(|p| p.join(JOURNAL_FILE).is_file() || p.join(SOCKET_FILE).exists())
}

/// Print a finished run's narrative and return its exit code (headless).
fn print_finished(journal_path: &Path) -> Result<Finished, Failure> {
    let back = journal::read(journal_path).map_err(|e| Failure::usage(format!("error: {e:#}")))?;
    let state = RunState::from_envelopes(&back.envelopes);
    for env in &back.envelopes {
        if let Some(line) = crate::headless::progress_line(state.started_at, env) {
            eprintln!("{line}");
        }
    }
    Ok(Finished {
        code: state.outcome.unwrap_or(Outcome::Inconclusive).exit_code(),
        summary: format!(
            "{} (finished run, from its journal {})",
            state.outcome.map_or("UNFINISHED", |o| o.badge()),
            journal_path.display()
        ),
    })
}

/// `flightdeck attach`.
pub async fn attach(args: AttachArgs) -> Result<Finished, Failure> {
    let file = args.config.clone().or_else(|| {
        let p = PathBuf::from(super::DEFAULT_CONFIG);
        p.is_file().then_some(p)
    });
    let builtin = file.is_none();
    let mut sources = Sources::from_process(file);
    if builtin {
        // Only the state directory and the look are read: the built-in
        // config gives the defaults.
        sources.text = Some(("built-in config".into(), super::BUILTIN_CONFIG.into()));
    }
    if let Some(d) = &args.state_dir {
        sources.set("state_dir", OverrideValue::Str(d.display().to_string()));
    }
    apply_ui_args(&mut sources, &args.ui);
    let cfg = load_config(&sources)?;
    let headless = args.headless || !std::io::stdout().is_terminal();
    let (dir, session) = match &args.run {
        Some(run) => {
            let dir = run_dir(run, &cfg.state_dir).ok_or_else(|| {
                Failure::usage(format!(
                    "error: no run `{run}` under {} (hint: --state-dir, or a run directory)",
                    cfg.state_dir.join("runs").display()
                ))
            })?;
            let s = client::connect(&dir.join(SOCKET_FILE)).await;
            (dir, s)
        }
        None => {
            let mut found = None;
            for dir in runs_newest_first(&cfg.state_dir) {
                match client::connect(&dir.join(SOCKET_FILE)).await {
                    Err(AttachError::NoSocket(_) | AttachError::NotLive(_)) => continue,
                    other => {
                        found = Some((dir, other));
                        break;
                    }
                }
            }
            found.ok_or_else(|| {
                Failure::usage(format!(
                    "error: no live run under {} (name a finished run to see its replay: flightdeck attach RUN-ID)",
                    cfg.state_dir.join("runs").display()
                ))
            })?
        }
    };
    let attached = match session {
        Ok(a) => a,
        Err(AttachError::NoSocket(_) | AttachError::NotLive(_)) => {
            // The run has ended: its replay, with the same screens.
            let journal_path = dir.join(JOURNAL_FILE);
            if headless {
                return print_finished(&journal_path);
            }
            return super::replay(&journal_path, false, None, &args.ui).await;
        }
        Err(e) => return Err(Failure::usage(format!("error: {e}"))),
    };
    let you = attached.you.clone();
    let mirror = Recorder::new(None);
    let (state0, events) = mirror.subscribe();
    let (notes_tx, notes_rx) = unbounded_channel::<Status>();
    let (cmd_tx, mut cmd_rx) = unbounded_channel();
    let mut incoming = attached.incoming;
    let mut outgoing = attached.outgoing;
    let pump = {
        let mirror = mirror.clone();
        let notes = notes_tx.clone();
        tokio::spawn(async move {
            let ended = client::pump(&mut incoming, &mirror, |ok, text| {
                let _ = notes.send(Status { text, error: !ok });
            })
            .await;
            let text = match &ended {
                Ended::Bye(r) => format!("detached by the run: {r}"),
                Ended::Lost(r) => format!("connection lost: {r}"),
            };
            let _ = notes.send(Status { text, error: true });
            mirror.close();
            ended
        })
    };
    let forward = tokio::spawn(async move {
        while let Some(cmd) = cmd_rx.recv().await {
            if let Some(rc) = RemoteCommand::from_command(&cmd)
                && client::send(&mut outgoing, rc).await.is_err()
            {
                break;
            }
        }
    });
    let who = format!(
        "{} as {} ({})",
        you.actor.described(),
        you.role.as_str(),
        dir.display()
    );
    let state = if headless {
        eprintln!("attached: {who}");
        // Keep the command side open: closing it would read as detaching.
        let _keep = cmd_tx;
        let mut notes_rx = notes_rx;
        let state = crate::headless::follow(state0, events).await;
        while let Ok(n) = notes_rx.try_recv() {
            eprintln!("{}", n.text);
        }
        state
    } else {
        let mut opts = ui_options(&cfg, false);
        opts.attached = Some(you.id);
        opts.read_only = false;
        crate::ui::run_tui_with_notes(opts, state0, Some(events), Some(cmd_tx), Some(notes_rx))
            .await
            .map_err(Failure::internal)?;
        mirror.snapshot()
    };
    pump.abort();
    forward.abort();
    let code = state.outcome.map_or(0, Outcome::exit_code);
    Ok(Finished {
        code,
        summary: format!(
            "detached from run {} ({})",
            state.info.as_ref().map_or("?", |i| i.run_id.as_str()),
            state.outcome.map_or("still running", |o| o.badge())
        ),
    })
}
