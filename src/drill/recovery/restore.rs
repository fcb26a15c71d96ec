//! Each method's restore, always into a fresh data directory on a new
//! port; the primary's files are only read (the backup, the WAL archive,
//! `pg_receivewal`'s directory). The restored copy never archives and
//! waits for no synchronous standby.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::backup::{Backup, fill, vars};
use super::lab::Lab;
use super::{Method, Settings};
use crate::pg::{Cluster, PgError, tool};

/// Settings of every restored copy.
fn restored_settings() -> Vec<String> {
    vec![
        "archive_mode = off".into(),
        "synchronous_standby_names = ''".into(),
        // Crash recovery first syncs the data directory: one syncfs()
        // instead of an fsync() per file (PostgreSQL 14+; same durability).
        "recovery_init_sync_method = syncfs".into(),
    ]
}

async fn copy(
    lab: &Lab,
    from: &Path,
    to: &Path,
    what: &str,
    s: &Settings,
    cancel: &CancellationToken,
) -> Result<(), PgError> {
    let mut cmd = lab.ws.account().command(Path::new("cp"));
    cmd.arg("-a").arg(from).arg(to);
    tool::run(cmd, what, s.timeout, cancel).await.map(|_| ())
}

/// Put the data in place (for a dump: a fresh cluster started and
/// `pg_restore` run into it). The restored cluster is in `lab.restored`.
pub async fn files(
    lab: &mut Lab,
    s: &Settings,
    b: &Backup,
    cancel: &CancellationToken,
) -> Result<((), String), PgError> {
    if s.method == Method::Dump {
        let c = Cluster::init(&lab.ws, "restored", cancel).await?;
        c.configure(&restored_settings())?;
        let port = crate::pg::free_port()?;
        let started = lab.restored.insert(c);
        started
            .start(&lab.ws, port, s.start_timeout, cancel)
            .await?;
        let mut cmd = lab.ws.command("pg_restore", "restore (pg_restore)")?;
        cmd.envs([
            ("PGHOST", "127.0.0.1".to_string()),
            ("PGPORT", port.to_string()),
            ("PGUSER", "postgres".to_string()),
        ])
        .args([
            "-C",
            "-d",
            "postgres",
            "-j",
            &s.jobs.to_string(),
            "--exit-on-error",
        ])
        .arg(&b.path);
        let ran = tool::run(
            cmd,
            &format!("restore (pg_restore -j {})", s.jobs),
            s.timeout,
            cancel,
        )
        .await?;
        return Ok((
            (),
            format!(
                "initdb + start on 127.0.0.1:{port}, pg_restore -j {} in {:.2} s",
                s.jobs,
                ran.elapsed.as_secs_f64()
            ),
        ));
    }
    let c = Cluster::at(&lab.ws, "restored")?;
    let data = c.data_dir().to_path_buf();
    lab.restored = Some(c);
    let mut detail = Vec::new();
    if s.method == Method::Custom {
        let argv = fill(&s.restore_command, &vars(lab, s, &b.path));
        let Some((program, args)) = argv.split_first() else {
            return Err(PgError::Failed(
                "restore (custom): restore_command is empty".into(),
            ));
        };
        let mut cmd = lab.ws.account().command(Path::new(program));
        cmd.args(args);
        tool::run(cmd, &format!("restore ({program})"), s.timeout, cancel).await?;
        if !data.join("PG_VERSION").is_file() {
            return Err(PgError::Failed(format!(
                "restore ({program}): no data directory at {} afterwards (the restore_command must fill {{data_dir}})",
                data.display()
            )));
        }
        detail.push(format!("{program} filled the data directory"));
    } else {
        copy(
            lab,
            &b.path,
            &data,
            "restore (copy the base backup)",
            s,
            cancel,
        )
        .await?;
        detail.push("base backup copied to a fresh data directory".to_string());
    }
    let restored = lab
        .restored
        .as_ref()
        .ok_or_else(|| PgError::Failed("restore: no cluster".into()))?;
    let mut settings = restored_settings();
    match s.method {
        Method::WalArchive => {
            let arch = lab
                .archive
                .as_ref()
                .ok_or_else(|| PgError::Failed("restore: no WAL archive".into()))?;
            let a = arch.display().to_string().replace('\'', "''");
            settings.push(format!("restore_command = 'cp \"{a}/%f\" \"%p\"'"));
            settings.push("recovery_target_timeline = 'latest'".into());
            std::fs::write(data.join("recovery.signal"), b"")
                .map_err(|e| PgError::Failed(format!("restore: write recovery.signal: {e}")))?;
            let n = std::fs::read_dir(arch).map(|d| d.count()).unwrap_or(0);
            detail.push(format!(
                "PITR to the latest point from {n} archived WAL files"
            ));
        }
        Method::WalStream => {
            let stream = lab.ws.path().join("wal_stream");
            // Completed segments and the partial one (renamed: recovery
            // reads it from pg_wal like any segment).
            let script = "cp \"$1\"/* \"$2\"/ && for f in \"$2\"/*.partial; do [ -e \"$f\" ] && mv -f \"$f\" \"${f%.partial}\"; done; true";
            let mut cmd = lab.ws.account().command(Path::new("sh"));
            cmd.args(["-c", script, "sh"])
                .arg(&stream)
                .arg(data.join("pg_wal"));
            tool::run(cmd, "restore (copy the streamed WAL)", s.timeout, cancel).await?;
            let n = std::fs::read_dir(&stream).map(|d| d.count()).unwrap_or(0);
            detail.push(format!("{n} streamed WAL files replayed from pg_wal"));
        }
        _ => {}
    }
    restored.configure(&settings)?;
    Ok(((), detail.join("; ")))
}

/// Start the restored copy (not for a dump: it already runs) and wait
/// until it answers and, after a PITR, until recovery has ended.
pub async fn start(
    lab: &mut Lab,
    s: &Settings,
    cancel: &CancellationToken,
) -> Result<((), String), PgError> {
    let Some(c) = lab.restored.as_mut() else {
        return Err(PgError::Failed(
            "start the restored cluster: nothing restored".into(),
        ));
    };
    if s.method != Method::Dump {
        let port = crate::pg::free_port()?;
        c.start(&lab.ws, port, s.start_timeout, cancel).await?;
    }
    let deadline = Instant::now() + s.start_timeout;
    loop {
        let client = c.connect("postgres").await?;
        let rec: bool = client
            .query_one("SELECT pg_is_in_recovery()", &[])
            .await
            .map_err(|e| PgError::Failed(format!("start the restored cluster: {e}")))?
            .get(0);
        if !rec {
            break;
        }
        if Instant::now() >= deadline {
            return Err(PgError::Failed(format!(
                "start the restored cluster: still in recovery after {} s",
                s.start_timeout.as_secs()
            )));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = cancel.cancelled() => return Err(PgError::Cancelled),
        }
    }
    Ok((
        (),
        format!("answering on 127.0.0.1:{}, out of recovery", c.port()),
    ))
}
