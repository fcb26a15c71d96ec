//! What the two stores share: typed parameters, rows read back, and the
//! one dialect difference the schema needs.
//!
//! Queries are written once, in PostgreSQL's placeholder style (`$1`,
//! `$2`...), and translated for SQLite (`?1`, `?2`...). Parameters carry
//! their type even when null, because PostgreSQL checks a parameter's type
//! against its column before it looks at the value.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::super::error::StoreError;

/// A query parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// BIGINT.
    Int(Option<i64>),
    /// DOUBLE PRECISION.
    Real(Option<f64>),
    /// TEXT.
    Text(Option<String>),
    /// BYTEA (BLOB in SQLite).
    Bytes(Option<Vec<u8>>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(Some(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(Some(v))
    }
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Value {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(Some(v.to_string()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(Some(v))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        Value::Text(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(Some(i64::from(v)))
    }
}

/// One column of a row read back.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// A row read back, by column position.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> &Cell {
        self.0.get(i).unwrap_or(&Cell::Null)
    }

    /// Text (empty for NULL or another type).
    pub fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }

    /// Text, or `None` for NULL.
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.cell(i) {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// A number (integers widen), or `None` for NULL.
    pub fn opt_f64(&self, i: usize) -> Option<f64> {
        match self.cell(i) {
            Cell::Real(v) => Some(*v),
            Cell::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    /// A number, 0 for NULL.
    pub fn f64(&self, i: usize) -> f64 {
        self.opt_f64(i).unwrap_or(0.0)
    }

    /// An integer (floats truncate), or `None` for NULL.
    pub fn opt_i64(&self, i: usize) -> Option<i64> {
        match self.cell(i) {
            Cell::Int(v) => Some(*v),
            Cell::Real(v) => Some(*v as i64),
            _ => None,
        }
    }

    /// An integer, 0 for NULL.
    pub fn i64(&self, i: usize) -> i64 {
        self.opt_i64(i).unwrap_or(0)
    }

    /// Bytes, or `None` for NULL.
    pub fn opt_bytes(&self, i: usize) -> Option<Vec<u8>> {
        match self.cell(i) {
            Cell::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
}

/// A connection or transaction of either store.
pub trait Conn {
    /// Run one statement; returns the rows changed.
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Run one query; returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Run several statements without parameters (schema changes).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
}

/// Which store a statement is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (rusqlite, bundled).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// A statement written for PostgreSQL, in this dialect: `$N`
    /// placeholders become `?N` and `BYTEA` becomes `BLOB` for SQLite.
    pub fn sql(self, text: &str) -> String {
        match self {
            Dialect::Postgres => text.to_string(),
            Dialect::Sqlite => {
                let mut out = String::with_capacity(text.len());
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                        out.push('?');
                    } else {
                        out.push(c);
                    }
                }
                out.replace("BYTEA", "BLOB")
            }
        }
    }
}

/// A time as the store keeps it: RFC 3339, UTC, milliseconds (sorts as text).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A serde enum's snake_case name (`no_go`, `rolled_back`...).
pub fn name_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Read a serde enum back from its snake_case name.
pub fn parse_name<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_types_translate_for_sqlite() {
        assert_eq!(
            Dialect::Sqlite.sql("INSERT INTO t (a, b) VALUES ($1, $12) -- BYTEA"),
            "INSERT INTO t (a, b) VALUES (?1, ?12) -- BLOB"
        );
        assert_eq!(Dialect::Postgres.sql("SELECT $1"), "SELECT $1");
    }

    #[test]
    fn rows_widen_integers_and_treat_null_as_absent() {
        let r = Row(vec![Cell::Int(3), Cell::Null, Cell::Text("x".into())]);
        assert_eq!(r.f64(0), 3.0);
        assert_eq!(r.opt_f64(1), None);
        assert_eq!(r.text(2), "x");
        assert_eq!(r.text(7), "");
    }
}
