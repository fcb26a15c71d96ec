//! Configuration: layers (defaults < file < `FLIGHTDECK__...` environment <
//! CLI flags) through the `config` crate, typed sections, and a checker that
//! reports every problem at once with its source, key path and a hint.

mod check;
mod duration;
mod model;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use check::{
    DEMO_PLACEHOLDERS, RUNNABLE_KINDS, check_semantics, map_placeholder_fields,
    uses_demo_placeholders,
};
pub use duration::{HumanDuration, parse_duration};
pub use model::*;

/// Prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "FLIGHTDECK";

/// One thing wrong with a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
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
            source: String::new(),
            key: key.into(),
            message: message.into(),
            hint: hint.into(),
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

/// Where configuration comes from.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The config file, if any.
    pub file: Option<PathBuf>,
    /// Config text used when `file` is `None`: (label for messages, TOML text).
    pub text: Option<(String, String)>,
    /// Environment variables (normally `std::env::vars()`); only `FLIGHTDECK__*` are read.
    pub env: HashMap<String, String>,
    /// `key = value` overrides from CLI flags (highest priority).
    pub overrides: Vec<(String, OverrideValue)>,
}

/// A CLI override value.
#[derive(Clone, Debug)]
pub enum OverrideValue {
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
}

impl Sources {
    /// Sources with the process environment.
    pub fn from_process(file: Option<PathBuf>) -> Sources {
        Sources {
            file,
            text: None,
            env: std::env::vars().collect(),
            overrides: Vec::new(),
        }
    }

    /// Add a CLI override.
    pub fn set(&mut self, key: &str, value: OverrideValue) {
        self.overrides.push((key.to_string(), value));
    }
}

/// Load and check a configuration. Returns every problem found, not just the first.
pub fn load(sources: &Sources) -> Result<Config, Vec<Problem>> {
    let file_label = match (&sources.file, &sources.text) {
        (Some(p), _) => p.display().to_string(),
        (None, Some((label, _))) => label.clone(),
        (None, None) => "built-in defaults".to_string(),
    };
    let mut b = config::Config::builder();
    if let Some(path) = &sources.file {
        if !path.is_file() {
            return Err(vec![Problem {
                source: file_label,
                key: String::new(),
                message: "config file not found".into(),
                hint: "pass -c with an existing file, for example config/flightdeck.toml".into(),
            }]);
        }
        b = b.add_source(config::File::new(&path_str(path), config::FileFormat::Toml));
    } else if let Some((_, text)) = &sources.text {
        b = b.add_source(config::File::from_str(text, config::FileFormat::Toml));
    }
    let env_map: config::Map<String, String> = sources
        .env
        .iter()
        .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}__")))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    b = b.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(env_map)),
    );
    for (key, value) in &sources.overrides {
        let r = match value {
            OverrideValue::Str(s) => b.set_override(key.as_str(), s.as_str()),
            OverrideValue::Bool(v) => b.set_override(key.as_str(), *v),
            OverrideValue::Int(v) => b.set_override(key.as_str(), *v),
        };
        b = match r {
            Ok(b) => b,
            Err(e) => {
                return Err(vec![Problem {
                    source: "command line".into(),
                    key: key.clone(),
                    message: e.to_string(),
                    hint: "check the flag's value".into(),
                }]);
            }
        };
    }
    let built = match b.build() {
        Ok(c) => c,
        Err(e) => {
            return Err(vec![Problem {
                source: file_label,
                key: String::new(),
                message: format!("cannot be read: {}", one_line(&e.to_string())),
                hint: "fix the TOML syntax at the position shown".into(),
            }]);
        }
    };
    let root: config::Value = match built.clone().try_deserialize() {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![Problem {
                source: file_label,
                key: String::new(),
                message: e.to_string(),
                hint: "the top level must be a table of sections".into(),
            }]);
        }
    };
    let origins = Origins {
        file: file_label,
        env: &sources.env,
        root: &root,
    };
    let mut problems = Vec::new();
    let cfg = check::check_structure(&built, &origins, &mut problems);
    if let Some(cfg) = &cfg {
        for p in check_semantics(cfg) {
            problems.push(Problem {
                source: origins.of(&p.key),
                ..p
            });
        }
    }
    match cfg {
        Some(cfg) if problems.is_empty() => Ok(cfg),
        _ => Err(problems),
    }
}

/// Squeeze a multi-line parser message (with its source excerpt) into one line.
fn one_line(m: &str) -> String {
    let parts: Vec<&str> = m
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with('|') && !l.contains(" | ") && !l.starts_with("in ")
        })
        .filter(|l| !l.chars().next().is_some_and(|c| c.is_ascii_digit()) || !l.contains('|'))
        .collect();
    parts.join(": ")
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Finds where a key's value came from.
pub(crate) struct Origins<'a> {
    file: String,
    env: &'a HashMap<String, String>,
    root: &'a config::Value,
}

impl Origins<'_> {
    /// The source of a dotted key path (`a.b[0].c`).
    pub(crate) fn of(&self, key: &str) -> String {
        let env_name = format!(
            "{ENV_PREFIX}__{}",
            key.split(['.', '[']).next().unwrap_or("").to_uppercase()
        );
        let full_env = format!("{ENV_PREFIX}__{}", key.replace('.', "__").to_uppercase());
        if self.env.contains_key(&full_env) {
            return format!("environment variable {full_env}");
        }
        if let Some(origin) = lookup(self.root, key).and_then(|v| v.origin().map(str::to_string)) {
            if origin == "the environment" {
                return format!("environment variable {full_env}");
            }
            return origin;
        }
        if self.env.contains_key(&env_name) {
            return format!("environment variable {env_name}");
        }
        self.file.clone()
    }
}

/// Find a value by dotted path with `[i]` indexes.
fn lookup<'v>(root: &'v config::Value, key: &str) -> Option<&'v config::Value> {
    let mut cur = root;
    for part in key.split('.') {
        let (name, idx) = match part.find('[') {
            Some(i) => (
                &part[..i],
                part[i + 1..].trim_end_matches(']').parse::<usize>().ok(),
            ),
            None => (part, None),
        };
        if !name.is_empty() {
            cur = match &cur.kind {
                config::ValueKind::Table(t) => t.get(name)?,
                _ => return None,
            };
        }
        if let Some(i) = idx {
            cur = match &cur.kind {
                config::ValueKind::Array(a) => a.get(i)?,
                _ => return None,
            };
        }
    }
    Some(cur)
}

#[cfg(test)]
mod tests;
