//! Errors of the data capability, each mapped to an exit code.

/// What went wrong, and so which exit code the faces return.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Bad arguments, a bad rules file, or a target that is not empty
    /// without `--replace`: nothing was written (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A database could not be reached or read: nothing could be checked
    /// (exit 3).
    #[error("{0}")]
    Unreachable(String),
    /// The copy failed part way (exit 1).
    #[error("{0}")]
    Copy(String),
    /// A bug or an unexpected local failure (exit 4).
    #[error("{0}")]
    Internal(String),
}

impl DataError {
    /// The documented exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            DataError::Usage(_) => 2,
            DataError::Unreachable(_) => 3,
            DataError::Copy(_) => 1,
            DataError::Internal(_) => 4,
        }
    }
}
