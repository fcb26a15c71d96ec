//! The PostgreSQL backup and restore drill's sequence: a primary (a
//! throwaway one made with initdb, or an external one), an acknowledged
//! heartbeat writing to it, a backup by one of four methods (or the
//! operator's own commands), a real disaster, a restore into a fresh data
//! directory on a new port, and the verification that times the recovery.
//!
//! - [`heartbeat`]: the writer whose acknowledged sequence measures RPO;
//! - [`integrity`]: per-table row counts and order-independent checksums;
//! - [`lab`]: the primary, its fill and the disaster;
//! - [`backup`] and [`restore`]: each method's two halves.
//!
//! Everything started is stopped by PID, and every directory removed, on
//! every path: the [`lab::Lab`] kills what it holds when dropped.

mod backup;
mod heartbeat;
mod integrity;
mod lab;
mod restore;
mod sequence;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::core::drill::{Phase, StepOutcome};
use crate::drill::runner::{MethodStop, Runner};
use crate::pg::PgError;
use crate::secrets::SecretRef;

pub use sequence::run;

/// Where the primary comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterMode {
    /// A throwaway primary on 127.0.0.1, made with initdb and filled.
    #[default]
    Temporary,
    /// A real primary reached by a secret connection string; it is never
    /// harmed (the disaster is declared) and the restore goes into a
    /// throwaway cluster.
    External,
}

/// How the backup is taken and restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `pg_dump -Fc`, then `pg_restore -j N` into a fresh cluster.
    Dump,
    /// `pg_basebackup -X stream`, then a copy started.
    Basebackup,
    /// A base backup plus a WAL archive, then PITR to the latest point.
    WalArchive,
    /// A base backup plus `pg_receivewal --synchronous`.
    WalStream,
    /// The operator's own backup and restore commands (pgBackRest, Barman).
    Custom,
}

impl Method {
    /// The method as shown in the evidence.
    pub fn describe(self, jobs: u32) -> String {
        match self {
            Method::Dump => format!("pg_dump -Fc + pg_restore -j {jobs}"),
            Method::Basebackup => "pg_basebackup -X stream, copy started".into(),
            Method::WalArchive => {
                "pg_basebackup + WAL archive (archive_timeout 1s), PITR to latest".into()
            }
            Method::WalStream => "pg_basebackup + pg_receivewal --synchronous".into(),
            Method::Custom => "custom backup_command + restore_command".into(),
        }
    }

    /// What the method promises for RPO.
    pub fn rpo_expectation(self) -> &'static str {
        match self {
            Method::Dump => "everything written after the dump's snapshot is lost",
            Method::Basebackup => "everything written after the base backup ended is lost",
            Method::WalArchive => {
                "up to the WAL not yet archived is lost (about archive_timeout = 1s of writes)"
            }
            Method::WalStream => {
                "nothing acknowledged is lost: commits wait for pg_receivewal's flush"
            }
            Method::Custom => "as the backup tool promises",
        }
    }
}

/// What destroys the primary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disaster {
    /// SIGKILL of the server's whole process tree at once.
    #[default]
    KillGroup,
    /// The data directory removed under the running server.
    RemoveDatadir,
    /// Both: the tree killed, then the data directory removed.
    Both,
    /// The postmaster alone killed: shows why the whole tree must go (its
    /// children outlive it for a while and may still write).
    KillPostmaster,
}

impl Disaster {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Disaster::KillGroup => "kill_group",
            Disaster::RemoveDatadir => "remove_datadir",
            Disaster::Both => "both",
            Disaster::KillPostmaster => "kill_postmaster",
        }
    }
}

/// The drill's settings, parsed and checked.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Temporary or external primary.
    pub cluster: ClusterMode,
    /// The method.
    pub method: Method,
    /// Rows in the temporary primary's fill.
    pub rows: u64,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Heartbeat time between backup and disaster.
    pub run_after_backup: Duration,
    /// The disaster.
    pub disaster: Disaster,
    /// `pg_restore -j`.
    pub jobs: u32,
    /// PostgreSQL's bin directory, when given.
    pub bin_dir: Option<PathBuf>,
    /// The temporary primary's port, when given.
    pub port: Option<u16>,
    /// The WAL archive directory, when given.
    pub archive_dir: Option<PathBuf>,
    /// Where the workspace goes, when given.
    pub work_dir: Option<PathBuf>,
    /// Where the backup goes, when given.
    pub backup_dir: Option<PathBuf>,
    /// The external primary's connection string.
    pub url: Option<SecretRef>,
    /// Custom backup argv.
    pub backup_command: Vec<String>,
    /// Custom restore argv.
    pub restore_command: Vec<String>,
    /// Hook before verification.
    pub before_verify: Vec<String>,
    /// Longest a server may take to answer after its start.
    pub start_timeout: Duration,
    /// The drill's timeout (bounds the tools and the heartbeat).
    pub timeout: Duration,
}

/// Step names, shared by the plan and the sequence.
pub mod steps {
    /// Finding the binaries.
    pub const FIND: &str = "find PostgreSQL";
    /// initdb + start + fill (temporary primary).
    pub const SOURCE: &str = "create and fill the primary";
    /// The WAL archive's directory checked.
    pub const ARCHIVE: &str = "prepare the WAL archive";
    /// pg_receivewal started and synchronous.
    pub const RECEIVER: &str = "start pg_receivewal --synchronous";
    /// Heartbeat table and writer.
    pub const HEARTBEAT: &str = "start the heartbeat";
    /// The backup.
    pub const BACKUP: &str = "backup";
    /// pg_verifybackup / pg_restore -l.
    pub const VERIFY_BACKUP: &str = "verify the backup";
    /// Heartbeat between backup and disaster.
    pub const AFTER: &str = "heartbeat after the backup";
    /// The disaster.
    pub const DISASTER: &str = "disaster";
    /// The restore.
    pub const RESTORE: &str = "restore";
    /// The restored copy started and answering.
    pub const START: &str = "start the restored cluster";
    /// A new connection to the restored database answers.
    pub const HEALTH: &str = "health probe";
    /// The before_verify hook.
    pub const BEFORE_VERIFY: &str = "before_verify hook";
    /// Integrity and RPO.
    pub const VERIFY: &str = "verify the restored data";
}

/// The sequence's steps and timeouts, for the plan.
pub fn plan(s: &Settings) -> Vec<(String, Duration)> {
    let long = s.timeout;
    let mut v = vec![(steps::FIND.to_string(), Duration::from_secs(10))];
    if s.cluster == ClusterMode::Temporary {
        v.push((steps::SOURCE.into(), long));
    }
    if s.method == Method::WalArchive {
        v.push((steps::ARCHIVE.into(), Duration::from_secs(30)));
    }
    if s.method == Method::WalStream {
        v.push((steps::RECEIVER.into(), Duration::from_secs(60)));
    }
    v.push((steps::HEARTBEAT.into(), Duration::from_secs(30)));
    v.push((steps::BACKUP.into(), long));
    if s.method != Method::Custom {
        v.push((steps::VERIFY_BACKUP.into(), long));
    }
    v.push((
        steps::AFTER.into(),
        s.run_after_backup + Duration::from_secs(5),
    ));
    v.push((steps::DISASTER.into(), Duration::from_secs(30)));
    v.push((steps::RESTORE.into(), long));
    v.push((
        steps::START.into(),
        s.start_timeout + Duration::from_secs(5),
    ));
    if !s.before_verify.is_empty() {
        v.push((steps::BEFORE_VERIFY.into(), long));
    }
    v.push((steps::VERIFY.into(), long));
    v
}

/// Run one step of the sequence through the runner (journalled, cut at
/// `timeout` and on cancel): `f` gives a value and a detail line, or the
/// error whose message names the step.
pub(crate) async fn step<T, F>(
    run: &Runner<'_>,
    name: &str,
    timeout: Duration,
    f: F,
) -> Result<T, MethodStop>
where
    F: Future<Output = Result<(T, String), PgError>>,
{
    let mut slot: Option<T> = None;
    let mut cancelled = false;
    let r = run
        .custom(name, Phase::Method, timeout, async {
            match f.await {
                Ok((v, detail)) => {
                    slot = Some(v);
                    (StepOutcome::Ok, detail, String::new())
                }
                Err(PgError::Cancelled) => {
                    cancelled = true;
                    (
                        StepOutcome::Skipped,
                        "cut short: the drill was stopped".into(),
                        String::new(),
                    )
                }
                Err(PgError::MissingTool(m)) | Err(PgError::NotFound(m)) => {
                    (StepOutcome::Error, m, String::new())
                }
                Err(PgError::Failed(m)) => (StepOutcome::Failed, m, String::new()),
            }
        })
        .await;
    match slot {
        Some(v) => Ok(v),
        None if cancelled || run.cancelled() => Err(MethodStop::Cancelled),
        None => Err(MethodStop::Failed(format!(
            "{name} {}: {}",
            r.outcome.badge(),
            r.detail
        ))),
    }
}
