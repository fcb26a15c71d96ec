//! Uniqueness under a unique index, resolved once for every table.
//!
//! A deterministic transformer can map two distinct values of a unique
//! column to one output (fakes draw from a finite space). The colliding
//! value is then transformed again with a retry counter. If each table
//! resolved that on its own, a child copied in parallel would not know the
//! parent's retry and its foreign key would point at nothing. So before any
//! row is copied, every transformed column with a unique index is streamed
//! once (in the order of its values, so the result does not depend on the
//! physical row order), its outputs are checked for collisions, and the
//! retries found are kept here. Every table then transforms a value with
//! `attempt = retries(transformer, value)`: a pure function of the value,
//! the key and this table, the same in the parent and all its children.
//!
//! Only hashes are kept: the outputs' during the pass, and the colliding
//! values' (keyed per run) afterwards, never a value in clear.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;

use futures::StreamExt;
use tokio_postgres::Client;

use super::DataError;
use super::catalog::Catalog;
use super::conn::db_message;
use super::conn::ident;
use super::plan::Plan;
use super::rows;
use super::transform::{self, Context, HmacKey, Transformer};

/// Retries after a uniqueness collision before giving up.
pub const MAX_ATTEMPTS: u32 = 16;

/// The retry counter of every value that collided, by transformer.
#[derive(Default)]
pub struct Collisions {
    hasher: RandomState,
    retries: HashMap<u64, u32>,
}

impl std::fmt::Debug for Collisions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Collisions({} values retried)", self.retries.len())
    }
}

/// A transformer's identity for the table: its whole configuration, since
/// two different fakes collide in different places.
pub fn tag(t: &Transformer) -> String {
    format!("{t:?}")
}

impl Collisions {
    fn id(&self, tag: &str, value: &str) -> u64 {
        self.hasher.hash_one((tag, value))
    }

    /// The retry counter for `value` under the transformer `tag` (0 for
    /// nearly every value).
    pub fn attempt(&self, tag: &str, value: &str) -> u32 {
        if self.retries.is_empty() {
            return 0;
        }
        self.retries.get(&self.id(tag, value)).copied().unwrap_or(0)
    }

    /// Values retried.
    pub fn len(&self) -> usize {
        self.retries.len()
    }

    /// No value was retried.
    pub fn is_empty(&self) -> bool {
        self.retries.is_empty()
    }

    /// Feed one value of a unique column through its transformer, with the
    /// outputs seen so far under that transformer in `seen`, recording a
    /// retry when its output is taken. `what` names the column for errors.
    pub fn feed(
        &mut self,
        t: &Transformer,
        tag: &str,
        value: &str,
        key: &HmacKey,
        seen: &mut HashSet<u64>,
        what: &str,
    ) -> Result<(), String> {
        self.feed_with(tag, value, seen, |attempt| {
            let cx = Context {
                key,
                row_key: "",
                unique: true,
                attempt,
                integer: false,
                row: &[],
            };
            transform::apply(t, Some(value), &cx)
                .map_err(|why| format!("{what}: {} cannot transform a value: {why}", t.name()))
        })
        .map_err(|e| {
            if e.is_empty() {
                format!(
                    "{what}: {} gave {MAX_ATTEMPTS} colliding values under the unique index; \
                     use a transformer with a wider output (hmac, or fake on a unique column)",
                    t.name()
                )
            } else {
                e
            }
        })
    }

    /// [`Collisions::feed`] with the transformer as a function of the retry
    /// counter. An empty error means the retries ran out.
    pub fn feed_with(
        &mut self,
        tag: &str,
        value: &str,
        seen: &mut HashSet<u64>,
        transform: impl Fn(u32) -> Result<Option<String>, String>,
    ) -> Result<(), String> {
        let mut attempt = 0;
        loop {
            let Some(out) = transform(attempt)? else {
                return Ok(());
            };
            if seen.insert(self.hasher.hash_one(out.as_str())) {
                break;
            }
            attempt += 1;
            if attempt > MAX_ATTEMPTS {
                return Err(String::new());
            }
        }
        if attempt > 0 {
            let id = self.id(tag, value);
            self.retries.insert(id, attempt);
        }
        Ok(())
    }
}

/// Whether a column's transformer is retried on a collision at all.
fn retried(t: &Transformer) -> bool {
    matches!(
        t,
        Transformer::Hash | Transformer::Hmac | Transformer::Fake { .. }
    )
}

/// A transformed column with its own unique index.
struct UniqueColumn {
    /// The table, quoted for SQL.
    table: String,
    /// The column's name.
    column: String,
    /// `schema.table.column`, for errors.
    what: String,
    transformer: Transformer,
}

/// Stream every transformed column with its own unique index (in the
/// source's snapshot, on `src`) and resolve collisions, per transformer
/// across all such columns so that a value shared by two tables gets one
/// pseudonym in both.
pub async fn resolve(
    src: &Client,
    cat: &Catalog,
    plan: &Plan,
    key: &HmacKey,
) -> Result<Collisions, DataError> {
    let mut groups: BTreeMap<String, Vec<UniqueColumn>> = BTreeMap::new();
    for t in cat.leaf_tables() {
        let full = t.full_name();
        for c in t.copied_columns() {
            let Some(r) = plan.get(&full, &c.name) else {
                continue;
            };
            if t.is_unique(&c.name) && retried(&r.transformer) {
                groups
                    .entry(tag(&r.transformer))
                    .or_default()
                    .push(UniqueColumn {
                        table: t.sql_name(),
                        column: c.name.clone(),
                        what: format!("{full}.{}", c.name),
                        transformer: r.transformer.clone(),
                    });
            }
        }
    }
    let mut col = Collisions::default();
    for (tag, columns) in &groups {
        let mut seen = HashSet::new();
        for u in columns {
            let sql = format!(
                "COPY (SELECT {c}::text FROM {t} WHERE {c} IS NOT NULL ORDER BY 1) TO STDOUT",
                c = ident(&u.column),
                t = u.table
            );
            let fail = |e: tokio_postgres::Error| {
                DataError::Copy(format!(
                    "resolving unique values of {}: {}",
                    u.what,
                    db_message(&e)
                ))
            };
            let stream = src.copy_out(&sql).await.map_err(fail)?;
            futures::pin_mut!(stream);
            let mut lines = rows::Lines::default();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(fail)?;
                lines
                    .feed(&chunk, |line| match rows::decode(line) {
                        Some(v) => col.feed(&u.transformer, tag, &v, key, &mut seen, &u.what),
                        None => Ok(()),
                    })
                    .map_err(DataError::Copy)?;
            }
        }
    }
    Ok(col)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transformer with a tiny output space: the value's length and the
    /// retry counter, so that values of one length collide.
    fn tiny(v: &str, attempt: u32) -> String {
        format!("{}-{attempt}", v.len() % 3)
    }

    #[test]
    fn a_retry_is_shared_by_every_table_that_transforms_the_value() {
        let parent_keys = ["ab", "cd", "efg", "hi", "jklm"];
        let mut sorted = parent_keys.to_vec();
        sorted.sort();
        let mut col = Collisions::default();
        let mut seen = HashSet::new();
        for v in &sorted {
            col.feed_with("tiny", v, &mut seen, |a| Ok(Some(tiny(v, a))))
                .unwrap();
        }
        assert!(!col.is_empty(), "the tiny space must have collided");
        // The parent's outputs, each computed with the shared retry, are
        // distinct under its unique index.
        let parent: Vec<String> = parent_keys
            .iter()
            .map(|v| tiny(v, col.attempt("tiny", v)))
            .collect();
        let distinct: HashSet<&String> = parent.iter().collect();
        assert_eq!(distinct.len(), parent.len(), "{parent:?}");
        // A child copied elsewhere (another worker, in any order) computes
        // the same output for every parent value it references: no orphan.
        let child_refs = ["jklm", "ab", "hi", "hi", "cd", "efg"];
        for v in child_refs.iter().rev() {
            let out = tiny(v, col.attempt("tiny", v));
            assert!(parent.contains(&out), "{v} -> {out} has no parent");
        }
        // Another transformer shares nothing with this one.
        assert_eq!(col.attempt("other", "hi"), 0);
    }

    #[test]
    fn retries_that_run_out_are_an_error() {
        let mut col = Collisions::default();
        let mut seen = HashSet::new();
        col.feed_with("const", "a", &mut seen, |_| Ok(Some("x".into())))
            .unwrap();
        let err = col.feed_with("const", "b", &mut seen, |_| Ok(Some("x".into())));
        assert_eq!(err, Err(String::new()));
    }
}
