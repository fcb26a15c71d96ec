//! Schema before data, indexes and constraints after, as `pg_restore` does:
//! `pg_dump --schema-only --section=pre-data|post-data` in the copy's
//! snapshot, applied to the target. psql meta-commands (`\restrict` in
//! recent minor releases) are dropped: the text goes through the extended
//! protocol's simple query, not psql.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::Command;
use tokio_postgres::Client;

use super::DataError;
use super::conn::Endpoint;

/// Where PostgreSQL's client programs are: `FLIGHTDECK_PGBIN`, then
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then PATH.
pub fn pg_bin() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("FLIGHTDECK_PGBIN").filter(|b| !b.is_empty()) {
        return Some(PathBuf::from(b));
    }
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        && out.status.success()
    {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("pg_dump").is_file() {
            return Some(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_dump").is_file())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().or_else(|| {
        std::env::var_os("PATH")
            .and_then(|path| std::env::split_paths(&path).find(|d| d.join("pg_dump").is_file()))
    })
}

/// `pg_dump` one section of the source's schema in `snapshot`.
pub async fn dump(src: &Endpoint, section: &str, snapshot: &str) -> Result<String, DataError> {
    let bin = pg_bin().ok_or_else(|| {
        DataError::Usage(
            "pg_dump not found: install PostgreSQL's client (apt-get install postgresql-client) or set FLIGHTDECK_PGBIN to its bin directory".into(),
        )
    })?;
    let (args, password) = src.dump_args();
    let mut cmd = Command::new(bin.join("pg_dump"));
    cmd.args(&args)
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--section",
            section,
            "--snapshot",
            snapshot,
            "--exclude-schema",
            "_flightdeck_data",
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match password {
        Some(pw) => cmd.env("PGPASSWORD", pw),
        None => cmd.env_remove("PGPASSWORD"),
    };
    let out = cmd.output().await.map_err(|e| {
        DataError::Internal(format!("cannot run {}: {e}", bin.join("pg_dump").display()))
    })?;
    if !out.status.success() {
        return Err(DataError::Unreachable(format!(
            "pg_dump --section={section} of the source {} failed: {}",
            src.label,
            src.scrub(String::from_utf8_lossy(&out.stderr).trim())
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Apply a dumped section to the target.
pub async fn apply(
    tgt: &Client,
    target: &Endpoint,
    section: &str,
    sql: &str,
) -> Result<(), DataError> {
    tgt.batch_execute(sql).await.map_err(|e| {
        DataError::Copy(format!(
            "applying the source's {section} schema to the target {} failed: {}",
            target.label,
            super::conn::db_message(&e)
        ))
    })
}
