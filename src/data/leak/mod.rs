//! The proof of no leak. The source's personal values are streamed once and
//! kept only as keyed 64-bit hashes (SipHash with a key drawn for this scan
//! and never stored) of their normalised form; then every text-like column
//! of every target table is streamed and each value, and each run of words
//! in it of 4 characters or more, is looked up in that set. The detectors
//! run again on every target value. A finding names table, column, row key
//! and detector, never the value.

mod values;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;
use tokio::sync::Mutex;
use tokio_postgres::Client;

use super::DataError;
use super::binary_copy::{Parser, Tuple};
use super::catalog::{Catalog, Table};
use super::conn::Endpoint;
use super::conn::ident;
use super::copy::db_message;
use super::detect::Detectors;
use crate::core::data::{DataFinding, FindingKind};
pub use values::{Scratch, ValueSet, normalise};

/// A field of a row: None for NULL; lossy only for invalid UTF-8 (a
/// database in another encoding), borrowed otherwise.
fn field<'a>(buf: &'a [u8], f: &(usize, i32)) -> Option<std::borrow::Cow<'a, str>> {
    let (start, len) = *f;
    let bytes = buf.get(start..start + usize::try_from(len).ok()?)?;
    // The strict check is the fast path; the lossy one only for bad bytes.
    Some(match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    })
}

/// Stream `columns` of `t` as text (after the row's `ctid` when `ctid`),
/// in binary COPY (no escapes to undo); `each` gets the row number, the
/// bytes and the fields (offset, length or -1 for NULL) of each row, read
/// with [`field`]: no allocation per row.
async fn stream_columns(
    c: &Client,
    side: &str,
    t: &Table,
    ctid: bool,
    columns: &[String],
    mut each: impl FnMut(u64, &[u8], &[(usize, i32)]),
) -> Result<u64, DataError> {
    let exprs: Vec<String> = ctid
        .then(|| "ctid".to_string())
        .into_iter()
        .chain(columns.iter().map(|c| format!("{}::text", ident(c))))
        .collect();
    let sql = format!(
        "COPY (SELECT {} FROM {}) TO STDOUT (FORMAT binary)",
        exprs.join(", "),
        t.sql_name()
    );
    let fail = |what: String| {
        DataError::Unreachable(format!("leak scan of the {side} {}: {what}", t.full_name()))
    };
    let stream = c.copy_out(&sql).await.map_err(|e| fail(db_message(&e)))?;
    futures::pin_mut!(stream);
    let mut parser = Parser::default();
    let mut fields: Vec<(usize, i32)> = Vec::new();
    let mut n = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fail(db_message(&e)))?;
        parser.pending.extend_from_slice(&chunk);
        loop {
            match parser.next(&mut fields).map_err(fail)? {
                Tuple::Incomplete | Tuple::End => break,
                Tuple::Row => {}
            }
            n += 1;
            each(n, &parser.pending, &fields);
            parser.consume();
        }
        parser.compact();
    }
    Ok(n)
}

/// Hash the personal values of the source's `columns` (`schema.table` -> columns).
pub async fn source_values(
    src: &Client,
    cat: &Catalog,
    columns: &BTreeMap<String, Vec<String>>,
) -> Result<ValueSet, DataError> {
    let mut set = ValueSet::new();
    // Sized once from the estimates, so the set does not rehash as it grows.
    let expected: u64 = columns
        .iter()
        .filter_map(|(table, cols)| Some(cat.table(table)?.estimated_rows * cols.len() as u64))
        .sum();
    set.reserve(usize::try_from(expected.min(1 << 26)).unwrap_or(0));
    for (table, cols) in columns {
        let Some(t) = cat.table(table) else { continue };
        stream_columns(src, "source", t, false, cols, |_, buf, fields| {
            for f in fields {
                if let Some(v) = field(buf, f) {
                    set.insert(&v);
                }
            }
        })
        .await?;
    }
    Ok(set)
}

/// What the scan of the target found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LeakReport {
    /// Personal source values hashed.
    pub source_values: u64,
    /// Target rows read.
    pub rows: u64,
    /// Target values looked at.
    pub values: u64,
    /// Seconds the target scan took.
    pub seconds: f64,
    /// Findings (one per table, column and detector, with its first row key).
    pub findings: Vec<DataFinding>,
}

/// A part of the scan: some text columns of one table.
struct Unit {
    /// Its table's place in the catalog (findings come out in that order).
    order: usize,
    table: Table,
    cols: Vec<String>,
    /// The first part of its table: its rows count.
    counts_rows: bool,
}

/// What one part found: (order, table, column, detector) -> (first row
/// key, hits).
type Hits = BTreeMap<HitKey, (String, u64)>;

/// A finding's place: (table order, table, column, detector).
type HitKey = (usize, String, String, &'static str);

/// Tables with this many rows (estimated) or more are scanned one text
/// column per connection, side by side.
const SPLIT_ROWS: u64 = 100_000;

/// Scan every text-like column of every target table, `jobs` parts side by
/// side (each on its own connection to `target`; a big table's columns
/// are parts of their own).
pub async fn scan_target(
    target: &Endpoint,
    cat: &Catalog,
    set: Arc<ValueSet>,
    jobs: usize,
) -> Result<LeakReport, DataError> {
    let started = Instant::now();
    let mut units = Vec::new();
    for (order, t) in cat.leaf_tables().enumerate() {
        let cols: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.is_text())
            .map(|c| c.name.clone())
            .collect();
        if cols.len() > 1 && t.estimated_rows >= SPLIT_ROWS {
            for (i, c) in cols.into_iter().enumerate() {
                units.push(Unit {
                    order,
                    table: t.clone(),
                    cols: vec![c],
                    counts_rows: i == 0,
                });
            }
        } else if !cols.is_empty() {
            units.push(Unit {
                order,
                table: t.clone(),
                cols,
                counts_rows: true,
            });
        }
    }
    // The biggest first, so that the workers finish together.
    units.sort_by_key(|u| std::cmp::Reverse(u.table.estimated_rows));
    let queue = Arc::new(Mutex::new(VecDeque::from(units)));
    let det = Arc::new(Detectors::new());
    let mut workers = Vec::new();
    for _ in 0..jobs.max(1) {
        let (queue, det, set, target) = (queue.clone(), det.clone(), set.clone(), target.clone());
        workers.push(tokio::spawn(async move {
            let c = target.connect().await?;
            let (mut hits, mut rows, mut values) = (Hits::new(), 0u64, 0u64);
            loop {
                let Some(u) = queue.lock().await.pop_front() else {
                    break;
                };
                let (r, v) = scan_unit(&c, &u, &set, &det, &mut hits).await?;
                values += v;
                if u.counts_rows {
                    rows += r;
                }
            }
            Ok::<_, DataError>((hits, rows, values))
        }));
    }
    let mut report = LeakReport {
        source_values: set.values,
        ..LeakReport::default()
    };
    let mut all = Hits::new();
    for w in workers {
        let (hits, rows, values) = w
            .await
            .map_err(|e| DataError::Internal(format!("a leak scan worker stopped: {e}")))??;
        report.rows += rows;
        report.values += values;
        for (k, (row_key, count)) in hits {
            let e = all.entry(k).or_insert((row_key, 0));
            e.1 += count;
        }
    }
    for ((_, table, column, detector), (row_key, count)) in all {
        report.findings.push(DataFinding {
            kind: if detector == "source_value" {
                FindingKind::Leak
            } else {
                FindingKind::Detector
            },
            table,
            column,
            row_key,
            detector: detector.into(),
            count,
            accepted: false,
        });
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Scan one part; returns its rows and values.
///
/// The key columns are not streamed: the row's `ctid` (6 bytes, no text
/// conversion) stands for it, and the key of the few rows that are a
/// finding's first row is read afterwards by `ctid`. That halves what the
/// server converts and sends for a one-column part.
async fn scan_unit(
    c: &Client,
    u: &Unit,
    set: &ValueSet,
    det: &Detectors,
    hits: &mut Hits,
) -> Result<(u64, u64), DataError> {
    let t = &u.table;
    let key: &[String] = &t.primary_key;
    let keyed = !key.is_empty();
    let first = usize::from(keyed);
    let full = t.full_name();
    let mut scratch = Scratch::default();
    let mut values = 0u64;
    // Findings first seen in this part whose row key is still a ctid.
    let mut by_ctid: Vec<(HitKey, (u32, u16))> = Vec::new();
    let rows = stream_columns(c, "target", t, keyed, &u.cols, |n, buf, fields| {
        for (i, f) in fields[first..].iter().enumerate() {
            let Some(v) = field(buf, f) else { continue };
            values += 1;
            let found = if set.hit_with(&v, &mut scratch) {
                Some("source_value")
            } else {
                det.find(&v).map(|d| d.as_str())
            };
            let Some(d) = found else { continue };
            let col = &u.cols[i];
            let k = (u.order, full.clone(), col.clone(), d);
            let e = hits.entry(k.clone()).or_insert_with(|| {
                // A key column's own value is not shown: its row number is.
                match (keyed && !key.contains(col)).then(|| tid(buf, &fields[0])) {
                    Some(Some(at)) => {
                        by_ctid.push((k, at));
                        (String::new(), 0)
                    }
                    _ => (format!("row {n}"), 0),
                }
            });
            e.1 += 1;
        }
    })
    .await?;
    for (k, at) in by_ctid {
        let row_key = key_at(c, t, at).await?;
        if let Some(e) = hits.get_mut(&k) {
            e.0 = row_key;
        }
    }
    Ok((rows, values))
}

/// A binary `tid` field: block (4 bytes) and offset (2 bytes), big-endian.
fn tid(buf: &[u8], f: &(usize, i32)) -> Option<(u32, u16)> {
    let (start, len) = *f;
    let b = buf.get(start..start + usize::try_from(len).ok()?)?;
    match b {
        [b0, b1, b2, b3, o0, o1] => Some((
            u32::from_be_bytes([*b0, *b1, *b2, *b3]),
            u16::from_be_bytes([*o0, *o1]),
        )),
        _ => None,
    }
}

/// The key of the row at `ctid` `at`, as `a,b`; `ctid (block,offset)` when
/// the row has moved since (updated or vacuumed during the scan).
async fn key_at(c: &Client, t: &Table, at: (u32, u16)) -> Result<String, DataError> {
    let cols = t
        .primary_key
        .iter()
        .map(|k| format!("{}::text", ident(k)))
        .collect::<Vec<_>>()
        .join(", ");
    let place = format!("({},{})", at.0, at.1);
    let row = c
        .query_opt(
            &format!(
                "SELECT {cols} FROM {} WHERE ctid = $1::text::tid",
                t.sql_name()
            ),
            &[&place],
        )
        .await
        .map_err(|e| {
            DataError::Unreachable(format!(
                "leak scan of the target {}: reading the key of a finding's row: {}",
                t.full_name(),
                db_message(&e)
            ))
        })?;
    Ok(match row {
        Some(r) => (0..r.len())
            .map(|i| r.get::<_, Option<String>>(i).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(","),
        None => format!("ctid {place}"),
    })
}

/// The smallest group of the quasi-identifier columns of a table in the target.
pub async fn k_anonymity(tgt: &Client, t: &Table, cols: &[String]) -> Result<u64, DataError> {
    let list = cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    let row = tgt
        .query_one(
            &format!(
                "SELECT coalesce(min(n), 0) FROM (SELECT count(*) n FROM {} GROUP BY {list}) s",
                t.sql_name()
            ),
            &[],
        )
        .await
        .map_err(|e| {
            DataError::Unreachable(format!(
                "k-anonymity of {}: {}",
                t.full_name(),
                db_message(&e)
            ))
        })?;
    Ok(row.get::<_, i64>(0) as u64)
}
