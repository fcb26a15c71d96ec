//! The drill's lab: the workspace, the primary, the restored cluster and
//! `pg_receivewal`, held together so that dropping the lab kills every
//! process it started (by PID) before removing the workspace. Also the
//! temporary primary's setup and fill, and the disaster.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{Disaster, Method, Settings};
use crate::pg::{Cluster, Group, PgError, Workspace, tool};
use crate::secrets::Secret;

/// The database the temporary primary holds.
pub const DB: &str = "flightdeck_dr";

/// The application name `pg_receivewal` connects with, which
/// `synchronous_standby_names` waits for.
pub const RECEIVER_NAME: &str = "flightdeck_receivewal";

/// Everything the drill started. Fields drop in order: processes first,
/// the workspace (its directory) last.
pub struct Lab {
    /// The primary (temporary only).
    pub source: Option<Cluster>,
    /// The restored copy.
    pub restored: Option<Cluster>,
    /// `pg_receivewal`, for `wal_stream`.
    pub receiver: Option<Group>,
    /// The primary's connection string (a secret for an external one).
    pub source_url: Secret,
    /// The WAL archive directory (`wal_archive`).
    pub archive: Option<PathBuf>,
    /// The backup's own temp directory, when `backup_dir` is given (a
    /// separate volume); otherwise the backup goes into `ws`.
    pub backups: Option<Workspace>,
    /// The temp directory: clusters, backups, the archive by default.
    pub ws: Workspace,
}

impl Lab {
    /// Stop everything, in order, waiting for each to go.
    pub async fn shutdown(&mut self) {
        if let Some(r) = self.receiver.as_mut() {
            r.kill().await;
        }
        for c in [self.restored.as_mut(), self.source.as_mut()]
            .into_iter()
            .flatten()
        {
            c.kill().await;
        }
    }
}

/// The backup's own temp directory on `backup_dir` (a separate volume),
/// when one is given; removed when dropped, like the workspace.
pub fn backup_space(s: &Settings, ws: &Workspace) -> Result<Option<Workspace>, PgError> {
    let Some(d) = &s.backup_dir else {
        return Ok(None);
    };
    Workspace::create_in(d, ws.bin().clone(), ws.account().clone())
        .map(Some)
        .map_err(|e| {
            PgError::Failed(format!(
                "{}: backup_dir {}: {e} (it must exist and let the server's account through)",
                super::steps::BACKUP,
                d.display()
            ))
        })
}

/// The primary's settings for the method, appended to postgresql.conf.
pub fn source_settings(method: Method, archive: Option<&Path>) -> Vec<String> {
    let mut v = vec![
        "wal_level = replica".to_string(),
        "max_wal_senders = 10".into(),
    ];
    if let (Method::WalArchive, Some(a)) = (method, archive) {
        let a = a.display().to_string().replace('\'', "''");
        v.push("archive_mode = on".into());
        v.push(format!(
            "archive_command = 'test ! -f \"{a}/%f\" && cp \"%p\" \"{a}/%f\"'"
        ));
        v.push("archive_timeout = 1s".into());
    }
    v
}

/// The statement in flight when the postmaster alone is killed (about a
/// second or more of work).
const STRAGGLER_SQL: &str = "CREATE TABLE flightdeck_straggler (g bigint); INSERT INTO flightdeck_straggler SELECT g FROM generate_series(1, 3000000) g";

/// Make `pg_receivewal` the synchronous standby (after the fill, once it
/// streams: before that, commits would wait for it).
pub const SYNC_SQL: [&str; 3] = [
    "ALTER SYSTEM SET synchronous_standby_names = '\"flightdeck_receivewal\"'",
    "ALTER SYSTEM SET synchronous_commit = on",
    "SELECT pg_reload_conf()",
];

/// initdb, configure, start the temporary primary and fill it with `rows`
/// rows (accounts, and half as many orders).
pub async fn create_source(
    ws: &Workspace,
    s: &Settings,
    archive: Option<&Path>,
    cancel: &CancellationToken,
) -> Result<(Cluster, String), PgError> {
    let mut c = Cluster::init(ws, "source", cancel).await?;
    c.configure(&source_settings(s.method, archive))?;
    let port = match s.port {
        Some(p) => p,
        None => crate::pg::free_port()?,
    };
    c.start(ws, port, s.start_timeout, cancel).await?;
    let admin = c.connect("postgres").await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {DB}"))
        .await
        .map_err(|e| {
            PgError::Failed(format!(
                "fill the primary: create database {DB}: {}",
                crate::pg::db_text(&e)
            ))
        })?;
    let db = c.connect(DB).await?;
    let orders = (s.rows / 2).max(1);
    let sql = format!(
        "CREATE TABLE flightdeck_accounts (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL, balance numeric(12,2) NOT NULL, created timestamptz NOT NULL);
         INSERT INTO flightdeck_accounts SELECT i, 'user ' || i, 'user' || i || '@example.test', (i * 37 % 100000) / 100.0, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second' FROM generate_series(1::bigint, {rows}) i;
         CREATE TABLE flightdeck_orders (id bigint PRIMARY KEY, account_id bigint NOT NULL, total numeric(10,2) NOT NULL, note text);
         INSERT INTO flightdeck_orders SELECT i, 1 + i % {rows}, (i * 7919 % 50000) / 100.0, CASE WHEN i % 3 = 0 THEN 'gift ' || i END FROM generate_series(1::bigint, {orders}) i;
         CHECKPOINT;",
        rows = s.rows
    );
    let fill = db.batch_execute(&sql);
    tokio::select! {
        r = fill => r.map_err(|e| PgError::Failed(format!("fill the primary: {}", crate::pg::db_text(&e))))?,
        _ = cancel.cancelled() => return Err(PgError::Cancelled),
    }
    let detail = format!(
        "initdb + start on 127.0.0.1:{port}; {} accounts and {orders} orders in {DB}",
        s.rows
    );
    Ok((c, detail))
}

/// The disaster: what was done, and how many server processes outlived
/// the postmaster (`kill_postmaster` only).
pub async fn strike(
    source: &mut Cluster,
    d: Disaster,
) -> Result<(String, Option<(usize, bool)>), PgError> {
    let before = source.members().len();
    let remove = |c: &Cluster| {
        std::fs::remove_dir_all(c.data_dir()).map_err(|e| {
            PgError::Failed(format!("disaster: remove {}: {e}", c.data_dir().display()))
        })
    };
    match d {
        Disaster::KillGroup => {
            source.kill().await;
            Ok((
                format!("SIGKILL to all {before} server processes at once (frozen first)"),
                None,
            ))
        }
        Disaster::RemoveDatadir => {
            remove(source)?;
            Ok((
                "data directory removed under the running server".into(),
                None,
            ))
        }
        Disaster::Both => {
            source.kill().await;
            // Nothing runs any more: a rename is the same loss, without
            // the removal's own time counted in the RTO (the workspace
            // removes it at the end).
            let gone = source.data_dir().with_extension("destroyed");
            std::fs::rename(source.data_dir(), &gone).map_err(|e| {
                PgError::Failed(format!(
                    "disaster: move {} away: {e}",
                    source.data_dir().display()
                ))
            })?;
            Ok((
                format!(
                    "SIGKILL to all {before} server processes, then the data directory removed"
                ),
                None,
            ))
        }
        Disaster::KillPostmaster => {
            // A client mid-statement, as on any busy primary: its backend
            // checks for the postmaster only between statements.
            let client = source.connect(DB).await?;
            let straggler = tokio::spawn(async move {
                client
                    .batch_execute(STRAGGLER_SQL)
                    .await
                    .map(|_| Instant::now())
            });
            tokio::time::sleep(Duration::from_millis(300)).await;
            // The server's processes, known before the kill (a /proc scan
            // is slow next to a child's exit). Server processes only: not `runuser`, which waits for the
            // postmaster as its parent.
            let kids: Vec<u32> = source
                .members()
                .into_iter()
                .filter(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/comm"))
                        .is_ok_and(|c| c.trim() == "postgres")
                })
                .collect();
            let Some(pm) = source.kill_postmaster() else {
                return Err(PgError::Failed(
                    "disaster: the postmaster's PID is not known (postmaster.pid unreadable)"
                        .into(),
                ));
            };
            // Spin (bounded) until the postmaster is gone: only then are
            // its children told, through the pipe its exit closes.
            let deadline = Instant::now() + Duration::from_secs(2);
            while tool::alive(pm) && Instant::now() < deadline {
                tokio::task::yield_now().await;
            }
            let died = Instant::now();
            let survivors = kids
                .iter()
                .filter(|p| **p != pm && tool::alive(**p))
                .count();
            // Did the orphaned backend still commit? (Bounded: the lab
            // kills it at the end either way.)
            let committed = matches!(
                tokio::time::timeout(Duration::from_secs(20), straggler).await,
                Ok(Ok(Ok(at))) if at > died
            );
            Ok((
                format!(
                    "postmaster {pm} killed alone; {survivors} of the server's other processes still alive after it died{}",
                    if committed {
                        "; a client's INSERT still COMMITTED after the postmaster's death: only killing the whole tree stops writes at T0"
                    } else {
                        ""
                    }
                ),
                Some((survivors, committed)),
            ))
        }
    }
}

/// Environment for a libpq tool reaching `url` (the password stays off
/// the command line, where `ps` would show it).
pub fn libpq_env(url: &Secret) -> Result<Vec<(String, String)>, PgError> {
    use std::str::FromStr;
    let cfg = tokio_postgres::Config::from_str(url.expose())
        .map_err(|_| PgError::Failed("the primary's connection string does not parse".into()))?;
    let mut env = Vec::new();
    if let Some(tokio_postgres::config::Host::Tcp(h)) = cfg.get_hosts().first() {
        env.push(("PGHOST".into(), h.clone()));
    }
    if let Some(p) = cfg.get_ports().first() {
        env.push(("PGPORT".into(), p.to_string()));
    }
    if let Some(u) = cfg.get_user() {
        env.push(("PGUSER".into(), u.to_string()));
    }
    if let Some(d) = cfg.get_dbname() {
        env.push(("PGDATABASE".into(), d.to_string()));
    }
    if let Some(pw) = cfg.get_password() {
        env.push((
            "PGPASSWORD".into(),
            String::from_utf8_lossy(pw).into_owned(),
        ));
    }
    Ok(env)
}

/// Bytes under `dir` (files only; unreadable entries count 0).
pub fn size_of(dir: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    if !meta.is_dir() {
        return 0;
    }
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}
