//! The headless reporter: progress lines on stderr while the run goes on.

use std::io::Write;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::gate::trim_num;
use crate::run::event::{Envelope, Event, LogLevel};
use crate::run::state::RunState;

/// Format one envelope as a progress line, or `None` if it is not worth a line.
pub fn progress_line(start: Option<DateTime<Utc>>, env: &Envelope) -> Option<String> {
    let t = start
        .map(|s| {
            let d = (env.ts - s).num_seconds().max(0);
            format!("{:02}:{:02}:{:02}", d / 3600, (d / 60) % 60, d % 60)
        })
        .unwrap_or_else(|| "00:00:00".into());
    let body = match &env.event {
        Event::RunStarted {
            run_id,
            service,
            release,
            environment,
            ..
        } => format!("run {run_id}: {service} {release} on {environment}"),
        Event::StageStarted { stage } => format!("{stage:<10} started"),
        Event::StageProgress { stage, message, .. } => format!("{stage:<10} {message}"),
        Event::Log {
            level,
            stage,
            message,
        } if *level >= LogLevel::Info => {
            format!("{:<10} {message}", stage.as_deref().unwrap_or("run"))
        }
        Event::HealthCheck(h) if h.last => {
            let mut s = format!("{:<10} {} {}", h.stage, h.endpoint, h.verdict.badge());
            if let (Some(st), Some(l)) = (h.status, h.latency_ms) {
                s.push_str(&format!(" HTTP {st} {} ms", trim_num(l)));
            }
            if let Some(v) = &h.version {
                s.push_str(&format!(" version {v}"));
            }
            if let Some(r) = &h.reason {
                s.push_str(&format!(": {r}"));
            }
            s
        }
        Event::StageFinished {
            stage,
            verdict,
            summary,
            ..
        } => format!("{stage:<10} {} {summary}", verdict.badge()),
        Event::GateDecision(d) => format!(
            "{:<10} {} score {} ({})",
            "decision",
            d.outcome.badge(),
            trim_num(d.score),
            d.rationale
        ),
        Event::OperatorAction {
            actor,
            action,
            target,
            ..
        } => format!(
            "{:<10} {actor} {action}{}",
            "operator",
            target
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default()
        ),
        Event::RunFinished { outcome, reason } => format!(
            "{:<10} {}{}",
            "finished",
            outcome.badge(),
            reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        _ => return None,
    };
    Some(format!("[{t}] {body}"))
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
