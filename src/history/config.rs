//! `[history]`: where the run history lives and how the run uses it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Problem;
use crate::secrets::SecretRef;

/// `[history]`: the store, the trends and the risk score.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct HistorySection {
    /// Index finished runs and show trends and risk. `false` leaves the
    /// store untouched (the journals are kept either way).
    pub enabled: bool,
    /// The SQLite file; default `<state_dir>/history.db`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// A PostgreSQL URL for a team's shared history, as a secret reference
    /// (`{ env = "FLIGHTDECK_HISTORY_URL" }`); it replaces the SQLite file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<SecretRef>,
    /// Earlier runs shown in trends (the header's score sparkline, each
    /// endpoint's p95 trend).
    pub trend_runs: u32,
    /// A load endpoint's p95 above its trend's median by more than this
    /// many percent (and more than the trend's own spread) is marked.
    pub trend_tolerance_pct: f64,
    /// Fewest runs with a production outcome before `history calibrate`
    /// gives rates instead of "not enough history".
    pub min_sample: u32,
    /// The risk score.
    pub risk: RiskOptions,
}

/// `[history.risk]`: how the release's risk is scored and what it asks for.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct RiskOptions {
    /// Recent runs of the service whose failures count.
    pub recent_runs: u32,
    /// Score at or above which the risk is medium.
    pub medium_at: f64,
    /// Score at or above which the risk is high.
    pub high_at: f64,
    /// A high risk requires a sign-off (the fact is shown and reported;
    /// the gate's decision stays what the evidence says).
    pub require_signoff: bool,
    /// Changed lines at which the change-size part reaches its maximum.
    pub large_change_lines: u64,
}

impl Default for RiskOptions {
    fn default() -> Self {
        RiskOptions {
            recent_runs: 10,
            medium_at: 30.0,
            high_at: 60.0,
            require_signoff: false,
            large_change_lines: 1000,
        }
    }
}

impl Default for HistorySection {
    fn default() -> Self {
        HistorySection {
            enabled: true,
            path: None,
            url: None,
            trend_runs: 10,
            trend_tolerance_pct: 10.0,
            min_sample: 5,
            risk: RiskOptions::default(),
        }
    }
}

impl HistorySection {
    /// The SQLite file for this state directory.
    pub fn sqlite_path(&self, state_dir: &Path) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| state_dir.join("history.db"))
    }

    /// Every problem in `[history]`, keys from the top.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.path.is_some() && self.url.is_some() {
            out.push(Problem::at(
                "history.path",
                "both history.path (SQLite) and history.url (PostgreSQL) are set",
                "keep one: url for a team's shared history, path for this machine's",
            ));
        }
        if self.trend_runs == 0 || self.trend_runs > 500 {
            out.push(Problem::at(
                "history.trend_runs",
                format!("{} is outside 1..=500", self.trend_runs),
                "e.g. trend_runs = 10",
            ));
        }
        if !(self.trend_tolerance_pct.is_finite() && self.trend_tolerance_pct >= 0.0) {
            out.push(Problem::at(
                "history.trend_tolerance_pct",
                "must be zero or more",
                "e.g. trend_tolerance_pct = 10",
            ));
        }
        if self.min_sample == 0 {
            out.push(Problem::at(
                "history.min_sample",
                "must be at least 1",
                "e.g. min_sample = 5",
            ));
        }
        let r = &self.risk;
        if r.recent_runs == 0 {
            out.push(Problem::at(
                "history.risk.recent_runs",
                "must be at least 1",
                "e.g. recent_runs = 10",
            ));
        }
        for (k, v) in [
            ("history.risk.medium_at", r.medium_at),
            ("history.risk.high_at", r.high_at),
        ] {
            if !(0.0..=100.0).contains(&v) {
                out.push(Problem::at(
                    k,
                    format!("{v} is outside 0..=100"),
                    "the risk score runs from 0 to 100",
                ));
            }
        }
        if r.medium_at > r.high_at {
            out.push(Problem::at(
                "history.risk.medium_at",
                format!("medium_at {} is above high_at {}", r.medium_at, r.high_at),
                "medium_at must be at most high_at",
            ));
        }
        if r.large_change_lines == 0 {
            out.push(Problem::at(
                "history.risk.large_change_lines",
                "must be at least 1",
                "e.g. large_change_lines = 1000",
            ));
        }
        out
    }
}
