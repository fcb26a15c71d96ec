//! Notifications as journalled: what triggered them, how serious, to which
//! sink, and how delivery went. Deciding what to send and sending it live
//! in `crate::notify`.

use serde::{Deserialize, Serialize};

/// A named moment stakeholders can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyTrigger {
    /// The run began.
    RunStarted,
    /// A stage ended with a failure.
    StageFailed,
    /// The canary was rolled back (automatically or by a person), or a
    /// rollback failed.
    Rollback,
    /// Someone must answer: an apply approval or a sign-off.
    ApprovalNeeded,
    /// The gate decided (GO, NO-GO, INCONCLUSIVE), or awaits sign-offs.
    Decision,
    /// A drill missed one of its objectives.
    DrillObjectiveMissed,
}

impl NotifyTrigger {
    /// Every trigger, in the order a run meets them.
    pub const ALL: [NotifyTrigger; 6] = [
        NotifyTrigger::RunStarted,
        NotifyTrigger::StageFailed,
        NotifyTrigger::Rollback,
        NotifyTrigger::ApprovalNeeded,
        NotifyTrigger::Decision,
        NotifyTrigger::DrillObjectiveMissed,
    ];

    /// The config and journal name, e.g. `stage_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyTrigger::RunStarted => "run_started",
            NotifyTrigger::StageFailed => "stage_failed",
            NotifyTrigger::Rollback => "rollback",
            NotifyTrigger::ApprovalNeeded => "approval_needed",
            NotifyTrigger::Decision => "decision",
            NotifyTrigger::DrillObjectiveMissed => "drill_objective_missed",
        }
    }
}

/// How serious a notification is; each sink has a minimum.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum NotifySeverity {
    /// For the record (a run started, a clean GO).
    #[default]
    Info,
    /// Someone should look (an approval waits, GO with warnings).
    Warning,
    /// Something went wrong (a hard stage failed, a rollback, NO-GO).
    Critical,
}

impl NotifySeverity {
    /// The config name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifySeverity::Info => "info",
            NotifySeverity::Warning => "warning",
            NotifySeverity::Critical => "critical",
        }
    }
}

/// Where a notification goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// A Slack incoming webhook (`text` + Block Kit `blocks`).
    Slack,
    /// A Microsoft Teams Workflows webhook (an Adaptive Card).
    Teams,
    /// Any HTTP endpoint, signed as Standard Webhooks says.
    Webhook,
    /// A local command that reads the JSON on stdin.
    Command,
}

impl SinkKind {
    /// The config name.
    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Slack => "slack",
            SinkKind::Teams => "teams",
            SinkKind::Webhook => "webhook",
            SinkKind::Command => "command",
        }
    }
}

/// What a notification says, whatever the sink: the moment, how serious,
/// a title, and one or two lines of evidence. Never holds a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// The trigger.
    pub trigger: NotifyTrigger,
    /// How serious.
    pub severity: NotifySeverity,
    /// What happened, in one line.
    pub title: String,
    /// The evidence, one or two lines.
    #[serde(default)]
    pub lines: Vec<String>,
}
