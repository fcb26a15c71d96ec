//! Scale-up: after the copy, and before the constraints, `scale = N` adds
//! N - 1 synthetic copies of every table's copied (already anonymised)
//! rows, for load tests that need more volume than production has.
//!
//! Each synthetic copy `k` of a row:
//! - shifts its integer keys (primary key or unique index members) by
//!   `k * span` of that key (`max - min + 1` in the target), so new keys
//!   never meet old ones;
//! - shifts a foreign key to such a key by its *parent's* span: the
//!   children of copy `k` point at the parents of copy `k`, so FK fan-out
//!   is exactly the copied one and no row is an orphan;
//! - draws new values for `hmac`, `hash` and `fake` columns from the
//!   transformers' generators, seeded by the keyed hash of (`k`, the copied
//!   pseudonym): a fresh pseudonym, never a source value, the same in every
//!   column that joins on it;
//! - suffixes a text column with its own unique index that is kept (`-k`);
//! - keeps every other value, so distributions are the copied ones.
//!
//! Only whole factors: a fraction of a copy would cut fan-out. The
//! constraints created afterwards check uniqueness and declared foreign
//! keys over the scaled data.

use std::collections::HashMap;

use bytes::{BufMut, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio_postgres::Client;

use super::DataError;
use super::catalog::{Catalog, Table};
use super::conn::db_message;
use super::conn::ident;
use super::plan::Plan;
use super::rows;
use super::transform::{HmacKey, Transformer, fake, keyed};

/// Bytes sent per COPY message.
const BATCH: usize = 256 * 1024;

/// The largest scale factor.
pub const MAX_SCALE: f64 = 100.0;

/// Check a scale factor: a whole number from 1 to [`MAX_SCALE`]. `what`
/// names where it was set.
pub fn whole(scale: f64, what: &str) -> Result<u32, String> {
    if !(1.0..=MAX_SCALE).contains(&scale) || scale.fract() != 0.0 {
        return Err(format!(
            "{what} = {scale}: must be a whole number from 1 to {MAX_SCALE} \
             (synthetic rows come in whole copies so that FK fan-out holds), e.g. 2"
        ));
    }
    Ok(scale as u32)
}

/// What happens to one column in the synthetic copies.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnScale {
    /// Copied as is.
    Keep,
    /// An integer key: plus `k * span`.
    Shift(i64),
    /// A new value from the transformer's generator.
    Regenerate(Transformer, bool),
    /// A kept unique text: `-k` appended.
    Suffix,
}

/// The table whose keys a table's rows live under: the partition root, or
/// itself.
fn owner<'a>(cat: &'a Catalog, t: &'a Table) -> &'a Table {
    t.root.as_deref().and_then(|r| cat.table(r)).unwrap_or(t)
}

/// Whether `col` is a member of the table's primary key or a unique index.
fn in_key(t: &Table, col: &str) -> bool {
    t.primary_key.iter().any(|c| c == col) || t.unique.iter().any(|u| u.iter().any(|c| c == col))
}

/// The spans of every integer key column in the target, by
/// (`schema.table`, column).
async fn spans(tgt: &Client, cat: &Catalog) -> Result<HashMap<(String, String), i64>, DataError> {
    let mut out = HashMap::new();
    for t in cat.tables.iter().filter(|t| t.root.is_none()) {
        for c in t
            .columns
            .iter()
            .filter(|c| c.is_integer() && in_key(t, &c.name))
        {
            let row = tgt
                .query_one(
                    &format!(
                        "SELECT coalesce(max({c}) - min({c}) + 1, 1)::int8 FROM {}",
                        t.sql_name(),
                        c = ident(&c.name)
                    ),
                    &[],
                )
                .await
                .map_err(|e| {
                    DataError::Copy(format!(
                        "scaling {}: the span of {}: {}",
                        t.full_name(),
                        c.name,
                        db_message(&e)
                    ))
                })?;
            out.insert((t.full_name(), c.name.clone()), row.get::<_, i64>(0).max(1));
        }
    }
    Ok(out)
}

/// What each copied column of `t` becomes, without following foreign keys.
fn own_scale(
    cat: &Catalog,
    t: &Table,
    col: &str,
    plan: &Plan,
    spans: &HashMap<(String, String), i64>,
) -> ColumnScale {
    let o = owner(cat, t);
    if let Some(span) = spans.get(&(o.full_name(), col.to_string())) {
        return ColumnScale::Shift(*span);
    }
    let resolved = plan
        .get(&t.full_name(), col)
        .or_else(|| plan.get(&o.full_name(), col));
    if let Some(r) = resolved
        && matches!(
            r.transformer,
            Transformer::Hmac | Transformer::Hash | Transformer::Fake { .. }
        )
    {
        return ColumnScale::Regenerate(r.transformer.clone(), r.unique || o.is_unique(col));
    }
    if o.is_unique(col) && t.column(col).is_some_and(|c| c.category == 'S') {
        return ColumnScale::Suffix;
    }
    ColumnScale::Keep
}

/// What each copied column of `t` becomes: a foreign key column does what
/// its parent's column does, so joins land on the same synthetic copy.
pub fn table_scale(
    cat: &Catalog,
    t: &Table,
    plan: &Plan,
    spans: &HashMap<(String, String), i64>,
) -> Result<Vec<ColumnScale>, DataError> {
    let o = owner(cat, t);
    let mut out = Vec::new();
    for c in t.copied_columns() {
        let fk = t.foreign_keys.iter().chain(&o.foreign_keys).find_map(|fk| {
            let i = fk.columns.iter().position(|x| *x == c.name)?;
            Some((fk.parent.clone(), fk.parent_columns.get(i)?.clone()))
        });
        let scale = match fk.and_then(|(p, pc)| cat.table(&p).map(|pt| (pt, pc))) {
            Some((pt, pc)) => own_scale(cat, pt, &pc, plan, spans),
            None => own_scale(cat, t, &c.name, plan, spans),
        };
        out.push(scale);
    }
    // Every unique index must change in the copies, or they would collide.
    for u in o.unique.iter().chain(std::iter::once(&o.primary_key)) {
        if u.is_empty() {
            continue;
        }
        let changes = u.iter().any(|k| {
            t.copied_columns()
                .position(|c| c.name == *k)
                .is_some_and(|i| out[i] != ColumnScale::Keep)
        });
        if !changes {
            return Err(DataError::Usage(format!(
                "scale: {} has a unique key ({}) that synthetic rows cannot renew \
                 (only integer keys, text keys and hmac/hash/fake columns can); \
                 set scale = 1 or transform one of its columns with hmac",
                t.full_name(),
                u.join(", ")
            )));
        }
    }
    Ok(out)
}

/// A new value for synthetic copy `k` of a transformed `value`.
pub fn regenerate(t: &Transformer, unique: bool, value: &str, k: u32, key: &HmacKey) -> String {
    let round = k.to_le_bytes();
    match t {
        Transformer::Fake { kind } => {
            let seed = key.mac(&[b"scale-fake:", &round, value.as_bytes()]);
            fake::fake(*kind, &seed, unique)
        }
        _ => keyed::hex(&key.mac(&[b"scale:", &round, value.as_bytes()])[..16]),
    }
}

/// One synthetic copy `k` of a text-format row, appended to `out`.
fn scaled_row(
    line: &[u8],
    cols: &[ColumnScale],
    k: u32,
    key: &HmacKey,
    out: &mut BytesMut,
) -> Result<(), String> {
    for (i, f) in rows::fields(line).enumerate() {
        if i > 0 {
            out.put_u8(b'\t');
        }
        let how = cols.get(i).unwrap_or(&ColumnScale::Keep);
        if f == b"\\N" || *how == ColumnScale::Keep {
            out.put_slice(f);
            continue;
        }
        let mut buf = Vec::new();
        match how {
            ColumnScale::Keep => {}
            ColumnScale::Shift(span) => {
                let v: i64 = std::str::from_utf8(f)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or("an integer key is not an integer")?;
                let n = i64::from(k)
                    .checked_mul(*span)
                    .and_then(|d| v.checked_add(d))
                    .ok_or("the shifted key leaves the 64-bit range")?;
                buf.extend_from_slice(n.to_string().as_bytes());
            }
            ColumnScale::Regenerate(t, unique) => {
                let v = rows::decode(f).unwrap_or_default();
                rows::encode(Some(&regenerate(t, *unique, &v, k, key)), &mut buf);
            }
            ColumnScale::Suffix => {
                let v = rows::decode(f).unwrap_or_default();
                rows::encode(Some(&format!("{v}-{k}")), &mut buf);
            }
        }
        out.put_slice(&buf);
    }
    out.put_u8(b'\n');
    Ok(())
}

/// Add `factor - 1` synthetic copies of every leaf table's rows in the
/// target (`read` and `write` are two connections to it). Returns the rows
/// added per `schema.table`.
pub async fn scale(
    read: &Client,
    write: &Client,
    cat: &Catalog,
    plan: &Plan,
    key: &HmacKey,
    factor: u32,
) -> Result<Vec<(String, u64)>, DataError> {
    let mut added = Vec::new();
    if factor <= 1 {
        return Ok(added);
    }
    let spans = spans(write, cat).await?;
    for t in cat.leaf_tables() {
        let how = table_scale(cat, t, plan, &spans)?;
        let full = t.full_name();
        let list = t
            .copied_columns()
            .map(|c| ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let fail = |what: &str, e: tokio_postgres::Error| {
            DataError::Copy(format!("scaling {full}: {what}: {}", db_message(&e)))
        };
        // Into the partition root, which routes rows whose key moved.
        let into = owner(cat, t).sql_name();
        let stream = read
            .copy_out(&format!("COPY {} ({list}) TO STDOUT", t.sql_name()))
            .await
            .map_err(|e| fail("reading the copied rows", e))?;
        let sink = write
            .copy_in(&format!("COPY {into} ({list}) FROM STDIN"))
            .await
            .map_err(|e| fail("writing the synthetic rows", e))?;
        futures::pin_mut!(stream, sink);
        let mut lines = rows::Lines::default();
        let mut out = BytesMut::with_capacity(BATCH + 64 * 1024);
        let mut row = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| fail("reading the copied rows", e))?;
            lines
                .feed(&chunk, |line| {
                    row += 1;
                    for k in 1..factor {
                        scaled_row(line, &how, k, key, &mut out)
                            .map_err(|m| format!("scaling {full}: row {row}: {m}"))?;
                    }
                    Ok(())
                })
                .map_err(DataError::Copy)?;
            if out.len() >= BATCH {
                sink.send(out.split().freeze())
                    .await
                    .map_err(|e| fail("writing the synthetic rows", e))?;
            }
        }
        if !out.is_empty() {
            sink.send(out.split().freeze())
                .await
                .map_err(|e| fail("writing the synthetic rows", e))?;
        }
        let n = sink
            .as_mut()
            .finish()
            .await
            .map_err(|e| fail("finishing the synthetic rows", e))?;
        added.push((full, n));
    }
    Ok(added)
}

/// Move every sequence owned by a scaled integer key past the synthetic
/// keys, so that the next insert does not collide.
pub async fn bump_sequences(tgt: &Client, cat: &Catalog) -> Result<(), DataError> {
    for t in cat.tables.iter().filter(|t| t.root.is_none()) {
        for c in t
            .columns
            .iter()
            .filter(|c| c.is_integer() && in_key(t, &c.name))
        {
            let sql = format!(
                "SELECT setval(s, (SELECT max({c}) FROM {tb})) \
                 FROM pg_get_serial_sequence($1, $2) s WHERE s IS NOT NULL \
                 AND (SELECT max({c}) FROM {tb}) IS NOT NULL",
                c = ident(&c.name),
                tb = t.sql_name()
            );
            tgt.query(&sql, &[&t.sql_name(), &c.name])
                .await
                .map_err(|e| {
                    DataError::Copy(format!(
                        "scaling {}: moving the sequence of {}: {}",
                        t.full_name(),
                        c.name,
                        db_message(&e)
                    ))
                })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::transform::FakeKind;

    #[test]
    fn only_whole_factors() {
        assert_eq!(whole(2.0, "scale"), Ok(2));
        assert_eq!(whole(1.0, "scale"), Ok(1));
        for bad in [0.5, 2.5, 0.0, 101.0, f64::NAN] {
            let e = whole(bad, "data.scale").unwrap_err();
            assert!(e.contains("data.scale"), "{e}");
        }
    }

    #[test]
    fn a_synthetic_row_shifts_keys_renews_pseudonyms_and_keeps_the_rest() {
        let key = HmacKey::new(&crate::secrets::Secret::new("k"));
        let cols = [
            ColumnScale::Shift(1000),
            ColumnScale::Regenerate(Transformer::Hmac, false),
            ColumnScale::Keep,
            ColumnScale::Suffix,
        ];
        let line = b"7\tabcdef\tLyon\tsku-1";
        let mut a = BytesMut::new();
        scaled_row(line, &cols, 1, &key, &mut a).unwrap();
        let mut b = BytesMut::new();
        scaled_row(line, &cols, 2, &key, &mut b).unwrap();
        let a = String::from_utf8(a.to_vec()).unwrap();
        let b = String::from_utf8(b.to_vec()).unwrap();
        let fa: Vec<&str> = a.trim_end().split('\t').collect();
        let fb: Vec<&str> = b.trim_end().split('\t').collect();
        assert_eq!((fa[0], fb[0]), ("1007", "2007"));
        assert_eq!(fa[1].len(), 32);
        assert_ne!(fa[1], "abcdef");
        assert_ne!(fa[1], fb[1]);
        // The same pseudonym in another column that joins on it.
        assert_eq!(
            fa[1],
            regenerate(&Transformer::Hmac, false, "abcdef", 1, &key)
        );
        assert_eq!((fa[2], fa[3]), ("Lyon", "sku-1-1"));
        // NULL stays NULL.
        let mut n = BytesMut::new();
        scaled_row(b"\\N\t\\N\tx\t\\N", &cols, 1, &key, &mut n).unwrap();
        assert_eq!(&n[..], b"\\N\t\\N\tx\t\\N\n");
        // Fakes stay valid values of their kind.
        let email = regenerate(
            &Transformer::Fake {
                kind: FakeKind::Email,
            },
            true,
            "a@example.com",
            1,
            &key,
        );
        assert!(email.ends_with("@example.com"), "{email}");
    }
}
