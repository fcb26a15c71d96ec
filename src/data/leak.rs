//! The proof of no leak. The source's personal values are streamed once and
//! kept only as keyed 64-bit hashes (SipHash with a key drawn for this scan
//! and never stored) of their normalised form; then every text-like column
//! of every target table is streamed and each value, and each run of words
//! in it of 4 characters or more, is looked up in that set. The detectors
//! run again on every target value. A finding names table, column, row key
//! and detector, never the value.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;
use tokio_postgres::Client;

use super::DataError;
use super::catalog::{Catalog, Table};
use super::conn::ident;
use super::copy::db_message;
use super::detect::Detectors;
use super::rows;
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
    for w in v.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in w.chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
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
        let n = normalise(v);
        if n.is_empty() {
            return false;
        }
        if self.exact.contains(&self.hasher.hash_one(n.as_str())) {
            return true;
        }
        let words: Vec<&str> = n
            .split(' ')
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@'))
            .collect();
        if words.len() < 2 && words.first().is_none_or(|w| *w == n) {
            return false;
        }
        let mut buf = String::new();
        for len in 1..=self.words.min(words.len()) {
            for win in words.windows(len) {
                buf.clear();
                for (i, w) in win.iter().enumerate() {
                    if i > 0 {
                        buf.push(' ');
                    }
                    buf.push_str(w);
                }
                if buf.chars().count() >= MIN_SUBSTRING
                    && self.exact.contains(&self.hasher.hash_one(buf.as_str()))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// Stream `columns` of `t` (plus its key) as decoded text rows.
async fn stream_columns(
    c: &Client,
    side: &str,
    t: &Table,
    key: &[String],
    columns: &[String],
    mut each: impl FnMut(u64, &[Option<String>]),
) -> Result<u64, DataError> {
    let exprs: Vec<String> = key
        .iter()
        .chain(columns)
        .map(|c| format!("{}::text", ident(c)))
        .collect();
    let sql = format!(
        "COPY (SELECT {} FROM {}) TO STDOUT",
        exprs.join(", "),
        t.sql_name()
    );
    let stream = c.copy_out(&sql).await.map_err(|e| {
        DataError::Unreachable(format!(
            "leak scan of the {side} {}: {}",
            t.full_name(),
            db_message(&e)
        ))
    })?;
    futures::pin_mut!(stream);
    let mut carry = Vec::new();
    let mut n = 0u64;
    let mut vals: Vec<Option<String>> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            DataError::Unreachable(format!(
                "leak scan of the {side} {}: {}",
                t.full_name(),
                db_message(&e)
            ))
        })?;
        carry.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(i) = carry[start..].iter().position(|b| *b == b'\n') {
            n += 1;
            vals.clear();
            vals.extend(rows::fields(&carry[start..start + i]).map(rows::decode));
            each(n, &vals);
            start += i + 1;
        }
        carry.drain(..start);
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
        stream_columns(src, "source", t, &[], cols, |_, vals| {
            for v in vals.iter().flatten() {
                set.insert(v);
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

/// Scan every text-like column of every target table.
pub async fn scan_target(
    tgt: &Client,
    cat: &Catalog,
    set: &ValueSet,
) -> Result<LeakReport, DataError> {
    let started = Instant::now();
    let det = Detectors::new();
    let mut report = LeakReport {
        source_values: set.values,
        ..LeakReport::default()
    };
    for t in cat.leaf_tables() {
        let cols: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.is_text())
            .map(|c| c.name.clone())
            .collect();
        if cols.is_empty() {
            continue;
        }
        let key: Vec<String> = t.primary_key.clone();
        let nkey = key.len();
        let mut hits: BTreeMap<(String, &'static str), (String, u64)> = BTreeMap::new();
        let rows = stream_columns(tgt, "target", t, &key, &cols, |n, vals| {
            for (i, v) in vals[nkey..].iter().enumerate() {
                let Some(v) = v else { continue };
                report.values += 1;
                let col = &cols[i];
                let found = if set.hit(v) {
                    Some("source_value")
                } else {
                    det.find(v).map(|d| d.as_str())
                };
                if let Some(d) = found {
                    let in_key = key.contains(col);
                    let row_key = if nkey == 0 || in_key {
                        format!("row {n}")
                    } else {
                        vals[..nkey]
                            .iter()
                            .map(|k| k.clone().unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(",")
                    };
                    hits.entry((col.clone(), d)).or_insert((row_key, 0)).1 += 1;
                }
            }
        })
        .await?;
        report.rows += rows;
        for ((column, detector), (row_key, count)) in hits {
            report.findings.push(DataFinding {
                kind: if detector == "source_value" {
                    FindingKind::Leak
                } else {
                    FindingKind::Detector
                },
                table: t.full_name(),
                column,
                row_key,
                detector: detector.into(),
                count,
                accepted: false,
            });
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
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
    }
}
