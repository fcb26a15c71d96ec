//! The team store: the same schema in PostgreSQL, so that several machines
//! share one history. The URL comes from a secret reference
//! (`history.url`) and is never printed: errors name `history.url`.
//!
//! The client is the blocking `postgres` crate; callers inside the async
//! runtime go through `spawn_blocking`.

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::sql::{Cell, Conn, Row, Value};
use crate::history::error::StoreError;

/// An open PostgreSQL store.
pub struct Postgres {
    client: Client,
}

fn fail(e: postgres::Error) -> StoreError {
    // The driver's messages carry the server's words, never the URL.
    let mut message = e.to_string();
    if let Some(db) = e.as_db_error() {
        message = format!("{} ({})", db.message(), db.code().code());
    }
    StoreError::Postgres { message }
}

impl Postgres {
    /// Connect with a `postgres://` URL (resolved from `history.url`).
    pub fn connect(url: &str) -> Result<Postgres, StoreError> {
        let client = Client::connect(url, NoTls).map_err(|e| StoreError::Postgres {
            message: format!(
                "cannot connect ({}); check the URL that history.url refers to and that the server accepts connections without TLS",
                fail(e)
                    .to_string()
                    .trim_start_matches("history store history.url (PostgreSQL): ")
            ),
        })?;
        Ok(Postgres { client })
    }

    /// Run `f` in one transaction. With `lock`, the transaction first takes
    /// the store's advisory lock, so that two machines migrating at once
    /// take turns.
    pub fn write<T>(
        &mut self,
        lock: bool,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut tx = Tx(self.client.transaction().map_err(fail)?);
        if lock {
            tx.0.execute("SELECT pg_advisory_xact_lock(7465700)", &[])
                .map_err(fail)?;
        }
        let out = f(&mut tx)?;
        tx.0.commit().map_err(fail)?;
        Ok(out)
    }
}

struct Tx<'c>(postgres::Transaction<'c>);

fn boxed(v: &Value) -> Box<dyn ToSql + Sync> {
    match v {
        Value::Int(x) => Box::new(*x),
        Value::Real(x) => Box::new(*x),
        Value::Text(x) => Box::new(x.clone()),
        Value::Bytes(x) => Box::new(x.clone()),
    }
}

fn cell(row: &postgres::Row, i: usize) -> Result<Cell, StoreError> {
    let ty = row.columns()[i].type_().clone();
    let got = |e: postgres::Error| fail(e);
    Ok(match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(got)?.map(Cell::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(got)?
            .map(|v| Cell::Int(i64::from(v))),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map_err(got)?.map(Cell::Real),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(got)?
            .map(Cell::Bytes),
        Type::TEXT | Type::VARCHAR | Type::NAME => row
            .try_get::<_, Option<String>>(i)
            .map_err(got)?
            .map(Cell::Text),
        other => {
            return Err(StoreError::Postgres {
                message: format!(
                    "column {} has type {other}, which the history store does not read (a schema this build did not write?)",
                    row.columns()[i].name()
                ),
            });
        }
    }
    .unwrap_or(Cell::Null))
}

impl Conn for Tx<'_> {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let owned: Vec<Box<dyn ToSql + Sync>> = params.iter().map(boxed).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        self.0.execute(sql, &refs).map_err(fail)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let owned: Vec<Box<dyn ToSql + Sync>> = params.iter().map(boxed).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let rows = self.0.query(sql, &refs).map_err(fail)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| cell(r, i))
                    .collect::<Result<_, _>>()
                    .map(Row)
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.batch_execute(sql).map_err(fail)
    }
}
