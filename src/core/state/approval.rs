//! The apply approval as the run has seen it: the request, and its
//! decision once made. Part of [`crate::core::state::RunState`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::iac::approval::{ApprovalDecision, ApprovalRequest};

/// The latest apply approval of the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApprovalView {
    /// The environment stage that asks.
    pub stage: String,
    /// What it asks to apply.
    pub request: ApprovalRequest,
    /// When it asked.
    pub requested_at: DateTime<Utc>,
    /// How it ended, once it has.
    pub decision: Option<ApprovalDecision>,
    /// When it ended.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl ApprovalView {
    /// Whether the request still waits for an answer.
    pub fn waiting(&self) -> bool {
        self.decision.is_none()
    }

    /// Seconds left before the stage stops waiting, at `now`.
    pub fn seconds_left(&self, now: DateTime<Utc>) -> i64 {
        (self.request.deadline - now).num_seconds().max(0)
    }
}
