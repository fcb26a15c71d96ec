//! Integrity: per table, the row count and an order-independent checksum
//! (the sum of each row's md5 folded to 64 bits, computed in SQL) taken at
//! backup time and compared after the restore. The heartbeat table is
//! checked against the acknowledged sequence instead: every sequence up to
//! the newest restored one must be there, with no gap (and, for a dump,
//! exactly the rows of the dump's snapshot).

use tokio_postgres::Client;

use crate::core::disaster::{Ack, TableIntegrity};
use crate::pg::PgError;

/// One table's expected state.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    /// `schema.table`, quoted as needed.
    pub table: String,
    /// Rows.
    pub rows: i64,
    /// Checksum, as text.
    pub sum: String,
}

/// Session settings that fix how rows render as text (the checksum hashes
/// that text), so both sides hash the same bytes.
pub const SESSION_SQL: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

fn failed(what: &str, e: impl std::fmt::Display) -> PgError {
    PgError::Failed(format!("{what}: {e}"))
}

/// The user tables (the heartbeat aside), in name order.
pub async fn tables(c: &Client) -> Result<Vec<String>, PgError> {
    let rows = c
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                AND n.nspname NOT LIKE 'pg\\_toast%' AND c.relname <> 'flightdeck_heartbeat'
              ORDER BY 1",
            &[],
        )
        .await
        .map_err(|e| failed("list the tables", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// A table's row count and checksum.
pub async fn checksum(c: &Client, table: &str) -> Result<(i64, String), PgError> {
    let sql = format!(
        "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text FROM {table} t"
    );
    let row = c
        .query_one(&sql, &[])
        .await
        .map_err(|e| failed(&format!("checksum {table}"), e))?;
    Ok((row.get(0), row.get(1)))
}

/// Every table's expected state, read through `c` (in its transaction's
/// snapshot when it has one).
pub async fn expected(c: &Client) -> Result<Vec<Expected>, PgError> {
    c.batch_execute(SESSION_SQL)
        .await
        .map_err(|e| failed("set the checksum session", e))?;
    let mut out = Vec::new();
    for t in tables(c).await? {
        let (rows, sum) = checksum(c, &t).await?;
        out.push(Expected {
            table: t,
            rows,
            sum,
        });
    }
    Ok(out)
}

/// What the restored copy holds.
#[derive(Clone, Debug)]
pub struct Verified {
    /// Per table, the heartbeat last.
    pub integrity: Vec<TableIntegrity>,
    /// The newest heartbeat write restored, with the time it was acknowledged.
    pub restored: Option<Ack>,
}

impl Verified {
    /// Tables that do not match.
    pub fn failures(&self) -> Vec<&TableIntegrity> {
        self.integrity.iter().filter(|t| !t.ok).collect()
    }
}

/// Compare the restored copy (through `c`) with what was expected.
/// `snapshot_seq` is the heartbeat's newest sequence in the dump's
/// snapshot (dump only).
pub async fn verify(
    c: &Client,
    expected: &[Expected],
    acks: &[Ack],
    snapshot_seq: Option<i64>,
) -> Result<Verified, PgError> {
    c.batch_execute(SESSION_SQL)
        .await
        .map_err(|e| failed("set the checksum session", e))?;
    let mut integrity = Vec::new();
    for e in expected {
        let (rows, sum, note) = match checksum(c, &e.table).await {
            Ok((r, s)) => (r, s, String::new()),
            Err(err) => (-1, String::new(), err.to_string()),
        };
        let ok = rows == e.rows && sum == e.sum;
        let note = if !note.is_empty() {
            note
        } else if rows != e.rows {
            format!("{} rows restored, {} expected", rows, e.rows)
        } else if !ok {
            "same row count, different contents (checksum differs)".into()
        } else {
            String::new()
        };
        integrity.push(TableIntegrity {
            table: e.table.clone(),
            expected_rows: e.rows,
            restored_rows: rows,
            expected_sum: e.sum.clone(),
            restored_sum: sum,
            ok,
            note,
        });
    }
    let (hb, restored) = heartbeat(c, acks, snapshot_seq).await;
    integrity.push(hb);
    Ok(Verified {
        integrity,
        restored,
    })
}

async fn heartbeat(
    c: &Client,
    acks: &[Ack],
    snapshot_seq: Option<i64>,
) -> (TableIntegrity, Option<Ack>) {
    let row = c
        .query_one(
            "SELECT coalesce(max(seq), 0), count(*) FROM flightdeck_heartbeat",
            &[],
        )
        .await;
    let (max, count): (i64, i64) = match row {
        Ok(r) => (r.get(0), r.get(1)),
        Err(e) => {
            return (
                TableIntegrity {
                    table: "public.flightdeck_heartbeat".into(),
                    expected_rows: 0,
                    restored_rows: -1,
                    expected_sum: String::new(),
                    restored_sum: String::new(),
                    ok: false,
                    note: format!("not readable: {e}"),
                },
                None,
            );
        }
    };
    let last = acks.last().copied();
    let restored = (max > 0).then(|| {
        let seq = max as u64;
        let at_ms = acks
            .iter()
            .find(|a| a.seq == seq)
            .or(last.as_ref())
            .map_or(0, |a| a.at_ms);
        Ack { seq, at_ms }
    });
    let mut problems = Vec::new();
    if count != max {
        problems.push(format!(
            "{} of the sequences 1..={max} are missing (a gap)",
            max - count
        ));
    }
    if let Some(s) = snapshot_seq
        && s != max
    {
        problems.push(format!(
            "the dump's snapshot held up to seq {s}, the restore up to {max}"
        ));
    }
    let lost = last.map_or(0, |l| l.seq.saturating_sub(max as u64));
    let note = if problems.is_empty() {
        format!(
            "heartbeat rows up to seq {max} accounted for; {lost} acknowledged write(s) after it lost"
        )
    } else {
        problems.join("; ")
    };
    (
        TableIntegrity {
            table: "public.flightdeck_heartbeat".into(),
            expected_rows: snapshot_seq.unwrap_or(max),
            restored_rows: count,
            expected_sum: format!("seq 1..={}", snapshot_seq.unwrap_or(max)),
            restored_sum: format!("{count} rows, max seq {max}"),
            ok: problems.is_empty(),
            note,
        },
        restored,
    )
}
