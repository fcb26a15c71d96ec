//! The schema, as numbered migrations applied in order and recorded in
//! `schema_migrations`. The same statements run on SQLite and PostgreSQL
//! (through [`super::sql::Dialect`]). A released migration is never edited:
//! a change is a new migration at the end.

use chrono::Utc;

use super::sql::{Conn, Value};
use crate::history::error::StoreError;

/// One schema change.
pub struct Migration {
    /// Its number, from 1, in order.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    /// The statements, PostgreSQL dialect.
    pub sql: &'static str,
}

/// Every migration this build knows, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "runs, stages, checks, load, canary, drills, findings",
        sql: "
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    release TEXT NOT NULL,
    environment TEXT NOT NULL,
    operator TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_s DOUBLE PRECISION,
    decision TEXT,
    score DOUBLE PRECISION,
    band TEXT,
    exit_code BIGINT NOT NULL,
    journal TEXT NOT NULL,
    journal_bytes BIGINT NOT NULL
);
CREATE INDEX runs_by_service ON runs (service, started_at);
CREATE TABLE stages (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    hard BIGINT NOT NULL,
    verdict TEXT,
    summary TEXT NOT NULL,
    duration_s DOUBLE PRECISION,
    PRIMARY KEY (run_id, stage)
);
CREATE TABLE checks (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    position BIGINT NOT NULL,
    label TEXT NOT NULL,
    value TEXT NOT NULL,
    threshold TEXT,
    verdict TEXT NOT NULL,
    PRIMARY KEY (run_id, stage, position)
);
CREATE TABLE load_endpoints (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    rps DOUBLE PRECISION NOT NULL,
    p50_ms DOUBLE PRECISION NOT NULL,
    p95_ms DOUBLE PRECISION NOT NULL,
    p99_ms DOUBLE PRECISION NOT NULL,
    histogram BYTEA,
    PRIMARY KEY (run_id, stage, endpoint)
);
CREATE TABLE canary_judgements (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    step BIGINT NOT NULL,
    percent DOUBLE PRECISION NOT NULL,
    metric TEXT NOT NULL,
    verdict TEXT NOT NULL,
    baseline DOUBLE PRECISION,
    canary DOUBLE PRECISION,
    p_value DOUBLE PRECISION,
    PRIMARY KEY (run_id, stage, step, metric)
);
CREATE TABLE drill_objectives (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    objective TEXT NOT NULL,
    value TEXT NOT NULL,
    bound TEXT,
    verdict TEXT NOT NULL,
    PRIMARY KEY (run_id, stage, objective)
);
CREATE TABLE findings (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    severity TEXT NOT NULL,
    total BIGINT NOT NULL,
    open BIGINT NOT NULL,
    PRIMARY KEY (run_id, severity)
);
",
    },
    Migration {
        version: 2,
        name: "production outcomes, changes, risk, A/A calibrations",
        sql: "
CREATE TABLE outcomes (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    result TEXT NOT NULL,
    severity TEXT,
    restore_minutes DOUBLE PRECISION,
    note TEXT,
    source TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE changes (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
    change_range TEXT NOT NULL,
    base TEXT NOT NULL,
    head TEXT NOT NULL,
    files BIGINT NOT NULL,
    lines_added BIGINT NOT NULL,
    lines_removed BIGINT NOT NULL,
    full_plan BIGINT NOT NULL
);
CREATE TABLE changed_paths (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    renamed_from TEXT,
    added BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    PRIMARY KEY (run_id, path)
);
CREATE INDEX changed_paths_by_path ON changed_paths (path);
ALTER TABLE runs ADD COLUMN risk_score DOUBLE PRECISION;
ALTER TABLE runs ADD COLUMN risk_level TEXT;
CREATE TABLE calibrations (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    scenario TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    method TEXT NOT NULL,
    duration_s DOUBLE PRECISION NOT NULL,
    windows BIGINT NOT NULL,
    alpha DOUBLE PRECISION NOT NULL,
    power DOUBLE PRECISION NOT NULL,
    p50_noise_pct DOUBLE PRECISION NOT NULL,
    p95_noise_pct DOUBLE PRECISION NOT NULL,
    p99_noise_pct DOUBLE PRECISION NOT NULL,
    error_rate_noise_pct DOUBLE PRECISION NOT NULL,
    detectable_pct DOUBLE PRECISION NOT NULL
);
CREATE INDEX calibrations_by_scope ON calibrations (service, scenario, endpoint, recorded_at);
",
    },
    Migration {
        version: 3,
        name: "capacity searches",
        sql: "
CREATE TABLE capacity_results (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    sustainable_rps DOUBLE PRECISION,
    knee_rps DOUBLE PRECISION,
    required_rps DOUBLE PRECISION NOT NULL,
    headroom DOUBLE PRECISION NOT NULL,
    verdict TEXT NOT NULL,
    PRIMARY KEY (run_id, stage)
);
",
    },
];

/// The newest schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The store's schema version (0 for an empty store).
pub fn version(c: &mut dyn Conn) -> Result<i64, StoreError> {
    c.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )?;
    let rows = c.query("SELECT MAX(version) FROM schema_migrations", &[])?;
    Ok(rows.first().and_then(|r| r.opt_i64(0)).unwrap_or(0))
}

/// Apply every migration the store lacks, up to `target` (the latest when
/// `None`), in the caller's transaction. Returns the versions applied.
pub fn migrate(c: &mut dyn Conn, store: &str, target: Option<i64>) -> Result<Vec<i64>, StoreError> {
    let found = version(c)?;
    let known = latest();
    if found > known {
        return Err(StoreError::TooNew {
            store: store.to_string(),
            found,
            known,
        });
    }
    let target = target.unwrap_or(known);
    let mut applied = Vec::new();
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        c.batch(m.sql).map_err(|e| StoreError::Migration {
            store: store.to_string(),
            version: m.version,
            name: m.name.to_string(),
            message: e.to_string(),
        })?;
        c.exec(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[
                Value::from(m.version),
                Value::from(m.name),
                Value::from(Utc::now().to_rfc3339()),
            ],
        )?;
        applied.push(m.version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
        }
        assert_eq!(latest(), MIGRATIONS.len() as i64);
    }
}
