//! The configuration toolkit: layers (defaults < file < `FLIGHTDECK__...`
//! environment < CLI flags) through the `config` crate, where each key came
//! from, a typed-section reader that names unknown keys, durations, URL
//! checks, the demo's placeholders, checks that referenced files,
//! directories and programs exist, and [`Problem`], the one shape every
//! check reports in (an error stops a run, a warning does not).
//!
//! This floor names no capability. Each capability owns its section and its
//! `validate()`; the aggregate `engine::config::Config` one floor
//! up reads the sections, calls each `validate()` and reports every problem
//! at once with its source, key path and a hint.

mod duration;
mod layer;
mod placeholder;
mod presence;
mod section;
mod ui;
mod url;

use std::fmt;

pub use duration::{HumanDuration, parse_duration};
pub use layer::{ENV_PREFIX, Layered, Origins, OverrideValue, Sources, Value, layer};
pub use placeholder::{DEMO_PLACEHOLDERS, as_if_filled, holds_placeholder};
pub use presence::{check_dir, check_file, check_program, program_exists};
pub use section::{SECRET_SHAPES_HINT, array_items, section, suggest, take};
pub use ui::{ColorMode, UiSection};
pub use url::check_url;

/// How much a problem matters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Severity {
    /// The run would fail (or could not be judged): nothing is run.
    #[default]
    Error,
    /// Worth fixing, but the run can go on: an optional stage or part
    /// would lose something. `check-config` exits 0, a run starts.
    Warning,
}

/// One thing wrong with a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Whether it stops a run.
    pub severity: Severity,
    /// Where the value came from: a file path, `environment variable X`, or `command line`.
    pub source: String,
    /// Dotted key path, e.g. `environment.endpoints[0].url`.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Problem {
    /// A problem at `key`; the source (file or environment variable) is
    /// filled in by the loader, which knows where each key came from.
    pub fn at(
        key: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Problem {
        Problem {
            severity: Severity::Error,
            source: String::new(),
            key: key.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The same problem, at `severity`.
    pub fn with_severity(self, severity: Severity) -> Problem {
        Problem { severity, ..self }
    }

    /// Whether it stops a run.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same problem with its key under `prefix`: a sub-section that
    /// does not know where it sits (`[environment.iac]`) reports keys
    /// relative to itself, and its owner places them.
    pub fn under(self, prefix: &str) -> Problem {
        Problem {
            key: format!("{prefix}.{}", self.key),
            ..self
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {} (hint: {})", self.source, self.message, self.hint)
        } else {
            write!(
                f,
                "{}: {}: {} (hint: {})",
                self.source, self.key, self.message, self.hint
            )
        }
    }
}
