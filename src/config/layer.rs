//! Layering: built-in defaults < file < `FLIGHTDECK__SECTION__KEY`
//! environment < CLI flags, through the `config` crate, and [`Origins`],
//! which names the layer a key came from so that a problem points at the
//! file or variable to fix.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Problem, Severity};

/// Prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "FLIGHTDECK";

/// A layered value, before it is read into a typed section.
pub use ::config::Value;

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

/// The layers merged into one tree, not yet read into typed sections: the
/// reader (the aggregate config, one floor up) takes each section from it
/// and reports problems with [`Layered::origins`].
pub struct Layered<'a> {
    built: ::config::Config,
    origins: Origins<'a>,
}

impl<'a> Layered<'a> {
    /// Where each key came from.
    pub fn origins(&self) -> &Origins<'a> {
        &self.origins
    }

    /// The keys at the top, or `None` when the top is not a table.
    pub fn top_keys(&self) -> Option<Vec<String>> {
        match &self.origins.root.kind {
            ::config::ValueKind::Table(t) => Some(t.keys().cloned().collect()),
            _ => None,
        }
    }

    /// The value at a top-level key, if any layer sets it.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.built.get::<Value>(key).ok()
    }
}

/// Merge the layers. A missing file, a bad CLI override or a syntax error
/// stops here with one problem: nothing after it could be read.
pub fn layer(sources: &Sources) -> Result<Layered<'_>, Vec<Problem>> {
    let file_label = match (&sources.file, &sources.text) {
        (Some(p), _) => p.display().to_string(),
        (None, Some((label, _))) => label.clone(),
        (None, None) => "built-in defaults".to_string(),
    };
    let mut b = ::config::Config::builder();
    if let Some(path) = &sources.file {
        if !path.is_file() {
            return Err(vec![Problem {
                severity: Severity::Error,
                source: file_label,
                key: String::new(),
                message: "config file not found".into(),
                hint: "pass -c with an existing file, for example config/flightdeck.toml".into(),
            }]);
        }
        b = b.add_source(::config::File::new(
            &path_str(path),
            ::config::FileFormat::Toml,
        ));
    } else if let Some((_, text)) = &sources.text {
        b = b.add_source(::config::File::from_str(text, ::config::FileFormat::Toml));
    }
    let env_map: ::config::Map<String, String> = sources
        .env
        .iter()
        .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}__")))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    b = b.add_source(
        ::config::Environment::with_prefix(ENV_PREFIX)
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
                    severity: Severity::Error,
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
                severity: Severity::Error,
                source: file_label,
                key: String::new(),
                message: format!("cannot be read: {}", one_line(&e.to_string())),
                hint: "fix the TOML syntax at the position shown".into(),
            }]);
        }
    };
    let root: Value = match built.clone().try_deserialize() {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![Problem {
                severity: Severity::Error,
                source: file_label,
                key: String::new(),
                message: e.to_string(),
                hint: "the top level must be a table of sections".into(),
            }]);
        }
    };
    Ok(Layered {
        built,
        origins: Origins {
            file: file_label,
            env: &sources.env,
            root,
        },
    })
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
pub struct Origins<'a> {
    file: String,
    env: &'a HashMap<String, String>,
    root: Value,
}

impl Origins<'_> {
    /// The source of a dotted key path (`a.b[0].c`): an environment
    /// variable, or the file (or label) the value was read from.
    pub fn of(&self, key: &str) -> String {
        let env_name = format!(
            "{ENV_PREFIX}__{}",
            key.split(['.', '[']).next().unwrap_or("").to_uppercase()
        );
        let full_env = format!("{ENV_PREFIX}__{}", key.replace('.', "__").to_uppercase());
        if self.env.contains_key(&full_env) {
            return format!("environment variable {full_env}");
        }
        if let Some(origin) = lookup(&self.root, key).and_then(|v| v.origin().map(str::to_string)) {
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
fn lookup<'v>(root: &'v Value, key: &str) -> Option<&'v Value> {
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
                ::config::ValueKind::Table(t) => t.get(name)?,
                _ => return None,
            };
        }
        if let Some(i) = idx {
            cur = match &cur.kind {
                ::config::ValueKind::Array(a) => a.get(i)?,
                _ => return None,
            };
        }
    }
    Some(cur)
}
