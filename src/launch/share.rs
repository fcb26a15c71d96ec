//! Sharing a live run, wired at launch: the run's socket (`flightdeck
//! attach`) and the notifier (`[[notify]]`) that tells stakeholders what
//! happens. Started before the engine so that they hear the run from its
//! first event; finished after the run (the socket closes, notifications
//! get a bounded flush).

use std::path::Path;
use std::time::Duration;

use crate::core::event::LogLevel;
use crate::engine::Config;
use crate::notify::Notifier;
use crate::notify::deliver::Sink;
use crate::record::journal::JOURNAL_FILE;
use crate::record::recorder::Recorder;
use crate::secrets::Provided;

/// How long pending notifications may still take once the run has ended.
pub const NOTIFY_FLUSH: Duration = Duration::from_secs(10);

/// This machine's name, for "how to attach" hints (`ssh -t HOST ...`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "HOST".to_string())
}

/// What shares the run while it goes on.
pub struct Sharing {
    notifier: Option<Notifier>,
    server: Option<crate::share::ShareServer>,
}

impl Sharing {
    /// Listen on the run's socket (operators' commands go to `commands`)
    /// and start the notifier on `rec`. A sink whose URL or secret does not
    /// resolve is left out, and the log says why (never the value); a
    /// socket that cannot listen is logged too: the run goes on.
    pub async fn start(
        cfg: &Config,
        rec: &Recorder,
        run_dir: &Path,
        provided: &Provided,
        commands: &tokio::sync::mpsc::UnboundedSender<crate::core::command::Command>,
    ) -> Sharing {
        let server = if cfg.share.enabled {
            let opts = crate::share::ServerOptions {
                operators: cfg.share.operators.clone(),
                group: cfg
                    .share
                    .group
                    .as_deref()
                    .and_then(crate::share::accounts::group_id),
                max_peers: cfg.share.max_peers,
                ..Default::default()
            };
            match crate::share::ShareServer::start(run_dir, rec, commands.clone(), opts) {
                Ok(s) => Some(s),
                Err(e) => {
                    rec.log(
                        LogLevel::Warn,
                        None,
                        format!(
                            "attach: cannot listen in {} ({e}); the run goes on without sharing",
                            run_dir.display()
                        ),
                    );
                    None
                }
            }
        } else {
            None
        };
        let mut sinks = Vec::new();
        for s in cfg.notify.iter().filter(|s| s.enabled) {
            match Sink::resolve(s, provided).await {
                Ok(sink) => sinks.push(sink),
                Err(e) => rec.log(
                    LogLevel::Warn,
                    None,
                    format!("{e}; this sink gets nothing in this run (check with `flightdeck secrets check`)"),
                ),
            }
        }
        let notifier = (!sinks.is_empty()).then(|| {
            Notifier::start(
                sinks,
                rec,
                format!("ssh -t {} flightdeck attach", host_name()),
                Some(run_dir.join(JOURNAL_FILE)),
                NOTIFY_FLUSH,
            )
        });
        Sharing { notifier, server }
    }

    /// The run is over (the recorder is closed): flush what is pending.
    pub async fn finish(self) {
        drop(self.server);
        if let Some(n) = self.notifier {
            n.finish().await;
        }
    }
}

/// `flightdeck notify resend RUN`: stdout and exit code (0 every pending
/// notification went out or nothing was pending, 1 some did not, 2 bad
/// run or config).
pub async fn resend(
    args: &crate::notify::resend::ResendArgs,
) -> Result<(String, i32), super::Failure> {
    use crate::config::{OverrideValue, Sources};
    use crate::notify::resend;
    let file = args.config.clone().or_else(|| {
        let p = std::path::PathBuf::from(super::DEFAULT_CONFIG);
        p.is_file().then_some(p)
    });
    let mut sources = Sources::from_process(file);
    if let Some(d) = &args.state_dir {
        sources.set("state_dir", OverrideValue::Str(d.display().to_string()));
    }
    let cfg = super::load_config(&sources)?;
    let path = resend::journal_path(&args.run, &cfg.state_dir)
        .map_err(|e| super::Failure::usage(format!("error: {e}")))?;
    let attach = format!("ssh -t {} flightdeck attach", host_name());
    let out = resend::resend(&path, &cfg.notify, &attach, args.timeout)
        .await
        .map_err(|e| super::Failure::usage(format!("error: {e}")))?;
    let code = i32::from(out.iter().any(|r| r.result != "sent"));
    let text = match args.output {
        crate::output::OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
            s.push('\n');
            s
        }
        crate::output::OutputFormat::Text => resend::text(&path, &out),
    };
    Ok((text, code))
}
