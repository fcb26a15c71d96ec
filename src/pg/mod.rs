//! PostgreSQL as a tool the drills and the data stage drive: where its
//! binaries are ([`bin`]), the account its servers run as ([`account`]:
//! PostgreSQL refuses root, so as root every server tool goes through
//! `runuser -u postgres --` in directories that account owns), running
//! one of its tools in its own process group ([`tool`]), and a throwaway
//! cluster on 127.0.0.1 ([`cluster`]) whose processes are stopped by PID,
//! their whole group with SIGKILL, and whose directories are removed, on
//! every path: success, failure, abort and drop; and when the process that
//! made them was killed before it could, by the next one ([`stale`]).

pub mod account;
pub mod bin;
pub mod cluster;
pub mod stale;
pub mod tool;

pub use account::Account;
pub use bin::{BinDir, NOT_FOUND};
pub use cluster::{Cluster, Workspace};
pub use tool::{Group, ToolRun};

/// Why a PostgreSQL step could not be done. Each message names the step,
/// the thing and, where there is one, the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PgError {
    /// No PostgreSQL installation was found: the caller skips, it does not fail.
    #[error("{0}")]
    NotFound(String),
    /// A binary is missing from the bin directory.
    #[error("{0}")]
    MissingTool(String),
    /// A tool or the server failed; the message names the step.
    #[error("{0}")]
    Failed(String),
    /// The caller's cancel token fired (operator abort, stop condition).
    #[error("cancelled")]
    Cancelled,
}

/// A free TCP port on 127.0.0.1 (bound then released: a small race with
/// other processes is possible, and a start that then fails says so).
pub fn free_port() -> Result<u16, PgError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| PgError::Failed(format!("find a free port on 127.0.0.1: {e}")))
}

/// A driver error as people need it: the server's own message (with its
/// severity and code) when there is one; the driver's `db error` alone
/// says nothing.
pub fn db_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{}: {} ({})", d.severity(), d.message(), d.code().code()),
        None => e.to_string(),
    }
}
