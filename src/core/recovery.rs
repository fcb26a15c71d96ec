//! Runs that crashed with their canary's flag moved, and their recovery, as
//! journalled. Finding them and rolling them back lives in
//! `crate::canary::recover`.
//!
//! Two journals speak of a recovery: the crashed run's own, which gets a
//! `run_recovered` (then `run_finished`, inconclusive: the canary never
//! finished), and the journal of the run that found it at its start, which
//! gets `orphan_found` and, once settled, `orphan_resolved`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::format::trim_num;

/// The reason written on the `run_finished` of a recovered run.
pub const RECOVERED_REASON: &str = "recovered after crash";

/// A run that ended without finishing (no live process holds its lock)
/// while its journal shows its canary's flag moved from the value it had
/// before the run and not moved back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Orphan {
    /// The crashed run's id.
    pub run_id: String,
    /// Flag key.
    pub flag: String,
    /// Provider name (`file`, `unleash`).
    pub provider: String,
    /// Where the flag lives (file path, or Unleash URL, project and
    /// environment); never a credential.
    pub location: String,
    /// The share the journal last shows, percent.
    pub share: Option<f64>,
    /// Whether the flag was on then.
    pub enabled: bool,
    /// The share before the run's first step, percent.
    pub pre_run: Option<f64>,
    /// When the crashed run last journalled anything.
    pub last_event_at: DateTime<Utc>,
    /// The state directory the run lives in, for the command that fixes it.
    pub state_dir: String,
}

impl Orphan {
    /// `25%`, or `unknown share`.
    pub fn share_text(&self) -> String {
        self.share
            .map(|p| format!("{}%", trim_num(p)))
            .unwrap_or_else(|| "an unknown share".into())
    }

    /// The command that rolls it back.
    pub fn fix_command(&self) -> String {
        format!(
            "flightdeck recover --state-dir {} --run {} --rollback",
            self.state_dir, self.run_id
        )
    }

    /// One line: the run, the flag, its share and the command that fixes it.
    pub fn line(&self) -> String {
        format!(
            "run {} did not finish and left flag {} at {} ({} {}); roll it back: {}",
            self.run_id,
            self.flag,
            self.share_text(),
            self.provider,
            self.location,
            self.fix_command()
        )
    }
}

/// How a recovery settled the flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryAction {
    /// Rolled back through the provider and read back.
    RolledBack,
    /// The provider already showed the flag back (at its pre-run share, or
    /// 0% / off): nothing was written.
    AlreadyBack,
    /// The flag was changed by someone else since the crash (neither the
    /// share the run left nor back): left as found, for a person to judge.
    ChangedSince,
}

impl RecoveryAction {
    /// In words.
    pub fn text(self) -> &'static str {
        match self {
            RecoveryAction::RolledBack => "rolled back",
            RecoveryAction::AlreadyBack => "already back, nothing written",
            RecoveryAction::ChangedSince => "changed by someone since the crash, left as found",
        }
    }
}

/// The recovery of a crashed run, appended to its own journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// Who recovered it: an operator, or `flightdeck` for
    /// `canary.on_orphan = "rollback"`.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// Flag key.
    pub flag: String,
    /// Provider name.
    pub provider: String,
    /// The share the provider showed before the recovery, percent.
    pub from: Option<f64>,
    /// The share after it (read back), percent.
    pub to: Option<f64>,
    /// Whether the flag is on after it.
    pub enabled: bool,
    /// What was done.
    pub action: RecoveryAction,
    /// The run from which it was recovered, when a run's start found it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_run: Option<String>,
}

impl Recovery {
    /// One line for the narrative and the reports.
    pub fn line(&self) -> String {
        let pct = |p: Option<f64>| p.map_or_else(|| "?".into(), |p| format!("{}%", trim_num(p)));
        format!(
            "recovered after a crash by {}: flag {} {} ({} -> {}{}; {})",
            self.actor,
            self.flag,
            self.action.text(),
            pct(self.from),
            pct(self.to),
            if self.enabled { "" } else { ", off" },
            self.reason
        )
    }
}

/// How an orphan found at a run's start was settled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resolution", rename_all = "snake_case")]
pub enum OrphanResolution {
    /// Recovered: rolled back, already back, or changed since (see the
    /// crashed run's `run_recovered`).
    Recovered {
        /// What was done.
        action: RecoveryAction,
    },
    /// Left as it is (`leave`, or an operator's choice): still an orphan.
    Left,
    /// Not touched: another live run drives the same flag now, or the run
    /// turned out to be alive.
    Refused {
        /// Why.
        why: String,
    },
    /// The rollback failed; it can be tried again.
    Failed {
        /// The provider's error (never holds secrets).
        error: String,
    },
}

impl OrphanResolution {
    /// In words.
    pub fn text(&self) -> String {
        match self {
            OrphanResolution::Recovered { action } => action.text().to_string(),
            OrphanResolution::Left => "left as it is".into(),
            OrphanResolution::Refused { why } => format!("not touched: {why}"),
            OrphanResolution::Failed { error } => format!("rollback failed: {error}"),
        }
    }
}
