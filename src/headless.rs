//! The headless reporter: progress lines on stderr while the run goes on.

use std::io::Write;

use chrono::{DateTime, Utc};

use crate::core::event::{Envelope, LogLevel};
use crate::core::narrative;
use crate::core::state::RunState;
use crate::record::recorder::{Delivery, Subscription};

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

/// Print progress until the run's event stream ends; returns the folded state.
/// Should stderr be too slow to keep up, the lines of the skipped events are
/// lost from the progress output (never from the journal or the reports),
/// and one line says so.
pub async fn follow(mut state: RunState, mut events: Subscription) -> RunState {
    let mut err = std::io::stderr();
    while let Some(d) = events.recv().await {
        match d {
            Delivery::Event(env) => {
                state.apply(&env);
                if let Some(line) = progress_line(state.started_at, &env) {
                    let _ = writeln!(err, "{line}");
                }
            }
            Delivery::Resync(now) => {
                let skipped = now.events_applied.saturating_sub(state.events_applied);
                state = *now;
                let _ = writeln!(
                    err,
                    "[progress] {skipped} events not shown (output too slow); the journal has them all"
                );
            }
        }
    }
    state
}
