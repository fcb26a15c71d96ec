//! `flightdeck notify resend RUN`: send again what a finished run never
//! delivered (given up, or cut by the end-of-run flush), with the same
//! message ids, and record the attempts in the run's own journal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use crate::config::parse_duration;
use crate::core::event::Event;
use crate::core::state::notify::Delivery;
use crate::notify::config::SinkConfig;
use crate::notify::deliver::{Sink, deliver};
use crate::notify::notifier::run_context;
use crate::notify::payload::Message;
use crate::output::OutputFormat;
use crate::record::journal::{self, JOURNAL_FILE, Journal};
use crate::record::recorder::Recorder;
use crate::secrets::Provided;

/// `flightdeck notify resend RUN`.
#[derive(Args, Debug, Clone)]
pub struct ResendArgs {
    /// A run id (under the state directory), a run directory, or a journal.
    pub run: String,
    /// Config file with the `[[notify]]` sinks (default: config/flightdeck.toml).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// State directory where run ids are looked up; overrides `state_dir`.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// How long the resend may take in all.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// What happened to one message.
#[derive(Clone, Debug, Serialize)]
pub struct Resent {
    /// Message id.
    pub id: String,
    /// Sink name.
    pub sink: String,
    /// sent, failed, or skipped.
    pub result: &'static str,
    /// Why it failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Find the journal a `RUN` argument names.
pub fn journal_path(run: &str, state_dir: &Path) -> Result<PathBuf, String> {
    let p = PathBuf::from(run);
    let candidates = [
        p.clone(),
        p.join(JOURNAL_FILE),
        state_dir.join("runs").join(run).join(JOURNAL_FILE),
    ];
    candidates
        .into_iter()
        .find(|c| c.is_file())
        .ok_or_else(|| {
            format!(
                "no run `{run}`: not a journal, a run directory, or a run id under {} (hint: --state-dir)",
                state_dir.join("runs").display()
            )
        })
}

/// Resend what never went out. Returns one line per message and whether all
/// were sent; an unusable run or config is an `Err` (exit 2).
pub async fn resend(
    path: &Path,
    sinks: &[SinkConfig],
    attach: &str,
    timeout: Duration,
) -> Result<Vec<Resent>, String> {
    let back = journal::read(path).map_err(|e| format!("{e:#}"))?;
    let state = crate::core::state::RunState::from_envelopes(&back.envelopes);
    if state.info.is_none() {
        return Err(format!("{}: no run in this journal", path.display()));
    }
    if state.outcome.is_none() {
        return Err(format!(
            "{}: the run has not finished (a live run delivers its own notifications; wait for it to end)",
            path.display()
        ));
    }
    let pending: Vec<_> = state
        .notifications
        .iter()
        .filter(|n| n.undelivered())
        .cloned()
        .collect();
    let mut out = Vec::new();
    if pending.is_empty() {
        return Ok(out);
    }
    let journal = Journal::reopen(path).map_err(|e| format!("{e:#}"))?;
    let rec = Recorder::resume(journal, &back.envelopes);
    let run = run_context(&state, attach);
    let (_tx, deadline) = tokio::sync::watch::channel(Some(tokio::time::Instant::now() + timeout));
    let client = reqwest::Client::new();
    let provided = Provided::default();
    for n in pending {
        let skip = |note: String| Resent {
            id: n.id.clone(),
            sink: n.sink.clone(),
            result: "skipped",
            note: Some(note),
        };
        if let Delivery::GaveUp {
            status: Some(410), ..
        } = n.delivery
        {
            out.push(skip("the sink answered 410 Gone; fix or remove it".into()));
            continue;
        }
        let Some(cfg) = sinks.iter().find(|s| s.name == n.sink) else {
            out.push(skip(format!(
                "no sink named `{}` in the config's [[notify]]",
                n.sink
            )));
            continue;
        };
        let sink = match Sink::resolve(cfg, &provided).await {
            Ok(s) => s,
            Err(e) => {
                out.push(skip(e));
                continue;
            }
        };
        rec.emit(Event::NotifyQueued {
            id: n.id.clone(),
            sink: n.sink.clone(),
            kind: n.kind,
            cause_seq: n.cause_seq,
            notice: n.notice.clone(),
        });
        let m = Message {
            id: &n.id,
            notice: &n.notice,
            at: n.queued_at,
            run: &run,
        };
        let sent = deliver(&rec, &client, &sink, &m, deadline.clone()).await;
        let note = (!sent).then(|| {
            rec.read(|s| {
                s.notifications
                    .iter()
                    .find(|x| x.id == n.id)
                    .and_then(|x| match &x.delivery {
                        Delivery::GaveUp { error, .. } => Some(error.clone()),
                        _ => None,
                    })
                    .unwrap_or_default()
            })
        });
        out.push(Resent {
            id: n.id.clone(),
            sink: n.sink.clone(),
            result: if sent { "sent" } else { "failed" },
            note,
        });
    }
    if let Some(e) = rec.journal_error() {
        return Err(format!("the journal could not be written: {e}"));
    }
    Ok(out)
}

/// The text form of a resend.
pub fn text(path: &Path, rs: &[Resent]) -> String {
    if rs.is_empty() {
        return format!(
            "{}: every notification was delivered; nothing to resend\n",
            path.display()
        );
    }
    let mut out = String::new();
    for r in rs {
        out.push_str(&format!(
            "{:<8} {} -> {}{}\n",
            r.result,
            r.id,
            r.sink,
            r.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ));
    }
    out
}
