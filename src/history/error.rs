//! What can go wrong with the history store, each naming the store and the
//! fix. A PostgreSQL URL is a secret: messages name the store as
//! `history.url` and never print the URL.

use std::path::PathBuf;

/// A history store error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite file could not be opened or used.
    #[error("history store {path}: {message}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said, and the fix when there is one.
        message: String,
    },
    /// The PostgreSQL store failed.
    #[error("history store history.url (PostgreSQL): {message}")]
    Postgres {
        /// What PostgreSQL said (the URL scrubbed out), and the fix.
        message: String,
    },
    /// The store's schema is newer than this build.
    #[error(
        "history store {store}: schema version {found} is newer than this build understands ({known}); upgrade flightdeck, or point history.path at another file"
    )]
    TooNew {
        /// Which store.
        store: String,
        /// Version in the store.
        found: i64,
        /// Latest version this build knows.
        known: i64,
    },
    /// A migration failed.
    #[error("history store {store}: migration {version} ({name}) failed: {message}")]
    Migration {
        /// Which store.
        store: String,
        /// Migration version.
        version: i64,
        /// Migration name.
        name: String,
        /// Why.
        message: String,
    },
    /// Something else: a journal, a CSV line, a run that does not exist.
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// An error about something other than the database itself.
    pub fn other(message: impl Into<String>) -> StoreError {
        StoreError::Other(message.into())
    }
}
