//! The headless reporter: progress lines on stderr while the run goes on.

use std::io::Write;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::run::event::{Envelope, LogLevel};
use crate::run::narrative;
use crate::run::state::RunState;

/// Format one envelope as a progress line, or `None` if it is not worth a line.
pub fn progress_line(start: Option<DateTime<Utc>>, env: &Envelope) -> Option<String> {
    let line = narrative::line(&env.event)?;
    if line.level < LogLevel::Info {
        return None;
    }
    let t = start
        .map(|s| {
            let d = (env.ts - s).num_seconds().max(0);
            format!("{:02}:{:02}:{:02}", d / 3600, (d / 60) % 60, d % 60)
        })
        .unwrap_or_else(|| "00:00:00".into());
    Some(format!(
        "[{t}] {:<10} {}",
        line.stage.as_deref().unwrap_or("run"),
        line.text
    ))
}

/// Print progress until the events channel closes; returns the folded state.
pub async fn follow(mut state: RunState, mut rx: UnboundedReceiver<Envelope>) -> RunState {
    let mut err = std::io::stderr();
    while let Some(env) = rx.recv().await {
        state.apply(&env);
        if let Some(line) = progress_line(state.started_at, &env) {
            let _ = writeln!(err, "{line}");
        }
    }
    state
}
