//! Notifications: telling stakeholders what a run does while it does it.
//!
//! Sinks are configured in `[[notify]]` ([`config`]): Slack and Teams
//! webhooks, Standard Webhooks-signed HTTP endpoints ([`sign`]) and local
//! commands, each with the triggers it hears and a minimum severity. The
//! [`notifier`] follows the run like any viewer, derives the notices
//! ([`notice`]), journals them (`notify_queued`) and delivers them in the
//! background ([`deliver`]: retries with backoff and jitter, `Retry-After`,
//! a stop for good on 410), journalling each outcome (`notify_sent`,
//! `notify_failed`). Delivery never blocks the run and never changes a
//! verdict; what is pending at the end gets a bounded flush, and
//! [`resend`] sends what never went out.

pub mod config;
pub mod deliver;
pub mod notice;
pub mod notifier;
pub mod payload;
pub mod resend;
pub mod sign;

pub use config::{SinkConfig, validate};
pub use notifier::Notifier;
