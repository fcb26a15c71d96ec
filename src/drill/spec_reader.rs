//! Reading the keys of one drill step, each checked, every problem
//! collected with the step's place and a fix.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{parse_duration, program_exists, suggest};

use super::spec::{CommandSpec, HeaderValue, HttpCall, Select, SpecError};
use super::tolerance::Tolerance;

/// Keys every step may have.
const COMMON: [&str; 4] = ["name", "timeout", "measure", "probe"];

/// A step's table being read.
pub(super) struct Reader<'a> {
    pub(super) map: &'a Map<String, Value>,
    pub(super) at: String,
    pub(super) errors: Vec<SpecError>,
}

impl Reader<'_> {
    pub(super) fn fail(&mut self, key: &str, message: impl Into<String>, hint: impl Into<String>) {
        let at = if key.is_empty() {
            self.at.clone()
        } else {
            format!("{}.{key}", self.at)
        };
        self.errors.push(SpecError {
            at,
            message: message.into(),
            hint: hint.into(),
        });
    }

    pub(super) fn string(&mut self, key: &str, hint: &str) -> Option<String> {
        match self.map.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.fail(key, format!("{other} is not a string"), hint);
                None
            }
        }
    }

    pub(super) fn required(&mut self, key: &str, hint: &str) -> String {
        match self.string(key, hint) {
            Some(s) if !s.trim().is_empty() => s,
            Some(_) => {
                self.fail(key, "is empty", hint);
                String::new()
            }
            None => {
                if self.map.contains_key(key) {
                    return String::new();
                }
                self.fail(key, "is required but missing", hint);
                String::new()
            }
        }
    }

    pub(super) fn bool(&mut self, key: &str) -> bool {
        match self.map.get(key) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.fail(
                    key,
                    format!("{other} is not true or false"),
                    format!("write {key} = true"),
                );
                false
            }
        }
    }

    pub(super) fn duration(&mut self, key: &str) -> Option<Duration> {
        let s = self.string(key, "write a duration like \"10s\"")?;
        match parse_duration(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.fail(key, e, "write e.g. 10s, 1m or 500ms");
                None
            }
        }
    }

    pub(super) fn regex(&mut self, key: &str) -> Option<regex::Regex> {
        let s = self.string(key, "write a regex string")?;
        match regex::Regex::new(&s) {
            Ok(r) => Some(r),
            Err(e) => {
                self.fail(key, format!("regex does not compile: {e}"), "fix the regex");
                None
            }
        }
    }

    pub(super) fn tolerance(&mut self, key: &str, default: Option<Value>) -> Tolerance {
        let v = match (self.map.get(key), default) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => d,
            (None, None) => {
                self.fail(
                    key,
                    "is required for this probe",
                    "write e.g. tolerance = { min = 0, max = 5 }",
                );
                return Tolerance::Set(vec![]);
            }
        };
        Tolerance::parse(&v).unwrap_or_else(|e| {
            self.fail(
                key,
                format!("wrong shape: {e}"),
                "a range is { min, max }; [a, b] is a set of allowed values",
            );
            Tolerance::Set(vec![])
        })
    }

    pub(super) fn map_of(&mut self, key: &str) -> BTreeMap<String, HeaderValue> {
        let mut out = BTreeMap::new();
        let Some(v) = self.map.get(key) else {
            return out;
        };
        let Some(m) = v.as_object() else {
            self.fail(
                key,
                "is not a table",
                format!("write {key} = {{ NAME = \"value\" }}"),
            );
            return out;
        };
        for (k, v) in m {
            match serde_json::from_value::<HeaderValue>(v.clone()) {
                Ok(h) => {
                    out.insert(k.clone(), h);
                }
                Err(_) => self.fail(
                    &format!("{key}.{k}"),
                    "is neither text nor a secret reference",
                    format!("write text or {}", crate::config::SECRET_SHAPES_HINT),
                ),
            }
        }
        out
    }

    pub(super) fn unknown(&mut self, allowed: &[&str]) {
        let keys: Vec<String> = self.map.keys().cloned().collect();
        for k in keys {
            if !COMMON.contains(&k.as_str()) && k != "action" && !allowed.contains(&k.as_str()) {
                let known = COMMON
                    .iter()
                    .chain(allowed)
                    .map(|s| s.to_string())
                    .collect();
                self.fail(&k, "unknown key for this step kind", suggest(&k, known));
            }
        }
    }

    pub(super) fn command(&mut self) -> CommandSpec {
        let shell = self.bool("shell");
        let argv: Vec<String> = match self.map.get("argv") {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) && !a.is_empty() => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(s)) if shell => vec![s.clone()],
            Some(Value::String(_)) => {
                self.fail(
                    "argv",
                    "is one string, which would need a shell",
                    "write argv = [\"program\", \"arg\"], or add shell = true",
                );
                Vec::new()
            }
            _ => {
                self.fail(
                    "argv",
                    "is required: a non-empty list of strings",
                    "write argv = [\"program\", \"arg\"]",
                );
                Vec::new()
            }
        };
        if !shell
            && let Some(p) = argv.first()
            && !crate::config::holds_placeholder(p)
            && !program_exists(p)
        {
            self.fail(
                "argv",
                format!("command `{p}` not found on PATH"),
                "install it, give its full path, or fix the name",
            );
        }
        CommandSpec {
            argv,
            shell,
            env: self.map_of("env"),
            stdout_regex: self.regex("stdout_regex"),
            judge_stdout: false,
        }
    }

    pub(super) fn http(&mut self, select: Select) -> HttpCall {
        let url = self.required("url", "write url = \"http://127.0.0.1:8080/health\"");
        let filled = crate::config::as_if_filled(&url);
        if !url.is_empty() && !filled.starts_with("http://") && !filled.starts_with("https://") {
            self.fail(
                "url",
                format!("`{url}` is not an http(s) URL"),
                "write http://host:port/path",
            );
        }
        HttpCall {
            url,
            method: self
                .string("method", "write method = \"POST\"")
                .unwrap_or_else(|| "GET".into())
                .to_uppercase(),
            headers: self.map_of("headers"),
            body: self.string("body", "write body = \"...\""),
            select,
            body_regex: self.regex("body_regex"),
        }
    }
}
