//! One table's rows from the source's COPY to the target's COPY, streamed:
//! untouched fields pass through as bytes, transformed fields are decoded,
//! transformed and encoded again; memory holds one batch, whatever the
//! table's size. Binary COPY where the table allows it
//! ([`super::binary_copy`]), text otherwise.

use std::time::Instant;

use bytes::{BufMut, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio_postgres::Client;

use super::DataError;
use super::binary_copy;
use super::catalog::Table;
use super::collisions::{self, Collisions};
use super::conn::{db_message, ident};
use super::copy_step::{OnRows, Step};
use super::plan::Plan;
use super::rows;
use super::transform::{self, Context, HmacKey, Transformer};
use crate::core::data::TableCopied;

/// Bytes sent to the target per COPY message.
const BATCH: usize = 256 * 1024;

/// Copy one table. `on_rows` hears about progress about once a second.
pub async fn copy_table(
    src: &Client,
    tgt: &Client,
    table: &Table,
    plan: &Plan,
    key: Option<&HmacKey>,
    collisions: &Collisions,
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
                unique: r.unique || table.is_unique(&c.name),
                name: c.name.clone(),
                tag: collisions::tag(&r.transformer),
                transformer: r.transformer.clone(),
                integer: c.is_integer(),
            })
        })
        .collect();
    // Templates read the other columns' final values: they go last.
    steps.sort_by_key(|s| matches!(s.transformer, Transformer::Template { .. }));
    let fallback = HmacKey::new(&crate::secrets::Secret::new(""));
    let key = key.unwrap_or(&fallback);
    let (rows, bytes) = if binary_copy::eligible(&cols, &steps) {
        let c = binary_copy::copy(
            src,
            tgt,
            &full,
            &table.sql_name(),
            &list,
            cols.len(),
            &steps,
            key,
            collisions,
            on_rows,
        )
        .await?;
        (c.rows, c.bytes)
    } else {
        let key_cols: Vec<usize> = table
            .primary_key
            .iter()
            .filter_map(|k| cols.iter().position(|c| &c.name == k))
            .collect();
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        let text = TextTable {
            full: &full,
            sql_name: table.sql_name(),
            list: &list,
            // A key that is itself transformed is personal: name rows by number.
            key_by_number: key_cols.is_empty() || steps.iter().any(|s| key_cols.contains(&s.index)),
            key_cols,
            names,
        };
        text.copy(src, tgt, &steps, key, collisions, on_rows)
            .await?
    };
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

/// A table copied in COPY's text format (any types, any transformers).
struct TextTable<'a> {
    full: &'a str,
    sql_name: String,
    list: &'a str,
    key_cols: Vec<usize>,
    key_by_number: bool,
    names: Vec<&'a str>,
}

impl TextTable<'_> {
    async fn copy(
        &self,
        src: &Client,
        tgt: &Client,
        steps: &[Step],
        key: &HmacKey,
        collisions: &Collisions,
        on_rows: OnRows<'_>,
    ) -> Result<(u64, u64), DataError> {
        let full = self.full;
        let fail = |what: &str, e: tokio_postgres::Error| {
            DataError::Copy(format!("copying {full}: {what}: {}", db_message(&e)))
        };
        let (sql_name, list) = (&self.sql_name, self.list);
        let stream = src
            .copy_out(&format!("COPY {sql_name} ({list}) TO STDOUT"))
            .await
            .map_err(|e| fail("reading the source", e))?;
        let sink = tgt
            .copy_in(&format!("COPY {sql_name} ({list}) FROM STDIN"))
            .await
            .map_err(|e| fail("writing the target", e))?;
        futures::pin_mut!(stream, sink);
        let mut out = BytesMut::with_capacity(BATCH + 64 * 1024);
        let mut lines = rows::Lines::default();
        let mut row_buf: Vec<u8> = Vec::new();
        let (mut rows_seen, mut bytes) = (0u64, 0u64);
        let mut last_report = Instant::now();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| fail("reading the source", e))?;
            if steps.is_empty() {
                rows_seen += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                out.put_slice(&chunk);
            } else {
                lines
                    .feed(&chunk, |line| {
                        rows_seen += 1;
                        row_buf.clear();
                        self.transform_row(line, steps, rows_seen, key, collisions, &mut row_buf)?;
                        out.put_slice(&row_buf);
                        out.put_u8(b'\n');
                        Ok(())
                    })
                    .map_err(|m: String| DataError::Copy(format!("copying {full}: {m}")))?;
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
        Ok((rows, bytes))
    }

    fn transform_row(
        &self,
        line: &[u8],
        steps: &[Step],
        row_no: u64,
        key: &HmacKey,
        collisions: &Collisions,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let fields: Vec<&[u8]> = rows::fields(line).collect();
        // Noise and shift_dates read the row key, and only they and generalise
        // can fail on a value (their errors name the key); the others skip it.
        let needs_key = steps.iter().any(|s| {
            matches!(
                s.transformer,
                Transformer::Noise { .. }
                    | Transformer::ShiftDates { .. }
                    | Transformer::Generalise { .. }
            )
        });
        let row_key = if self.key_by_number || !needs_key {
            format!("row {row_no}")
        } else {
            self.key_cols
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
        for s in steps {
            let raw = fields.get(s.index).copied().unwrap_or(b"\\N");
            let value = rows::decode(raw);
            let row_view: Vec<(&str, Option<String>)> = if has_template {
                self.names
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
            let attempt = match (&value, s.unique) {
                (Some(v), true) => collisions.attempt(&s.tag, v),
                _ => 0,
            };
            let cx = Context {
                key,
                row_key: &row_key,
                unique: s.unique,
                attempt,
                integer: s.integer,
                row: &view,
            };
            let result =
                transform::apply(&s.transformer, value.as_deref(), &cx).map_err(|why| {
                    format!(
                        "column {} row key {row_key}: {} cannot transform the value: {why}",
                        s.name,
                        s.transformer.name()
                    )
                })?;
            outputs[s.index] = Some(result);
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
}
