//! PostgreSQL backup and restore drill (`pg_backup_restore`): back up a
//! primary while an acknowledged heartbeat writes to it, destroy it for
//! real (SIGKILL of its whole process tree, or its data directory
//! removed, or both), restore into a fresh data directory on a new port,
//! and measure RTO (disaster until a real connection answers and the data
//! is verified) and RPO (acknowledged heartbeat writes lost). The sequence
//! lives in [`crate::drill::recovery`]; this module is its params.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::core::drill::{Phase, StepPlan};
use crate::drill::recovery::{self, ClusterMode, Disaster, Method};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};
use crate::secrets::SecretRef;

use super::bad;

/// `[drill.params]` of a `pg_backup_restore` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `temporary` (a throwaway primary made with initdb) or `external`.
    #[serde(default)]
    pub cluster: ClusterMode,
    /// `dump`, `basebackup`, `wal_archive`, `wal_stream` or `custom`.
    pub method: Method,
    /// Rows in the temporary primary's fill.
    #[serde(default = "rows")]
    pub rows: u64,
    /// Time between two heartbeat writes.
    #[serde(default = "heartbeat")]
    pub heartbeat_interval: String,
    /// Heartbeat time between the end of the backup and the disaster.
    #[serde(default = "after")]
    pub run_after_backup: String,
    /// `kill_group`, `remove_datadir`, `both` or `kill_postmaster`.
    #[serde(default)]
    pub disaster: Disaster,
    /// `pg_restore -j`.
    #[serde(default = "jobs")]
    pub jobs: u32,
    /// PostgreSQL's bin directory (default: FLIGHTDECK_PGBIN, the highest
    /// `/usr/lib/postgresql/*/bin`, `pg_config --bindir`).
    #[serde(default)]
    pub bin_dir: Option<String>,
    /// The temporary primary's port (default: a free one).
    #[serde(default)]
    pub port: Option<u16>,
    /// The WAL archive directory (`wal_archive`; default: in the drill's
    /// temp directory). It must be writable by the server's account.
    #[serde(default)]
    pub archive_dir: Option<String>,
    /// `external`: the primary's connection string, a secret reference.
    #[serde(default)]
    pub url: Option<SecretRef>,
    /// `custom`: the backup command (argv, placeholders in README).
    #[serde(default)]
    pub backup_command: Vec<String>,
    /// `custom`: the restore command, which fills `{data_dir}`.
    #[serde(default)]
    pub restore_command: Vec<String>,
    /// Run after the restore and before the verification (argv,
    /// placeholders): the place to migrate or anonymise a restored copy.
    #[serde(default)]
    pub before_verify: Vec<String>,
    /// Where the drill's temp directory goes (clusters, backups, the WAL
    /// archive): a disk with room for them. Default: the system temp dir.
    #[serde(default)]
    pub work_dir: Option<String>,
    /// Where the backup goes (a backup volume, separate from the
    /// clusters): a temp directory is made in it and removed afterwards.
    /// Default: in the drill's temp directory.
    #[serde(default)]
    pub backup_dir: Option<String>,
    /// Longest a server may take to answer after its start.
    #[serde(default = "start_timeout")]
    pub start_timeout: String,
}

fn rows() -> u64 {
    20_000
}
fn heartbeat() -> String {
    "100ms".into()
}
fn after() -> String {
    "3s".into()
}
fn jobs() -> u32 {
    2
}
fn start_timeout() -> String {
    "120s".into()
}

impl Params {
    /// Check what serde cannot.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        let hb = super::duration(drill, "heartbeat_interval", &self.heartbeat_interval)?;
        if hb < Duration::from_millis(10) {
            return Err(bad(
                drill,
                "heartbeat_interval",
                "is below 10ms",
                "100ms is the usual beat",
            ));
        }
        super::duration(drill, "run_after_backup", &self.run_after_backup)?;
        super::duration(drill, "start_timeout", &self.start_timeout)?;
        if !(1..=50_000_000).contains(&self.rows) {
            return Err(bad(drill, "rows", "is outside 1..=50000000", "e.g. 20000"));
        }
        if !(1..=16).contains(&self.jobs) {
            return Err(bad(drill, "jobs", "is outside 1..=16", "e.g. 2"));
        }
        match (self.cluster, &self.url) {
            (ClusterMode::External, None) => {
                return Err(bad(
                    drill,
                    "url",
                    "is required with cluster = \"external\"",
                    "url = { env = \"PRIMARY_URL\" }",
                ));
            }
            (ClusterMode::Temporary, Some(_)) => {
                return Err(bad(
                    drill,
                    "url",
                    "is only for cluster = \"external\"",
                    "drop url, or set cluster = \"external\"",
                ));
            }
            _ => {}
        }
        if self.cluster == ClusterMode::External {
            if matches!(self.method, Method::WalArchive | Method::WalStream) {
                return Err(bad(
                    drill,
                    "method",
                    "wal_archive and wal_stream need settings on the primary; with an external primary use dump, basebackup or custom",
                    "method = \"custom\" with your pgBackRest or Barman commands",
                ));
            }
            if self.disaster != Disaster::KillGroup {
                return Err(bad(
                    drill,
                    "disaster",
                    "an external primary is never harmed: T0 is declared",
                    "drop disaster",
                ));
            }
        }
        let custom = self.method == Method::Custom;
        if custom && (self.backup_command.is_empty() || self.restore_command.is_empty()) {
            return Err(bad(
                drill,
                "backup_command",
                "method = \"custom\" needs backup_command and restore_command",
                "e.g. backup_command = [\"pgbackrest\", \"--stanza=main\", \"backup\"]",
            ));
        }
        if !custom && (!self.backup_command.is_empty() || !self.restore_command.is_empty()) {
            return Err(bad(
                drill,
                "backup_command",
                "is only for method = \"custom\"",
                "drop it, or set method = \"custom\"",
            ));
        }
        if self.archive_dir.is_some() && self.method != Method::WalArchive {
            return Err(bad(
                drill,
                "archive_dir",
                "is only for method = \"wal_archive\"",
                "drop it",
            ));
        }
        Ok(())
    }

    fn dur(text: &str, default: Duration) -> Duration {
        crate::config::parse_duration(text).unwrap_or(default)
    }

    /// The settings the sequence runs with (paths against the drill's folder).
    pub fn settings(&self, drill: &Drill) -> recovery::Settings {
        let path = |s: &String| {
            let p = PathBuf::from(s);
            if p.is_absolute() {
                p
            } else {
                drill.dir.join(p)
            }
        };
        recovery::Settings {
            cluster: self.cluster,
            method: self.method,
            rows: self.rows,
            heartbeat: Self::dur(&self.heartbeat_interval, Duration::from_millis(100)),
            run_after_backup: Self::dur(&self.run_after_backup, Duration::from_secs(3)),
            disaster: self.disaster,
            jobs: self.jobs,
            bin_dir: self.bin_dir.as_ref().map(path),
            port: self.port,
            archive_dir: self.archive_dir.as_ref().map(path),
            work_dir: self.work_dir.as_ref().map(path),
            backup_dir: self.backup_dir.as_ref().map(path),
            url: self.url.clone(),
            backup_command: self.backup_command.clone(),
            restore_command: self.restore_command.clone(),
            before_verify: self.before_verify.clone(),
            start_timeout: Self::dur(&self.start_timeout, Duration::from_secs(120)),
            timeout: drill.timeout,
        }
    }
}

/// The kind's steps, for the plan.
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    let Ok(p) = super::params::<Params>(drill) else {
        return Vec::new();
    };
    recovery::plan(&p.settings(drill))
        .into_iter()
        .map(|(name, timeout)| StepPlan {
            name,
            phase: Phase::Method,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        })
        .collect()
}

/// The sequence.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let p: Params = super::params(run.drill()).map_err(|e| MethodStop::Failed(e.to_string()))?;
    recovery::run(run, &p.settings(run.drill())).await
}
