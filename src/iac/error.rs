//! Errors of the IaC capability, each naming the thing, the place and a fix.

use std::path::PathBuf;

/// Everything that can go wrong while reading IaC files or driving a provisioner.
#[derive(Debug, thiserror::Error)]
pub enum IacError {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A file is not valid JSON, or ends too early.
    #[error("{}: {what} at line {line} column {column}: {message}", file.display())]
    Json {
        /// The file (or a label such as `terraform show -json output`).
        file: PathBuf,
        /// `invalid JSON` or `truncated JSON (unexpected end of input)`.
        what: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A plan or state document with a `format_version` this build does not know.
    #[error(
        "{}: unsupported format_version \"{version}\" (supported: 0.x as printed by Terraform 1.0-1.2, 1.x as printed by later releases); upgrade flightdeck or produce the file with a supported Terraform",
        file.display()
    )]
    UnknownFormat {
        /// The file.
        file: PathBuf,
        /// The version found.
        version: String,
    },
    /// Valid JSON that is not the expected kind of document.
    #[error("{}: {reason}", file.display())]
    Shape {
        /// The file.
        file: PathBuf,
        /// What is missing or wrong, and the fix.
        reason: String,
    },
    /// A var file that cannot be parsed.
    #[error("{}:{line}: {message}", file.display())]
    VarFile {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The provisioner binary is not installed or not on PATH.
    #[error("{binary}: not found ({reason}); {hint}")]
    BinaryMissing {
        /// The binary as configured.
        binary: String,
        /// Why it could not be started.
        reason: String,
        /// How to fix it.
        hint: String,
    },
    /// A provisioner step exited unsuccessfully.
    #[error("{step} failed ({status}): {message}")]
    StepFailed {
        /// The step, e.g. `terraform init`.
        step: String,
        /// Exit status as text.
        status: String,
        /// Diagnostics or the tail of stderr.
        message: String,
    },
    /// A provisioner step ran past its timeout and was killed.
    #[error(
        "{step} did not finish within {timeout_s} s and was killed; raise iac.timeout_s or check for a hung lock or prompt"
    )]
    Timeout {
        /// The step.
        step: String,
        /// The limit.
        timeout_s: u64,
    },
    /// Apply or destroy was asked for while the config does not allow it.
    #[error(
        "{action} refused: iac.apply is \"never\" (plan is always safe; set apply = \"confirm\" or \"auto\" to let flightdeck change infrastructure)"
    )]
    NotAllowed {
        /// `apply` or `destroy`.
        action: String,
    },
    /// An apply stopped part-way: some changes were made, others were not.
    #[error(
        "apply half-finished: {} of {planned} changes applied ({}), {} failed ({}); the environment is in between versions: fix the error and apply again, or destroy it: {message}",
        completed.len(), completed.join(", "), errored.len(), errored.join(", ")
    )]
    ApplyIncomplete {
        /// Resources whose change completed.
        completed: Vec<String>,
        /// Resources whose change failed.
        errored: Vec<String>,
        /// Changes in the plan.
        planned: usize,
        /// Terraform's diagnostics.
        message: String,
    },
    /// The provisioner's configuration cannot be used.
    #[error("iac config: {0}")]
    Config(String),
    /// Any other IO problem while running a process.
    #[error("{step}: {source}")]
    Io {
        /// The step.
        step: String,
        /// The IO error.
        source: std::io::Error,
    },
}

impl IacError {
    /// Turn a serde_json error on `file` into a clear message with position.
    pub fn json(file: impl Into<PathBuf>, e: &serde_json::Error) -> IacError {
        let what = if e.is_eof() {
            "truncated JSON (unexpected end of input)"
        } else {
            "invalid JSON"
        };
        let full = e.to_string();
        let message = full
            .split(" at line ")
            .next()
            .unwrap_or(full.as_str())
            .to_string();
        IacError::Json {
            file: file.into(),
            what,
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}

/// Read a JSON document from `path`, with errors that name the file and position.
pub fn read_json(path: &std::path::Path) -> Result<serde_json::Value, IacError> {
    let text = std::fs::read_to_string(path).map_err(|source| IacError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse_json(path, &text)
}

/// Parse JSON text that came from `label` (a file or a command).
pub fn parse_json(label: &std::path::Path, text: &str) -> Result<serde_json::Value, IacError> {
    if text.trim().is_empty() {
        return Err(IacError::Shape {
            file: label.to_path_buf(),
            reason: "empty: expected the JSON printed by `terraform show -json`".into(),
        });
    }
    serde_json::from_str(text).map_err(|e| IacError::json(label, &e))
}

/// Check `format_version`: 0.x and 1.x are understood; anything else is refused.
pub fn check_format(file: &std::path::Path, doc: &serde_json::Value) -> Result<String, IacError> {
    let version = match doc.get("format_version") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => {
            return Err(IacError::Shape {
                file: file.to_path_buf(),
                reason: "no format_version: this is not the output of `terraform show -json` (run `terraform show -json PLANFILE > plan.json`)".into(),
            });
        }
    };
    let major = version.split('.').next().unwrap_or("");
    match major {
        "0" | "1" => Ok(version),
        _ => Err(IacError::UnknownFormat {
            file: file.to_path_buf(),
            version,
        }),
    }
}
