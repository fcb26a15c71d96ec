//! The proof of no leak. The source's personal values are streamed once and
//! kept only as keyed 64-bit hashes (SipHash with a key drawn for this scan
//! and never stored) of their normalised form; then every text-like column
//! of every target table is streamed and each value, and each run of words
//! in it of 4 characters or more, is looked up in that set. The detectors
//! run again on every target value. A finding names table, column, row key
//! and detector, never the value.

mod parts;
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
use super::conn::db_message;
use super::conn::ident;
use super::detect::{Detector, Detectors};
use crate::core::data::{DataFinding, FindingKind};
use parts::Part;
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
/// of the rows `filter` keeps, in binary COPY (no escapes to undo); `each`
/// gets the row number, the bytes and the fields (offset, length or -1 for
/// NULL) of each row, read with [`field`]: no allocation per row.
async fn stream_columns(
    c: &Client,
    side: &str,
    t: &Table,
    (ctid, filter): (bool, &str),
    columns: &[String],
    mut each: impl FnMut(u64, &[u8], &[(usize, i32)]),
) -> Result<u64, DataError> {
    let exprs: Vec<String> = ctid
        .then(|| "ctid".to_string())
        .into_iter()
        .chain(columns.iter().map(|c| format!("{}::text", ident(c))))
        .collect();
    let sql = format!(
        "COPY (SELECT {} FROM {}{filter}) TO STDOUT (FORMAT binary)",
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
        let (mut normal, mut keys) = (String::new(), Vec::with_capacity(BATCH));
        stream_columns(src, "source", t, (false, ""), cols, |_, buf, fields| {
            for f in fields {
                if let Some(k) = field(buf, f).and_then(|v| set.key_of(&v, &mut normal)) {
                    keys.push(k);
                }
            }
            if keys.len() >= BATCH {
                set.add(&keys);
                keys.clear();
            }
        })
        .await?;
        set.add(&keys);
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

/// What one part found: (order, table, column, detector) -> (part index,
/// first row key, hits).
type Hits = BTreeMap<HitKey, (usize, String, u64)>;

/// A finding's place: (table order, table, column, detector).
type HitKey = (usize, String, String, &'static str);

/// Scan every text-like column of every target table, `jobs` parts side by
/// side (each on its own connection to `target`; a big table is split
/// into ranges of its heap blocks, see [`parts`]).
pub async fn scan_target(
    target: &Endpoint,
    cat: &Catalog,
    set: Arc<ValueSet>,
    jobs: usize,
) -> Result<LeakReport, DataError> {
    let started = Instant::now();
    let first = target.connect().await?;
    let queue = Arc::new(Mutex::new(VecDeque::from(
        parts::plan(&first, cat, jobs).await?,
    )));
    let det = Arc::new(Detectors::new());
    let mut workers = Vec::new();
    let mut first = Some(first);
    for _ in 0..jobs.max(1) {
        let (queue, det, set, target) = (queue.clone(), det.clone(), set.clone(), target.clone());
        let given = first.take();
        workers.push(tokio::spawn(async move {
            let c = match given {
                Some(c) => c,
                None => target.connect().await?,
            };
            let (mut hits, mut rows, mut values) = (Hits::new(), 0u64, 0u64);
            loop {
                let Some(p) = queue.lock().await.pop_front() else {
                    break;
                };
                let (r, v) = scan_part(&c, &p, &set, &det, &mut hits).await?;
                values += v;
                rows += r;
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
        merge(&mut all, hits);
    }
    for ((_, table, column, detector), (_, row_key, count)) in all {
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

/// Add a worker's `hits` to `all`: counts add up, and the row key is the
/// one of the lowest part (so it does not depend on which worker ran first).
fn merge(all: &mut Hits, hits: Hits) {
    for (k, (part, row_key, count)) in hits {
        let e = all.entry(k).or_insert((usize::MAX, String::new(), 0));
        if part < e.0 {
            (e.0, e.1) = (part, row_key);
        }
        e.2 += count;
    }
}

/// Scan one part; returns its rows and values.
///
/// The key columns are not streamed: the row's `ctid` (6 bytes, no text
/// conversion) stands for it, and the key of the few rows that are a
/// finding's first row is read afterwards by `ctid`. That halves what the
/// server converts and sends for a one-column table. A finding in a key
/// column, or in a table without a key, is placed by its `ctid`; by its
/// row number only in a whole table without a key (no `ctid` streamed).
async fn scan_part(
    c: &Client,
    p: &Part,
    set: &ValueSet,
    det: &Detectors,
    hits: &mut Hits,
) -> Result<(u64, u64), DataError> {
    let t = &p.table;
    let ctid = !t.primary_key.is_empty() || p.blocks.is_some();
    let first = usize::from(ctid);
    let full = t.full_name();
    let mut batch = Batch::default();
    let mut values = 0u64;
    // Findings first seen in this part whose row key is still a ctid.
    let mut by_ctid: Vec<(HitKey, (u32, u16))> = Vec::new();
    let filter = p.filter();
    let mut found = |v: &Pending, d: &'static str| {
        record(p, &full, hits, &mut by_ctid, v, d);
    };
    let rows = stream_columns(
        c,
        "target",
        t,
        (ctid, &filter),
        &p.cols,
        |n, buf, fields| {
            let at = if ctid { tid(buf, &fields[0]) } else { None };
            for (col, f) in fields[first..].iter().enumerate() {
                let Some(v) = field(buf, f) else { continue };
                values += 1;
                let det = det.find(&v);
                batch.push(
                    set,
                    &v,
                    Pending {
                        end: 0,
                        col,
                        n,
                        at,
                        det,
                    },
                );
                if batch.probes.len() >= BATCH {
                    batch.flush(set, &mut found);
                }
            }
        },
    )
    .await?;
    batch.flush(set, &mut found);
    for (k, at) in by_ctid {
        let row_key = key_at(c, t, at).await?;
        if let Some(e) = hits.get_mut(&k) {
            e.1 = row_key;
        }
    }
    Ok((rows, values))
}

/// Lookups gathered before they are made together (see [`ValueSet::each`]).
const BATCH: usize = 256;

/// A value of the target waiting for its lookups.
struct Pending {
    /// Where its probes end in [`Batch::probes`].
    end: usize,
    /// Its column among the part's columns.
    col: usize,
    /// Its row's number in the part, and `ctid` when streamed.
    n: u64,
    at: Option<(u32, u16)>,
    /// What the detectors found in it.
    det: Option<Detector>,
}

/// Values waiting for their lookups in the set of source values.
#[derive(Default)]
struct Batch {
    probes: Vec<u64>,
    hits: Vec<bool>,
    values: Vec<Pending>,
    scratch: Scratch,
}

impl Batch {
    fn push(&mut self, set: &ValueSet, v: &str, mut p: Pending) {
        set.probes(v, &mut self.scratch, &mut self.probes);
        p.end = self.probes.len();
        self.values.push(p);
    }

    /// Look everything up; `found` gets each value that is a source value
    /// (`source_value`) or else that a detector matched.
    fn flush(&mut self, set: &ValueSet, found: &mut impl FnMut(&Pending, &'static str)) {
        set.each(&self.probes, &mut self.hits);
        let mut from = 0;
        for v in self.values.drain(..) {
            let leak = self.hits[from..v.end].iter().any(|h| *h);
            from = v.end;
            if let Some(d) = leak
                .then_some("source_value")
                .or(v.det.map(Detector::as_str))
            {
                found(&v, d);
            }
        }
        self.probes.clear();
    }
}

/// Count a finding `d` of value `v` of part `p` (table `full`), keeping the
/// first row of the lowest part this worker has scanned as its row key.
fn record(
    p: &Part,
    full: &str,
    hits: &mut Hits,
    by_ctid: &mut Vec<(HitKey, (u32, u16))>,
    v: &Pending,
    d: &'static str,
) {
    let key = &p.table.primary_key;
    let col = &p.cols[v.col];
    let k = (p.order, full.to_string(), col.clone(), d);
    let e = hits
        .entry(k.clone())
        .or_insert((usize::MAX, String::new(), 0));
    e.2 += 1;
    if e.0 > p.index {
        e.0 = p.index;
        e.1 = match v.at {
            // A key column's own value is not shown: its place is.
            Some(at) if !key.is_empty() && !key.contains(col) => {
                by_ctid.push((k, at));
                String::new()
            }
            Some((block, offset)) => format!("ctid ({block},{offset})"),
            None => format!("row {}", v.n),
        };
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_hits_add_up_and_keep_the_lowest_parts_row_key() {
        let k = |c: &str| (0, "public.t".to_string(), c.to_string(), "source_value");
        let mut all = Hits::new();
        merge(&mut all, Hits::from([(k("a"), (2, "900".into(), 1))]));
        merge(
            &mut all,
            Hits::from([(k("a"), (0, "3".into(), 2)), (k("b"), (1, "7".into(), 1))]),
        );
        merge(&mut all, Hits::from([(k("a"), (1, "500".into(), 4))]));
        assert_eq!(all[&k("a")], (0, "3".to_string(), 7));
        assert_eq!(all[&k("b")], (1, "7".to_string(), 1));
    }
}
