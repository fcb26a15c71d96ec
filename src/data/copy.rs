//! `data copy`: the source in one read-only repeatable-read snapshot;
//! the schema first, then every table's rows (side by side up to `jobs`),
//! then indexes and constraints, then sequences set to the source's values.
//!
//! Nothing is written before every check has passed (reachability, rules
//! against the catalog, an empty target or `--replace`). While a copy runs
//! the target holds a `_flightdeck_data` schema; it goes when the copy
//! completes, so its presence marks an interrupted copy, which the next
//! copy wipes and starts again cleanly.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;
use tokio::sync::Mutex;
use tokio_postgres::Client;

use super::DataError;
use super::catalog::{self, Catalog, Table};
use super::collisions::{self, Collisions};
use super::conn::{Endpoint, db_message, ident};
use super::plan::{self, Plan};
use super::rules::Rules;
use super::scale;
use super::schema;
use super::table_copy::copy_table;
use super::transform::HmacKey;
use crate::core::data::{TableCopied, TableStarted};

/// What happens during a copy, for progress lines and events.
#[derive(Clone, Debug)]
pub enum CopyEvent {
    /// A phase begins: `schema`, `data`, `constraints`, `sequences`.
    Phase(String),
    /// A table's copy begins.
    Started(TableStarted),
    /// Rows so far in a table (about once a second).
    Rows {
        /// `schema.table`.
        table: String,
        /// Rows so far.
        rows: u64,
    },
    /// A table is done.
    Copied(TableCopied),
}

/// Where copy events go.
pub type Progress = Arc<dyn Fn(CopyEvent) + Send + Sync>;

/// Options of a copy.
#[derive(Clone, Debug)]
pub struct CopyOptions {
    /// Drop what the target holds first.
    pub replace: bool,
    /// Tables copied side by side.
    pub jobs: usize,
    /// Whole copies of the rows in the target (1: none added); see
    /// [`super::scale`].
    pub scale: u32,
}

/// What a copy did.
#[derive(Clone, Debug, Serialize)]
pub struct CopyReport {
    /// Source label (never the password).
    pub source: String,
    /// Target label.
    pub target: String,
    /// Tables copied.
    pub tables: Vec<TableCopied>,
    /// Sequences set.
    pub sequences: usize,
    /// Rows in all.
    pub rows: u64,
    /// Wall time.
    pub seconds: f64,
    /// The target was an interrupted copy, wiped first.
    pub resumed_clean: bool,
    /// The scale factor applied.
    pub scale: u32,
    /// Synthetic rows added by the scale-up.
    pub synthetic_rows: u64,
}

/// Open the source's read-only snapshot; returns the exported snapshot id.
pub async fn open_snapshot(src: &Client, source: &Endpoint) -> Result<String, DataError> {
    src.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(|e| {
            DataError::Unreachable(format!("source {}: {}", source.label, db_message(&e)))
        })?;
    let row = src
        .query_one("SELECT pg_export_snapshot()", &[])
        .await
        .map_err(|e| {
            DataError::Unreachable(format!("source {}: {}", source.label, db_message(&e)))
        })?;
    Ok(row.get(0))
}

/// Copy `source` into `target` with `rules`.
pub async fn copy(
    source: &Endpoint,
    target: &Endpoint,
    rules: &Rules,
    key: Option<HmacKey>,
    opts: &CopyOptions,
    progress: Progress,
) -> Result<CopyReport, DataError> {
    let started = Instant::now();
    let src = source.connect().await?;
    let tgt = target.connect().await?;
    let snapshot = open_snapshot(&src, source).await?;
    let mut cat = catalog::read(&src).await?;
    plan::add_references(&mut cat, rules)?;
    let plan = plan::resolve(&cat, rules)?;
    let resumed_clean = prepare_target(&tgt, target, opts.replace).await?;
    // Collisions under unique indexes are resolved before any table is
    // copied, so a parent and its children copied side by side agree.
    let fallback = HmacKey::new(&crate::secrets::Secret::new(""));
    let collisions =
        collisions::resolve(&src, &cat, &plan, key.as_ref().unwrap_or(&fallback)).await?;

    progress(CopyEvent::Phase("schema".into()));
    let pre = schema::dump(source, "pre-data", &snapshot).await?;
    schema::apply(&tgt, target, "pre-data", &pre).await?;

    progress(CopyEvent::Phase("data".into()));
    let tables = copy_tables(
        source,
        target,
        &cat,
        &plan,
        key.clone(),
        collisions,
        &snapshot,
        opts.jobs,
        progress.clone(),
    )
    .await?;

    let mut synthetic_rows = 0;
    if opts.scale > 1 {
        progress(CopyEvent::Phase(format!("scale x{}", opts.scale)));
        let read = target.connect().await?;
        let added = scale::scale(
            &read,
            &tgt,
            &cat,
            &plan,
            key.as_ref().unwrap_or(&fallback),
            opts.scale,
        )
        .await?;
        synthetic_rows = added.iter().map(|(_, n)| n).sum();
    }

    progress(CopyEvent::Phase("constraints".into()));
    let post = schema::dump(source, "post-data", &snapshot).await?;
    schema::apply(&tgt, target, "post-data", &post).await?;

    progress(CopyEvent::Phase("sequences".into()));
    for s in &cat.sequences {
        let sql = match s.last_value {
            Some(v) => format!(
                "SELECT setval('{}', {v}, true)",
                s.sql_name.replace('\'', "''")
            ),
            None => format!(
                "SELECT setval('{}', (SELECT seqstart FROM pg_sequence WHERE seqrelid = '{0}'::regclass), false)",
                s.sql_name.replace('\'', "''")
            ),
        };
        tgt.batch_execute(&sql).await.map_err(|e| {
            DataError::Copy(format!(
                "setting sequence {} on the target: {}",
                s.sql_name,
                db_message(&e)
            ))
        })?;
    }
    if opts.scale > 1 {
        scale::bump_sequences(&tgt, &cat).await?;
    }
    tgt.batch_execute("DROP SCHEMA IF EXISTS _flightdeck_data CASCADE")
        .await
        .map_err(|e| DataError::Copy(format!("target {}: {}", target.label, db_message(&e))))?;
    let _ = src.batch_execute("COMMIT").await;
    let rows = tables.iter().map(|t| t.rows).sum();
    Ok(CopyReport {
        source: source.label.clone(),
        target: target.label.clone(),
        sequences: cat.sequences.len(),
        tables,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        resumed_clean,
        scale: opts.scale,
        synthetic_rows,
    })
}

/// Check the target is empty (or may be replaced), wipe it if so, and mark
/// the copy as running. Returns whether an interrupted copy was wiped.
async fn prepare_target(tgt: &Client, target: &Endpoint, replace: bool) -> Result<bool, DataError> {
    let err = |e: tokio_postgres::Error| {
        DataError::Copy(format!("target {}: {}", target.label, db_message(&e)))
    };
    let interrupted: bool = tgt
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '_flightdeck_data')",
            &[],
        )
        .await
        .map_err(err)?
        .get(0);
    let existing = catalog::user_tables(tgt).await?;
    if !existing.is_empty() && !replace && !interrupted {
        let some: Vec<&str> = existing.iter().take(3).map(String::as_str).collect();
        return Err(DataError::Usage(format!(
            "the target {} is not empty ({} relations: {}{}); nothing was written. Pass --replace to drop them first",
            target.label,
            existing.len(),
            some.join(", "),
            if existing.len() > 3 { ", ..." } else { "" }
        )));
    }
    if !existing.is_empty() || interrupted {
        let schemas = tgt
            .query(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'",
                &[],
            )
            .await
            .map_err(err)?;
        for s in schemas {
            let name: String = s.get(0);
            tgt.batch_execute(&format!("DROP SCHEMA {} CASCADE", ident(&name)))
                .await
                .map_err(err)?;
        }
        tgt.batch_execute("CREATE SCHEMA IF NOT EXISTS public")
            .await
            .map_err(err)?;
    }
    tgt.batch_execute(
        "CREATE SCHEMA _flightdeck_data; \
         CREATE TABLE _flightdeck_data.copy_state (started_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .map_err(err)?;
    Ok(interrupted)
}

#[allow(clippy::too_many_arguments)]
async fn copy_tables(
    source: &Endpoint,
    target: &Endpoint,
    cat: &Catalog,
    plan: &Plan,
    key: Option<HmacKey>,
    collisions: Collisions,
    snapshot: &str,
    jobs: usize,
    progress: Progress,
) -> Result<Vec<TableCopied>, DataError> {
    let mut leaves: Vec<Table> = cat.leaf_tables().cloned().collect();
    // The biggest first, so that parallel workers finish together.
    leaves.sort_by_key(|t| std::cmp::Reverse(t.estimated_rows));
    let queue = Arc::new(Mutex::new(VecDeque::from(leaves)));
    let abort = Arc::new(AtomicBool::new(false));
    let plan = Arc::new(plan.clone());
    let key = Arc::new(key);
    let collisions = Arc::new(collisions);
    let mut handles = Vec::new();
    for _ in 0..jobs.max(1) {
        let (source, target) = (source.clone(), target.clone());
        let collisions = collisions.clone();
        let (queue, abort, plan, key, progress) = (
            queue.clone(),
            abort.clone(),
            plan.clone(),
            key.clone(),
            progress.clone(),
        );
        let snapshot = snapshot.to_string();
        handles.push(tokio::spawn(async move {
            let src = source.connect().await?;
            src.batch_execute(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{}'",
                snapshot.replace('\'', "")
            ))
            .await
            .map_err(|e| {
                DataError::Unreachable(format!("source {}: {}", source.label, db_message(&e)))
            })?;
            let tgt = target.connect().await?;
            let mut done = Vec::new();
            loop {
                if abort.load(Ordering::SeqCst) {
                    break;
                }
                let Some(table) = queue.lock().await.pop_front() else {
                    break;
                };
                let full = table.full_name();
                progress(CopyEvent::Started(TableStarted {
                    table: full.clone(),
                    estimated_rows: table.estimated_rows,
                    transforms: plan.summary(&full),
                }));
                let p = progress.clone();
                let name = full.clone();
                let on_rows = move |rows: u64| {
                    p(CopyEvent::Rows {
                        table: name.clone(),
                        rows,
                    })
                };
                match copy_table(
                    &src,
                    &tgt,
                    &table,
                    &plan,
                    (*key).as_ref(),
                    &collisions,
                    &on_rows,
                )
                .await
                {
                    Ok(c) => {
                        progress(CopyEvent::Copied(c.clone()));
                        done.push(c);
                    }
                    Err(e) => {
                        abort.store(true, Ordering::SeqCst);
                        return Err(e);
                    }
                }
            }
            let _ = src.batch_execute("COMMIT").await;
            Ok::<_, DataError>(done)
        }));
    }
    let mut all = Vec::new();
    let mut first_err = None;
    for h in handles {
        match h.await {
            Ok(Ok(mut d)) => all.append(&mut d),
            Ok(Err(e)) => {
                first_err.get_or_insert(e);
            }
            Err(e) => {
                first_err.get_or_insert(DataError::Internal(format!("a copy worker stopped: {e}")));
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    all.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(all)
}
