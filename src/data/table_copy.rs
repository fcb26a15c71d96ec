//! One table's rows from the source's COPY to the target's COPY, streamed:
//! untouched fields pass through as bytes, transformed fields are decoded,
//! transformed and encoded again; memory holds one batch, whatever the
//! table's size.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::time::Instant;

use bytes::{BufMut, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio_postgres::Client;

use super::DataError;
use super::catalog::Table;
use super::conn::ident;
use super::plan::Plan;
use super::rows;
use super::transform::{self, Context, HmacKey, Transformer};
use crate::core::data::TableCopied;

/// Bytes sent to the target per COPY message.
const BATCH: usize = 256 * 1024;
/// Retries after a uniqueness collision before giving up.
const MAX_ATTEMPTS: u32 = 16;

/// A transformed column of this table.
struct Step {
    index: usize,
    wide: bool,
    name: String,
    transformer: Transformer,
    unique: Option<HashSet<u64>>,
    integer: bool,
}

/// Progress within a table: rows so far.
pub type OnRows<'a> = &'a (dyn Fn(u64) + Send + Sync);

/// Copy one table. `on_rows` hears about progress about once a second.
pub async fn copy_table(
    src: &Client,
    tgt: &Client,
    table: &Table,
    plan: &Plan,
    key: Option<&HmacKey>,
    on_rows: OnRows<'_>,
) -> Result<TableCopied, DataError> {
    let started = Instant::now();
    let full = table.full_name();
    let cols: Vec<_> = table.copied_columns().collect();
    let list = cols
        .iter()
        .map(|c| ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut steps: Vec<Step> = cols
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let r = plan.get(&full, &c.name)?;
            (r.transformer != Transformer::Keep).then(|| Step {
                index: i,
                wide: r.unique,
                name: c.name.clone(),
                transformer: r.transformer.clone(),
                unique: table.is_unique(&c.name).then(HashSet::new),
                integer: c.is_integer(),
            })
        })
        .collect();
    // Templates read the other columns' final values: they go last.
    steps.sort_by_key(|s| matches!(s.transformer, Transformer::Template { .. }));
    let key_cols: Vec<usize> = table
        .primary_key
        .iter()
        .filter_map(|k| cols.iter().position(|c| &c.name == k))
        .collect();
    // A key that is itself transformed is personal: name rows by number.
    let key_by_number = key_cols.is_empty() || steps.iter().any(|s| key_cols.contains(&s.index));
    let fail = |what: &str, e: tokio_postgres::Error| {
        DataError::Copy(format!("copying {full}: {what}: {}", db_message(&e)))
    };
    let stream = src
        .copy_out(&format!("COPY {} ({list}) TO STDOUT", table.sql_name()))
        .await
        .map_err(|e| fail("reading the source", e))?;
    let sink = tgt
        .copy_in(&format!("COPY {} ({list}) FROM STDIN", table.sql_name()))
        .await
        .map_err(|e| fail("writing the target", e))?;
    futures::pin_mut!(stream, sink);
    let fallback = HmacKey::new(&crate::secrets::Secret::new(""));
    let key = key.unwrap_or(&fallback);
    let hasher = std::collections::hash_map::RandomState::new();
    let mut out = BytesMut::with_capacity(BATCH + 64 * 1024);
    let mut carry: Vec<u8> = Vec::new();
    let mut row_buf: Vec<u8> = Vec::new();
    let (mut rows_seen, mut bytes) = (0u64, 0u64);
    let mut last_report = Instant::now();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fail("reading the source", e))?;
        if steps.is_empty() {
            rows_seen += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            out.put_slice(&chunk);
        } else {
            carry.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(n) = carry[start..].iter().position(|b| *b == b'\n') {
                let line = &carry[start..start + n];
                rows_seen += 1;
                row_buf.clear();
                transform_row(
                    line,
                    &mut steps,
                    &key_cols,
                    key_by_number,
                    rows_seen,
                    key,
                    &hasher,
                    &cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
                    &mut row_buf,
                )
                .map_err(|m| DataError::Copy(format!("copying {full}: {m}")))?;
                out.put_slice(&row_buf);
                out.put_u8(b'\n');
                start += n + 1;
            }
            carry.drain(..start);
        }
        if out.len() >= BATCH {
            bytes += out.len() as u64;
            sink.send(out.split().freeze())
                .await
                .map_err(|e| fail("writing the target", e))?;
        }
        if last_report.elapsed().as_secs() >= 1 {
            on_rows(rows_seen);
            last_report = Instant::now();
        }
    }
    if !out.is_empty() {
        bytes += out.len() as u64;
        sink.send(out.split().freeze())
            .await
            .map_err(|e| fail("writing the target", e))?;
    }
    let rows = sink
        .as_mut()
        .finish()
        .await
        .map_err(|e| fail("finishing the target's COPY", e))?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(TableCopied {
        table: full,
        rows,
        bytes,
        seconds,
        rows_per_sec: if seconds > 0.0 {
            rows as f64 / seconds
        } else {
            0.0
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn transform_row(
    line: &[u8],
    steps: &mut [Step],
    key_cols: &[usize],
    key_by_number: bool,
    row_no: u64,
    key: &HmacKey,
    hasher: &std::collections::hash_map::RandomState,
    names: &[&str],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let fields: Vec<&[u8]> = rows::fields(line).collect();
    let row_key = if key_by_number {
        format!("row {row_no}")
    } else {
        key_cols
            .iter()
            .map(|i| {
                fields
                    .get(*i)
                    .and_then(|f| rows::decode(f))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut outputs: Vec<Option<Option<String>>> = vec![None; fields.len()];
    let has_template = steps
        .iter()
        .any(|s| matches!(s.transformer, Transformer::Template { .. }));
    for si in 0..steps.len() {
        let s = &steps[si];
        let raw = fields.get(s.index).copied().unwrap_or(b"\\N");
        let value = rows::decode(raw);
        let row_view: Vec<(&str, Option<String>)> = if has_template {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let v = match &outputs[i] {
                        Some(o) => o.clone(),
                        None => fields.get(i).and_then(|f| rows::decode(f)),
                    };
                    (*n, v)
                })
                .collect()
        } else {
            Vec::new()
        };
        let view: Vec<(&str, Option<&str>)> =
            row_view.iter().map(|(n, v)| (*n, v.as_deref())).collect();
        let mut attempt = 0;
        let result = loop {
            let cx = Context {
                key,
                row_key: &row_key,
                unique: s.wide || s.unique.is_some(),
                attempt,
                integer: s.integer,
                row: &view,
            };
            let r = transform::apply(&s.transformer, value.as_deref(), &cx).map_err(|why| {
                format!(
                    "column {} row key {row_key}: {} cannot transform the value: {why}",
                    s.name,
                    s.transformer.name()
                )
            })?;
            let Some(set) = &steps[si].unique else {
                break r;
            };
            let Some(v) = &r else { break r };
            if !set.contains(&hasher.hash_one(v)) {
                break r;
            }
            attempt += 1;
            if attempt > MAX_ATTEMPTS {
                return Err(format!(
                    "column {} row key {row_key}: {} gave {MAX_ATTEMPTS} colliding values under the unique index",
                    s.name,
                    s.transformer.name()
                ));
            }
        };
        if let (Some(set), Some(v)) = (&mut steps[si].unique, &result) {
            set.insert(hasher.hash_one(v));
        }
        outputs[steps[si].index] = Some(result);
    }
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match &outputs[i] {
            Some(v) => rows::encode(v.as_deref(), out),
            None => out.extend_from_slice(f),
        }
    }
    Ok(())
}

/// A database error's message without the values PostgreSQL quotes in it
/// (`Key (email)=(...)`, `"..."`), so that no value reaches a log.
pub fn db_message(e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    for c in text.chars() {
        if c == '"' {
            in_quote = !in_quote;
            out.push_str(if in_quote { "\"…" } else { "\"" });
        } else if !in_quote {
            out.push(c);
        }
    }
    out
}
