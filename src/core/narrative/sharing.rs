//! The narrative of sharing a run: notifications queued, sent and failed;
//! terminals joining and leaving; control granted; sign-offs.

use crate::core::event::{Event, LogLevel};
use crate::core::format::trim_num;
use crate::core::narrative::Line;

/// The line for a sharing event, if it deserves one.
pub(super) fn line(event: &Event) -> Option<Line> {
    let (level, text) = match event {
        Event::NotifyQueued {
            sink, kind, notice, ..
        } => (
            LogLevel::Debug,
            format!(
                "notify: {} queued for {sink} ({}): {}",
                notice.trigger.as_str(),
                kind.as_str(),
                notice.title
            ),
        ),
        Event::NotifySent {
            sink,
            attempt,
            status,
            elapsed_ms,
            ..
        } => (
            LogLevel::Info,
            format!(
                "notify: delivered to {sink}{} in {} ms{}",
                status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
                trim_num(*elapsed_ms),
                if *attempt > 1 {
                    format!(" at attempt {attempt}")
                } else {
                    String::new()
                }
            ),
        ),
        Event::NotifyFailed {
            sink,
            attempt,
            error,
            retry_in_ms,
            ..
        } => match retry_in_ms {
            Some(ms) => (
                LogLevel::Warn,
                format!(
                    "notify: {sink} attempt {attempt} failed ({error}); retrying in {}",
                    crate::core::format::duration_text(std::time::Duration::from_millis(*ms))
                ),
            ),
            None => (
                LogLevel::Error,
                format!(
                    "notify: gave up on {sink} after attempt {attempt} ({error}); `flightdeck notify resend` tries again"
                ),
            ),
        },
        Event::PeerJoined { peer } => (
            LogLevel::Info,
            format!(
                "{} attached as {} (uid {}{})",
                peer.actor.described(),
                peer.role.as_str(),
                peer.actor.uid.map_or("?".into(), |u| u.to_string()),
                match peer.because {
                    crate::core::share::RoleSource::Config => ", share.operators",
                    crate::core::share::RoleSource::Owner => ", the run's own account",
                    _ => "",
                }
            ),
        ),
        Event::PeerLeft { name, reason, .. } => {
            (LogLevel::Info, format!("{name} detached ({reason})"))
        }
        Event::RoleGranted { name, role, by, .. } => (
            LogLevel::Warn,
            format!("{} gave {name} the {} role", by.described(), role.as_str()),
        ),
        Event::SignoffRequested {
            needed, deadline, ..
        } => (
            LogLevel::Warn,
            format!(
                "awaiting sign-off until {}: {}",
                deadline.format("%H:%M:%S"),
                needed
                    .iter()
                    .filter(|n| n.required)
                    .map(|n| format!("{} ({})", n.role, n.who.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Event::SignoffGiven(g) => (
            match g.decision {
                crate::core::signoff::SignoffDecision::Approve => LogLevel::Info,
                crate::core::signoff::SignoffDecision::Reject => LogLevel::Error,
            },
            format!(
                "{} {}d {} (uid {}): {}{}",
                g.actor.described(),
                g.decision.as_str(),
                g.role,
                g.actor.uid.map_or("?".into(), |u| u.to_string()),
                g.comment,
                match &g.signature {
                    Some(s) if s.verified => " [ssh signature verified]",
                    Some(_) => " [ssh signature NOT verified]",
                    None => "",
                }
            ),
        ),
        Event::SignoffRefused {
            role,
            actor,
            reason,
        } => (
            LogLevel::Warn,
            format!(
                "sign-off of {role} by {} refused: {reason}",
                actor.described()
            ),
        ),
        Event::SignoffTimedOut { missing } => (
            LogLevel::Error,
            format!("no sign-off in time from {}", missing.join(", ")),
        ),
        _ => return None,
    };
    Some(Line {
        level,
        stage: None,
        text,
    })
}
