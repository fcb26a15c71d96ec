//! The proof of no leak. The source's personal values are streamed once and
//! kept only as keyed 64-bit hashes (SipHash with a key drawn for this scan
//! and never stored) of their normalised form; then every text-like column
//! of every target table is streamed and each value, and each run of words
//! in it of 4 characters or more, is looked up in that set. The detectors
//! run again on every target value. A finding names table, column, row key
//! and detector, never the value.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::BuildHasher;
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

/// Longest run of words looked up inside free text.
const MAX_WORDS: usize = 4;
/// Shortest value looked up as a substring of free text.
const MIN_SUBSTRING: usize = 4;

/// The keyed set of the source's personal values.
pub struct ValueSet {
    hasher: RandomState,
    exact: HashSet<u64>,
    words: usize,
    /// Values hashed.
    pub values: u64,
}

/// Lower case, whitespace collapsed, trimmed.
pub fn normalise(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    normalise_into(v, &mut out);
    out
}

/// [`normalise`] into a buffer kept across values.
fn normalise_into(v: &str, out: &mut String) {
    out.clear();
    for w in v.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if w.is_ascii() {
            out.extend(w.bytes().map(|b| b.to_ascii_lowercase() as char));
        } else {
            for c in w.chars() {
                out.extend(c.to_lowercase());
            }
        }
    }
}

/// Whether `v` is its own normal form (ASCII, no capitals, no whitespace),
/// the common case of a transformed value, which then needs no copy.
fn already_normal(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && !b.is_ascii_whitespace())
}

/// Buffers one scanner keeps across values, so that a value costs no
/// allocation.
#[derive(Default)]
pub struct Scratch {
    normal: String,
    window: String,
    words: Vec<(usize, usize)>,
}

impl ValueSet {
    fn new() -> ValueSet {
        ValueSet {
            hasher: RandomState::new(),
            exact: HashSet::new(),
            words: 1,
            values: 0,
        }
    }

    fn insert(&mut self, v: &str) {
        let n = normalise(v);
        if n.is_empty() {
            return;
        }
        self.words = self.words.max(n.split(' ').count().min(MAX_WORDS));
        self.exact.insert(self.hasher.hash_one(n.as_str()));
        self.values += 1;
    }

    /// Whether `v` (whole, or a run of its words) is a source value.
    pub fn hit(&self, v: &str) -> bool {
        self.hit_with(v, &mut Scratch::default())
    }

    /// [`ValueSet::hit`] with buffers kept across values.
    pub fn hit_with(&self, v: &str, s: &mut Scratch) -> bool {
        if already_normal(v) {
            if self.exact.contains(&self.hasher.hash_one(v)) {
                return true;
            }
            // One word: inside it only itself trimmed of punctuation.
            let t = trim_word(v);
            return t.len() != v.len()
                && t.chars().count() >= MIN_SUBSTRING
                && self.exact.contains(&self.hasher.hash_one(t));
        }
        normalise_into(v, &mut s.normal);
        let n = s.normal.as_str();
        if n.is_empty() {
            return false;
        }
        if self.exact.contains(&self.hasher.hash_one(n)) {
            return true;
        }
        s.words.clear();
        let mut at = 0;
        for w in n.split(' ') {
            let t = trim_word(w);
            let start = at + w.find(t).unwrap_or(0);
            s.words.push((start, start + t.len()));
            at += w.len() + 1;
        }
        if s.words.len() < 2 && s.words.first().is_none_or(|(a, b)| b - a == n.len()) {
            return false;
        }
        for len in 1..=self.words.min(s.words.len()) {
            for win in s.words.windows(len) {
                s.window.clear();
                for (i, (a, b)) in win.iter().enumerate() {
                    if i > 0 {
                        s.window.push(' ');
                    }
                    s.window.push_str(&n[*a..*b]);
                }
                if s.window.chars().count() >= MIN_SUBSTRING
                    && self
                        .exact
                        .contains(&self.hasher.hash_one(s.window.as_str()))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// A word without the punctuation around it (an `@` stays: it is part of
/// an address).
fn trim_word(w: &str) -> &str {
    w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@')
}

/// A field of a row: None for NULL; lossy only for invalid UTF-8 (a
/// database in another encoding), borrowed otherwise.
fn field<'a>(buf: &'a [u8], f: &(usize, i32)) -> Option<std::borrow::Cow<'a, str>> {
    let (start, len) = *f;
    (len >= 0).then(|| String::from_utf8_lossy(&buf[start..start + len as usize]))
}

/// Stream `columns` of `t` (plus its key) as text, in binary COPY (no
/// escapes to undo); `each` gets the row number, the bytes and the fields
/// (offset, length or -1 for NULL) of each row, read with [`field`]: no
/// allocation per row.
async fn stream_columns(
    c: &Client,
    side: &str,
    t: &Table,
    key: &[String],
    columns: &[String],
    mut each: impl FnMut(u64, &[u8], &[(usize, i32)]),
) -> Result<u64, DataError> {
    let exprs: Vec<String> = key
        .iter()
        .chain(columns)
        .map(|c| format!("{}::text", ident(c)))
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
    for (table, cols) in columns {
        let Some(t) = cat.table(table) else { continue };
        stream_columns(src, "source", t, &[], cols, |_, buf, fields| {
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
type Hits = BTreeMap<(usize, String, String, &'static str), (String, u64)>;

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
async fn scan_unit(
    c: &Client,
    u: &Unit,
    set: &ValueSet,
    det: &Detectors,
    hits: &mut Hits,
) -> Result<(u64, u64), DataError> {
    let t = &u.table;
    let key: &[String] = &t.primary_key;
    let nkey = key.len();
    let full = t.full_name();
    let mut scratch = Scratch::default();
    let mut values = 0u64;
    let rows = stream_columns(c, "target", t, key, &u.cols, |n, buf, fields| {
        for (i, f) in fields[nkey..].iter().enumerate() {
            let Some(v) = field(buf, f) else { continue };
            values += 1;
            let found = if set.hit_with(&v, &mut scratch) {
                Some("source_value")
            } else {
                det.find(&v).map(|d| d.as_str())
            };
            let Some(d) = found else { continue };
            let col = &u.cols[i];
            let row_key = if nkey == 0 || key.contains(col) {
                format!("row {n}")
            } else {
                fields[..nkey]
                    .iter()
                    .map(|k| field(buf, k).unwrap_or_default().into_owned())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            hits.entry((u.order, full.clone(), col.clone(), d))
                .or_insert((row_key, 0))
                .1 += 1;
        }
    })
    .await?;
    Ok((rows, values))
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
    fn finds_exact_normalised_and_inside_free_text() {
        let mut s = ValueSet::new();
        s.insert("Ann  Smith");
        s.insert("ann@corp.io");
        s.insert("Bo");
        assert!(s.hit("ann smith"));
        assert!(s.hit(" ANN@CORP.IO "));
        assert!(s.hit("Called Ann Smith about the refund."));
        assert!(s.hit("mail sent to ann@corp.io, no answer"));
        assert!(s.hit("bo"));
        // Short values only match whole.
        assert!(!s.hit("bo went home"));
        assert!(!s.hit("Annie Smithers"));
        // One word with punctuation around it, and a value already normal.
        assert!(s.hit("(ann@corp.io)"));
        assert!(s.hit("ann@corp.io"));
        assert!(!s.hit("ann@corp.iox"));
        let mut scratch = Scratch::default();
        for v in ["Ann Smith", "x", "ANN SMITH!", "ann smith"] {
            assert_eq!(s.hit_with(v, &mut scratch), s.hit(v), "{v}");
        }
    }
}
