//! Errors of the load engine. Each message names the field or file, the
//! offending value and the fix, because the operator reads them verbatim.

use std::path::PathBuf;

/// Everything that can stop a load run before or while it starts.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LoadError {
    /// A host outside loopback that is not on the allow-list.
    #[error(
        "{field}: host \"{host}\" is not on the allow-list; add it to load.allow_hosts \
         (or pass --allow-host {host}) if you really mean to send load there"
    )]
    HostNotAllowed {
        /// Where the URL came from, e.g. `load.target` or `urls.txt:3`.
        field: String,
        /// The refused host.
        host: String,
    },
    /// A hostname allowed as loopback (`localhost`) resolved elsewhere.
    #[error(
        "{host} resolved to {addr}, which is not loopback; add {host} to load.allow_hosts if that is intended"
    )]
    ResolvedOutsideLoopback {
        /// The hostname.
        host: String,
        /// The address it resolved to.
        addr: String,
    },
    /// A URL that cannot be used.
    #[error(
        "{field}: \"{url}\" is not a usable URL: {reason}; write e.g. http://127.0.0.1:8080/path"
    )]
    BadUrl {
        /// Where the URL came from.
        field: String,
        /// The URL as written.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A problem with the URL list file.
    #[error("{}:{line}: {message}", file.display())]
    UrlFile {
        /// The file.
        file: PathBuf,
        /// 1-based line number (0 when the file could not be read at all).
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// One setting is wrong.
    #[error("{key}: {message}; {hint}")]
    Field {
        /// Config key, e.g. `load.requests[1].method`.
        key: String,
        /// What is wrong.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// One or more invalid settings; each entry is `key: message (hint)`.
    #[error("invalid load settings:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
    /// A threshold expression that does not parse.
    #[error("{0}")]
    Threshold(String),
    /// Name resolution or another setup step failed.
    #[error("{0}")]
    Setup(String),
    /// Reading or writing a baseline failed.
    #[error("baseline {}: {message}", path.display())]
    Baseline {
        /// The baseline file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
