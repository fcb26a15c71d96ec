//! The notifications view: each queued notification and how its delivery
//! went, folded from `notify_queued`, `notify_sent` and `notify_failed`.
//! `flightdeck notify resend` reads what never went out from it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::event::{Envelope, Event};
use crate::core::notify::{Notice, SinkKind};
use crate::core::state::RunState;

/// Most notifications kept; a run that queues more is recorded as an anomaly.
pub const MAX_NOTIFICATIONS: usize = 2_000;

/// Where a delivery stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    /// Queued, not tried yet.
    Queued,
    /// An attempt failed; another follows.
    Retrying {
        /// The last error.
        error: String,
    },
    /// The sink took it.
    Sent {
        /// HTTP status, for HTTP sinks.
        status: Option<u16>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Given up (`flightdeck notify resend` may try again).
    GaveUp {
        /// The last error.
        error: String,
        /// The last HTTP status, if the sink answered.
        status: Option<u16>,
    },
}

/// One queued notification.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotificationView {
    /// Message id (the same on every attempt).
    pub id: String,
    /// Sink name.
    pub sink: String,
    /// Sink kind.
    pub kind: SinkKind,
    /// The event that triggered it.
    pub cause_seq: u64,
    /// What it says.
    pub notice: Notice,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Where it stands.
    pub delivery: Delivery,
}

impl NotificationView {
    /// Whether it never reached its sink.
    pub fn undelivered(&self) -> bool {
        !matches!(self.delivery, Delivery::Sent { .. })
    }
}

/// Fold notification events.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::NotifyQueued {
            id,
            sink,
            kind,
            cause_seq,
            notice,
        } => {
            if let Some(n) = s.notifications.iter_mut().find(|n| &n.id == id) {
                // A resend queues the same id again.
                n.delivery = Delivery::Queued;
                return;
            }
            if s.notifications.len() >= MAX_NOTIFICATIONS {
                s.anomalies.push(format!(
                    "event #{}: more than {MAX_NOTIFICATIONS} notifications; {id} not kept",
                    env.seq
                ));
                return;
            }
            s.notifications.push(NotificationView {
                id: id.clone(),
                sink: sink.clone(),
                kind: *kind,
                cause_seq: *cause_seq,
                notice: notice.clone(),
                queued_at: env.ts,
                attempts: 0,
                delivery: Delivery::Queued,
            });
        }
        Event::NotifySent {
            id,
            attempt,
            status,
            ..
        } => {
            if let Some(n) = s.notifications.iter_mut().find(|n| &n.id == id) {
                n.attempts = n.attempts.max(*attempt);
                n.delivery = Delivery::Sent {
                    status: *status,
                    at: env.ts,
                };
            }
        }
        Event::NotifyFailed {
            id,
            attempt,
            status,
            error,
            retry_in_ms,
            ..
        } => {
            if let Some(n) = s.notifications.iter_mut().find(|n| &n.id == id) {
                n.attempts = n.attempts.max(*attempt);
                n.delivery = match retry_in_ms {
                    Some(_) => Delivery::Retrying {
                        error: error.clone(),
                    },
                    None => Delivery::GaveUp {
                        error: error.clone(),
                        status: *status,
                    },
                };
            }
        }
        _ => {}
    }
}
