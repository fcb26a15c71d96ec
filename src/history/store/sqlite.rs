//! The embedded store: one SQLite file (rusqlite, SQLite bundled), in WAL
//! mode so readers never wait for a writer, and with a busy timeout so two
//! runs finishing at once take turns instead of failing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, TransactionBehavior};

use super::sql::{Cell, Conn, Row, Value};
use crate::history::error::StoreError;

/// How long a writer waits for another one before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An open SQLite store.
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

fn fail(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl Sqlite {
    /// Open (or create) the file, creating its directory.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Sqlite {
                path: path.to_path_buf(),
                message: format!(
                    "cannot create its directory ({e}); set history.path or state_dir to a writable place"
                ),
            })?;
        }
        let conn = Connection::open(path).map_err(|e| fail(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| fail(path, e))?;
        // WAL lets the TUI read history while another run writes; NORMAL
        // sync is safe in WAL (the journal, not this index, is the truth).
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(|e| fail(path, e))?;
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(|e| fail(path, e))?;
        Ok(Sqlite {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` in one write transaction (taken at once, so writers queue
    /// behind each other rather than fail halfway).
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| fail(&path, e))?;
        let mut c = Tx { tx, path: &path };
        let out = f(&mut c)?;
        c.tx.commit().map_err(|e| fail(&path, e))?;
        Ok(out)
    }

    /// Run `f` in a read transaction (one consistent snapshot).
    pub fn read<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(|e| fail(&path, e))?;
        let mut c = Tx { tx, path: &path };
        let out = f(&mut c)?;
        c.tx.commit().map_err(|e| fail(&path, e))?;
        Ok(out)
    }
}

struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
    path: &'c Path,
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Int(Some(i)) => V::Integer(*i),
        Value::Real(Some(f)) => V::Real(*f),
        Value::Text(Some(s)) => V::Text(s.clone()),
        Value::Bytes(Some(b)) => V::Blob(b.clone()),
        _ => V::Null,
    }
}

impl Conn for Tx<'_> {
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let sql = super::sql::Dialect::Sqlite.sql(sql);
        self.tx
            .execute(&sql, rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map(|n| n as u64)
            .map_err(|e| fail(self.path, e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let sql = super::sql::Dialect::Sqlite.sql(sql);
        let path = self.path;
        let mut stmt = self.tx.prepare(&sql).map_err(|e| fail(path, e))?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(|e| fail(path, e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| fail(path, e))? {
            let mut cells = Vec::with_capacity(n);
            for i in 0..n {
                let cell = match r.get_ref(i).map_err(|e| fail(path, e))? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
                };
                cells.push(cell);
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let sql = super::sql::Dialect::Sqlite.sql(sql);
        self.tx.execute_batch(&sql).map_err(|e| fail(self.path, e))
    }
}
