//! Each method's backup, and its verification: the dump is taken in a
//! snapshot the drill also checksums (so the expected state is exactly
//! the dump's), base backups after the checksums of the (then static)
//! data tables; `pg_verifybackup` checks base backups against their
//! manifest, `pg_restore -l` reads the dump's table of contents.

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::integrity::{self, Expected};
use super::lab::{Lab, libpq_env, size_of};
use super::{Method, Settings};
use crate::pg::{PgError, tool};

/// A backup taken.
#[derive(Clone, Debug)]
pub struct Backup {
    /// Where it is (the dump file, or the base backup's directory).
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// What the restore must hold (data tables).
    pub expected: Vec<Expected>,
    /// The heartbeat's newest sequence in the dump's snapshot (dump only).
    pub snapshot_seq: Option<i64>,
}

/// Placeholders of custom commands and the `before_verify` hook.
pub fn fill(argv: &[String], vars: &[(&str, String)]) -> Vec<String> {
    argv.iter()
        .map(|a| {
            vars.iter()
                .fold(a.clone(), |t, (k, v)| t.replace(&format!("{{{k}}}"), v))
        })
        .collect()
}

/// Take the backup.
pub async fn take(
    lab: &Lab,
    s: &Settings,
    cancel: &CancellationToken,
) -> Result<(Backup, String), PgError> {
    let dir = lab.backups.as_ref().unwrap_or(&lab.ws).dir("backup")?;
    let env = libpq_env(&lab.source_url)?;
    let client = crate::pg::cluster::connect(lab.source_url.expose())
        .await
        .map_err(|e| PgError::Failed(format!("backup: {e}")))?;
    match s.method {
        Method::Dump => {
            client
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await
                .map_err(|e| {
                    PgError::Failed(format!(
                        "backup: open the snapshot: {}",
                        crate::pg::db_text(&e)
                    ))
                })?;
            let snap: String = client
                .query_one("SELECT pg_export_snapshot()", &[])
                .await
                .map_err(|e| {
                    PgError::Failed(format!(
                        "backup: export the snapshot: {}",
                        crate::pg::db_text(&e)
                    ))
                })?
                .get(0);
            let expected = integrity::expected(&client).await?;
            let seq: i64 = client
                .query_one(
                    "SELECT coalesce(max(seq), 0) FROM flightdeck_heartbeat",
                    &[],
                )
                .await
                .map_err(|e| {
                    PgError::Failed(format!(
                        "backup: read the heartbeat: {}",
                        crate::pg::db_text(&e)
                    ))
                })?
                .get(0);
            let file = dir.join("db.dump");
            let mut cmd = lab.ws.command("pg_dump", "backup (pg_dump)")?;
            cmd.envs(env)
                .args(["-Fc", "--snapshot", &snap, "-f"])
                .arg(&file);
            let ran = tool::run(cmd, "backup (pg_dump -Fc)", s.timeout, cancel).await?;
            let _ = client.batch_execute("COMMIT").await;
            let bytes = size_of(&file);
            Ok((
                Backup {
                    path: file,
                    bytes,
                    expected,
                    snapshot_seq: Some(seq),
                },
                format!(
                    "pg_dump -Fc in snapshot {snap}: {bytes} bytes in {:.2} s; heartbeat up to seq {seq} in it",
                    ran.elapsed.as_secs_f64()
                ),
            ))
        }
        Method::Basebackup | Method::WalArchive | Method::WalStream => {
            let expected = integrity::expected(&client).await?;
            let base = dir.join("base");
            let mut cmd = lab.ws.command("pg_basebackup", "backup (pg_basebackup)")?;
            cmd.envs(env)
                .arg("-D")
                .arg(&base)
                .args(["-X", "stream", "-c", "fast", "--no-sync"]);
            let ran = tool::run(cmd, "backup (pg_basebackup -X stream)", s.timeout, cancel).await?;
            let bytes = size_of(&base);
            Ok((
                Backup {
                    path: base,
                    bytes,
                    expected,
                    snapshot_seq: None,
                },
                format!(
                    "pg_basebackup -X stream: {bytes} bytes in {:.2} s",
                    ran.elapsed.as_secs_f64()
                ),
            ))
        }
        Method::Custom => {
            let expected = integrity::expected(&client).await?;
            let argv = fill(&s.backup_command, &vars(lab, s, &dir));
            let Some((program, args)) = argv.split_first() else {
                return Err(PgError::Failed(
                    "backup (custom): backup_command is empty".into(),
                ));
            };
            let mut cmd = lab.ws.account().command(std::path::Path::new(program));
            cmd.envs(env).args(args);
            let ran = tool::run(cmd, &format!("backup ({program})"), s.timeout, cancel).await?;
            let bytes = size_of(&dir);
            Ok((
                Backup {
                    path: dir,
                    bytes,
                    expected,
                    snapshot_seq: None,
                },
                format!(
                    "{program}: {bytes} bytes in the backup directory in {:.2} s",
                    ran.elapsed.as_secs_f64()
                ),
            ))
        }
    }
}

/// The placeholders: `{bin_dir}`, `{backup_dir}`, `{archive_dir}`,
/// `{data_dir}` (where a restore must put the data directory), `{host}`,
/// `{port}`, `{user}`, `{dbname}` of the primary (no password: it is in
/// PGPASSWORD).
pub fn vars(lab: &Lab, _s: &Settings, backup_dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let env = libpq_env(&lab.source_url).unwrap_or_default();
    let get = |k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    vec![
        ("bin_dir", lab.ws.bin().dir().display().to_string()),
        ("backup_dir", backup_dir.display().to_string()),
        (
            "archive_dir",
            lab.archive
                .as_ref()
                .map(|a| a.display().to_string())
                .unwrap_or_default(),
        ),
        (
            "data_dir",
            lab.ws
                .path()
                .join("restored")
                .join("data")
                .display()
                .to_string(),
        ),
        ("host", get("PGHOST")),
        ("port", get("PGPORT")),
        ("user", get("PGUSER")),
        ("dbname", get("PGDATABASE")),
    ]
}

/// Verify the backup with PostgreSQL's own tool.
pub async fn verify(
    lab: &Lab,
    s: &Settings,
    b: &Backup,
    cancel: &CancellationToken,
) -> Result<((), String), PgError> {
    let limit = s.timeout.min(Duration::from_secs(3600));
    if s.method == Method::Dump {
        let mut cmd = lab
            .ws
            .command("pg_restore", "verify the backup (pg_restore -l)")?;
        cmd.arg("-l").arg(&b.path);
        let ran = tool::run(cmd, "verify the backup (pg_restore -l)", limit, cancel).await?;
        let entries = ran.stdout.lines().filter(|l| !l.starts_with(';')).count();
        return Ok(((), format!("pg_restore -l: {entries} entries readable")));
    }
    let mut cmd = lab
        .ws
        .command("pg_verifybackup", "verify the backup (pg_verifybackup)")?;
    cmd.arg(&b.path);
    let ran = tool::run(cmd, "verify the backup (pg_verifybackup)", limit, cancel).await?;
    Ok(((), format!("pg_verifybackup: {}", ran.stdout.trim())))
}
