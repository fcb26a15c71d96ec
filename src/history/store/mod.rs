//! The history store: SQLite on this machine (`<state_dir>/history.db` by
//! default) or PostgreSQL for a team (`history.url`), with one schema
//! ([`migrations`]) and one set of statements ([`sql`]).
//!
//! Opening a store migrates it to this build's schema; a store written by
//! a newer build is refused rather than damaged.

pub mod migrations;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use std::path::{Path, PathBuf};

pub use sql::{Conn, Row, Value, name_of, parse_name, ts};

use crate::history::error::StoreError;

/// Where the history lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database; the URL was resolved from `history.url`
    /// and is kept out of Debug output.
    Postgres(crate::secrets::Secret),
}

impl Location {
    /// How messages name the store: the file, or `history.url`.
    pub fn label(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(_) => "history.url (PostgreSQL)".to_string(),
        }
    }
}

enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// An open, migrated history store.
pub struct Store {
    backend: Backend,
    label: String,
}

impl Store {
    /// Open the store and bring its schema up to date.
    pub fn open(at: &Location) -> Result<Store, StoreError> {
        Store::open_at_version(at, None)
    }

    /// Open a SQLite store at `path` (tests, tools).
    pub fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        Store::open(&Location::Sqlite(path.to_path_buf()))
    }

    /// Open the store and migrate it up to `target` only (tests of the
    /// migrations themselves); `None` is the latest.
    pub fn open_at_version(at: &Location, target: Option<i64>) -> Result<Store, StoreError> {
        let backend = match at {
            Location::Sqlite(p) => Backend::Sqlite(sqlite::Sqlite::open(p)?),
            Location::Postgres(url) => {
                Backend::Postgres(postgres::Postgres::connect(url.expose()).map_err(|e| {
                    // A driver message could quote the URL; it never leaves here.
                    StoreError::Postgres {
                        message: url.scrub(&e.to_string()),
                    }
                })?)
            }
        };
        let mut store = Store {
            backend,
            label: at.label(),
        };
        let label = store.label.clone();
        store.write_locked(|c| migrations::migrate(c, &label, target))?;
        Ok(store)
    }

    /// How messages name this store.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The store's schema version.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        self.read(migrations::version)
    }

    /// Whether this is the team store (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Run `f` in one write transaction.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.write(f),
            Backend::Postgres(p) => p.write(false, f),
        }
    }

    /// Run `f` in one write transaction that no other writer of this store
    /// runs beside (schema changes, rebuilds). SQLite's write transactions
    /// are exclusive already.
    pub fn write_locked<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.write(f),
            Backend::Postgres(p) => p.write(true, f),
        }
    }

    /// Run `f` on one consistent snapshot.
    pub fn read<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.read(f),
            Backend::Postgres(p) => p.write(false, f),
        }
    }
}
