//! How the leak scan divides the target into parts that run side by side.
//!
//! A big table is split by ranges of its heap blocks (`WHERE ctid >= '(a,0)'
//! AND ctid < '(b,0)'`, a TID range scan since PostgreSQL 14), so that every
//! row is read once in all, whereas a split by column would make each part
//! read the whole heap again. On a server before 14 the range is a filter on
//! a sequential scan: still correct, only as slow as reading the table once
//! per part. The last range is open-ended, so rows written after the sizes
//! were read are scanned too.

use tokio_postgres::Client;

use super::super::DataError;
use super::super::catalog::{Catalog, Table};
use super::super::conn::db_message;

/// Tables of this many heap blocks (8 kB pages, about 100,000 short rows) or
/// more are split into block ranges.
const SPLIT_BLOCKS: u64 = 1024;

/// A part of the scan: the text columns of one table, whole or a range of
/// its heap blocks.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Part {
    /// Its table's place in the catalog (findings come out in that order).
    pub order: usize,
    pub table: Table,
    pub cols: Vec<String>,
    /// Heap blocks `[from, to)` (`to` None: to the end); None: the whole table.
    pub blocks: Option<(u64, Option<u64>)>,
    /// Its place among its table's parts: a finding's first row key comes
    /// from the lowest.
    pub index: usize,
    /// Blocks it covers (the biggest parts go first).
    pub size: u64,
}

impl Part {
    /// The `WHERE` clause of its rows (empty for a whole table).
    pub fn filter(&self) -> String {
        match self.blocks {
            None => String::new(),
            Some((from, None)) => format!(" WHERE ctid >= '({from},0)'::tid"),
            Some((from, Some(to))) => {
                format!(" WHERE ctid >= '({from},0)'::tid AND ctid < '({to},0)'::tid")
            }
        }
    }
}

/// The size in heap blocks of every leaf table of `cat` on the target
/// (0 for a table the target does not have: its scan then says so).
async fn blocks(c: &Client, tables: &[&Table]) -> Result<Vec<u64>, DataError> {
    let names: Vec<String> = tables.iter().map(|t| t.sql_name()).collect();
    let rows = c
        .query(
            "SELECT coalesce(pg_relation_size(to_regclass(n)), 0) \
             / current_setting('block_size')::int8 \
             FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i",
            &[&names],
        )
        .await
        .map_err(|e| {
            DataError::Unreachable(format!(
                "leak scan of the target: reading table sizes: {}",
                db_message(&e)
            ))
        })?;
    Ok(rows
        .iter()
        .map(|r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0))
        .collect())
}

/// The parts of a scan with `jobs` connections, biggest first.
pub(super) async fn plan(c: &Client, cat: &Catalog, jobs: usize) -> Result<Vec<Part>, DataError> {
    let tables: Vec<&Table> = cat.leaf_tables().collect();
    let sizes = blocks(c, &tables).await?;
    Ok(split(&tables, &sizes, jobs))
}

/// [`plan`] once the sizes are known.
fn split(tables: &[&Table], sizes: &[u64], jobs: usize) -> Vec<Part> {
    let mut parts = Vec::new();
    for (order, (t, &size)) in tables.iter().zip(sizes).enumerate() {
        let cols: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.is_text())
            .map(|c| c.name.clone())
            .collect();
        if cols.is_empty() {
            continue;
        }
        let n = jobs
            .max(1)
            .min(usize::try_from(size / SPLIT_BLOCKS).unwrap_or(1));
        let part = |index: usize, blocks, size| Part {
            order,
            table: (*t).clone(),
            cols: cols.clone(),
            blocks,
            index,
            size,
        };
        if n < 2 {
            parts.push(part(0, None, size));
            continue;
        }
        let step = size.div_ceil(n as u64);
        for i in 0..n {
            let from = step * i as u64;
            let to = (i + 1 < n).then_some(step * (i as u64 + 1));
            parts.push(part(i, Some((from, to)), step.min(size - from)));
        }
    }
    // The biggest first, so that the workers finish together.
    parts.sort_by_key(|p| std::cmp::Reverse(p.size));
    parts
}

#[cfg(test)]
mod tests {
    use super::super::super::catalog::Column;
    use super::*;

    fn table(name: &str, text: &[&str]) -> Table {
        let col = |n: &str, ty: &str, cat: char| Column {
            name: n.into(),
            type_name: ty.into(),
            category: cat,
            not_null: false,
            generated: false,
            builtin: true,
        };
        let mut columns = vec![col("id", "bigint", 'N')];
        columns.extend(text.iter().map(|n| col(n, "text", 'S')));
        Table {
            schema: "public".into(),
            name: name.into(),
            partitioned: false,
            partition: false,
            root: None,
            estimated_rows: 0,
            columns,
            primary_key: vec!["id".into()],
            unique: Vec::new(),
            foreign_keys: Vec::new(),
        }
    }

    #[test]
    fn a_big_table_is_split_into_block_ranges_covering_every_block() {
        let big = table("big", &["name", "email"]);
        let small = table("small", &["note"]);
        let none = table("numbers", &[]);
        let parts = split(&[&big, &small, &none], &[10_000, 3, 50_000], 3);
        // No text: no part. Big: three ranges, the last open; small: whole.
        assert_eq!(parts.len(), 4);
        let ranges: Vec<_> = parts
            .iter()
            .filter(|p| p.table.name == "big")
            .map(|p| (p.index, p.blocks))
            .collect();
        assert_eq!(
            ranges,
            [
                (0, Some((0, Some(3334)))),
                (1, Some((3334, Some(6668)))),
                (2, Some((6668, None)))
            ]
        );
        assert!(parts.iter().all(|p| p.table.name != "numbers"));
        assert_eq!(parts.last().map(|p| p.blocks), Some(None));
        assert_eq!(parts[0].cols, ["name", "email"]);
        assert_eq!(
            parts[1].filter(),
            " WHERE ctid >= '(3334,0)'::tid AND ctid < '(6668,0)'::tid"
        );
        assert_eq!(parts[2].filter(), " WHERE ctid >= '(6668,0)'::tid");
        assert_eq!(parts[3].filter(), "");
    }

    #[test]
    fn one_job_or_a_small_table_is_one_part() {
        let big = table("big", &["name"]);
        assert_eq!(split(&[&big], &[10_000], 1)[0].blocks, None);
        assert_eq!(split(&[&big], &[SPLIT_BLOCKS * 2 - 1], 4).len(), 1);
        assert_eq!(split(&[&big], &[SPLIT_BLOCKS * 2], 4).len(), 2);
    }
}
