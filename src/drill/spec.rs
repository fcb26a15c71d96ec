//! The drill format, read from TOML (a drill file or inline `[[drill]]` in
//! config) into typed drills. Every problem names the drill, the step and
//! the fix: `drill "deploy" method[1] "restart": unknown action kind
//! "comand"; use one of command, http, flag, wait`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::parse_duration;
use crate::core::drill::{DrillKind, Objective, Phase};
use crate::secrets::SecretRef;

use super::tolerance::Tolerance;

/// Default timeout of a step that names none.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// Default timeout of a whole drill.
pub const DEFAULT_DRILL_TIMEOUT: Duration = Duration::from_secs(600);

/// One drill, ready to run.
#[derive(Clone, Debug)]
pub struct Drill {
    /// Unique name.
    pub name: String,
    /// Its kind; `experiment` runs only the declared steps.
    pub kind: DrillKind,
    /// The drill stage that runs it (`None`: every drill stage).
    pub stage: Option<String>,
    /// Probes checked before and after the method.
    pub steady_state: Vec<Step>,
    /// Actions and probes, in order.
    pub method: Vec<Step>,
    /// Run on failure (and on success with `rollback_on_success`).
    pub rollbacks: Vec<Step>,
    /// Probes polled all through; one that trips aborts the drill.
    pub stop_conditions: Vec<Step>,
    /// How often stop conditions are polled.
    pub stop_poll: Duration,
    /// Measured values with bounds.
    pub objectives: Vec<Objective>,
    /// Run the rollbacks also when the method succeeds.
    pub rollback_on_success: bool,
    /// The whole drill's timeout.
    pub timeout: Duration,
    /// The kind's own settings (`[drill.params]`), read by the kind.
    pub params: Value,
    /// The drill file's folder: the kind's relative paths start here
    /// (`.` for drills written inline in the config).
    pub dir: std::path::PathBuf,
}

/// One step: a probe or an action, with its timeout.
#[derive(Clone, Debug)]
pub struct Step {
    /// Name (default: `<kind> #<n>`).
    pub name: String,
    /// Killed (with its process group) after this long.
    pub timeout: Duration,
    /// Record the step's duration in seconds under this measurement name.
    pub measure: Option<String>,
    /// What it does.
    pub body: StepBody,
}

/// A probe or an action.
#[derive(Clone, Debug)]
pub enum StepBody {
    /// Observe and judge against a tolerance.
    Probe(Probe),
    /// Change something.
    Action(Action),
}

/// A probe: what to observe, the tolerance, and whether to poll until it holds.
#[derive(Clone, Debug)]
pub struct Probe {
    /// What to observe.
    pub source: Source,
    /// The observed value must be within it.
    pub tolerance: Tolerance,
    /// Poll until the tolerance holds (or the timeout passes), this often.
    pub poll: Option<Duration>,
    /// Record the observed value (when numeric) under this measurement name.
    pub record: Option<String>,
}

/// What a probe observes.
#[derive(Clone, Debug)]
pub enum Source {
    /// An HTTP request; its status, or a part of its answer.
    Http(HttpCall),
    /// A command; its exit code, or its output.
    Command(CommandSpec),
    /// A PromQL instant query; its first value.
    Promql {
        /// Prometheus base URL.
        url: String,
        /// The query.
        query: String,
    },
    /// A feature flag's canary share (0-100), through the canary's provider
    /// or a flag file.
    Flag {
        /// Flag key.
        flag: String,
        /// A flagd file; absent: the run's canary provider.
        flags_file: Option<String>,
    },
}

/// An HTTP request and which part of the answer is the value.
#[derive(Clone, Debug)]
pub struct HttpCall {
    /// URL.
    pub url: String,
    /// Method (GET by default).
    pub method: String,
    /// Headers; values may be secret references.
    pub headers: BTreeMap<String, HeaderValue>,
    /// Request body.
    pub body: Option<String>,
    /// The value: status (default), a JSON path, a version field, a header or the body.
    pub select: Select,
    /// The body must also match this regex.
    pub body_regex: Option<regex::Regex>,
}

/// Which part of an HTTP answer a probe judges.
#[derive(Clone, Debug, PartialEq)]
pub enum Select {
    /// The status code.
    Status,
    /// A dotted JSON path (`a.b.0.c`) in the body.
    JsonPath(String),
    /// The body text.
    Body,
    /// A response header.
    Header(String),
}

/// A header value: plain text or a secret reference.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum HeaderValue {
    /// Plain text.
    Plain(String),
    /// Resolved at run time, redacted everywhere.
    Secret(SecretRef),
}

/// A command: argv (no shell unless `shell = true`).
#[derive(Clone, Debug)]
pub struct CommandSpec {
    /// Program and arguments; with `shell`, one script for `sh -c`.
    pub argv: Vec<String>,
    /// Run through `sh -c`.
    pub shell: bool,
    /// Extra environment; values may be secret references.
    pub env: BTreeMap<String, HeaderValue>,
    /// Stdout must also match this regex.
    pub stdout_regex: Option<regex::Regex>,
    /// The value judged: the exit code (default) or stdout.
    pub judge_stdout: bool,
}

/// An action.
#[derive(Clone, Debug)]
pub enum Action {
    /// Run a command; it succeeds when its exit code is within the tolerance (0).
    Command(CommandSpec, Tolerance),
    /// Send an HTTP request; it succeeds when the status is within the tolerance (2xx).
    Http(HttpCall, Tolerance),
    /// Set a flag's canary share (0-100) through the provider.
    Flag {
        /// Flag key.
        flag: String,
        /// The share.
        percent: f64,
        /// A flagd file; absent: the run's canary provider.
        flags_file: Option<String>,
    },
    /// Wait.
    Wait(Duration),
}

/// A problem in a drill definition.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    /// Where: `drill "deploy" method[1] "restart"`.
    pub at: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.at, self.message, self.hint)
    }
}

const KINDS: &str = "experiment, deployment_rollback, blue_green, kill_switch, alerting, runbook";

/// Read every drill of a document (`[[drill]]` tables). Returns the drills
/// that are good and every problem found.
pub fn parse_drills(doc: &Value) -> (Vec<Drill>, Vec<SpecError>) {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let items = match doc.get("drill") {
        Some(Value::Array(a)) => a.clone(),
        Some(other @ Value::Object(_)) => vec![other.clone()],
        Some(_) => {
            errors.push(err(
                "drill",
                "must be a list of tables",
                "write [[drill]] tables",
            ));
            return (out, errors);
        }
        None => {
            errors.push(err(
                "file",
                "has no [[drill]] table",
                "add a [[drill]] with a name",
            ));
            return (out, errors);
        }
    };
    for (i, item) in items.iter().enumerate() {
        match parse_drill(item, i) {
            Ok(d) => {
                if out.iter().any(|o: &Drill| o.name == d.name) {
                    errors.push(err(
                        &format!("drill \"{}\"", d.name),
                        "is defined twice",
                        "give each drill a unique name",
                    ));
                } else {
                    out.push(d);
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    (out, errors)
}

fn err(at: &str, message: impl Into<String>, hint: impl Into<String>) -> SpecError {
    SpecError {
        at: at.to_string(),
        message: message.into(),
        hint: hint.into(),
    }
}

const DRILL_KEYS: [&str; 12] = [
    "name",
    "kind",
    "stage",
    "steady_state",
    "method",
    "rollbacks",
    "stop_conditions",
    "stop_poll",
    "objectives",
    "rollback_on_success",
    "timeout",
    "params",
];

fn parse_drill(v: &Value, index: usize) -> Result<Drill, Vec<SpecError>> {
    let Some(map) = v.as_object() else {
        return Err(vec![err(
            &format!("drill[{index}]"),
            "is not a table",
            "write [[drill]] with name = \"...\"",
        )]);
    };
    let name = match map.get("name").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => n.to_string(),
        _ => {
            return Err(vec![err(
                &format!("drill[{index}]"),
                "has no name",
                "add name = \"deploy-rollback\"",
            )]);
        }
    };
    let at = format!("drill \"{name}\"");
    let mut errors = Vec::new();
    for k in map.keys() {
        if !DRILL_KEYS.contains(&k.as_str()) {
            errors.push(err(
                &format!("{at}.{k}"),
                "unknown key",
                crate::config::suggest(k, DRILL_KEYS.iter().map(|s| s.to_string()).collect()),
            ));
        }
    }
    let kind = match map.get("kind") {
        None => DrillKind::Experiment,
        Some(k) => match serde_json::from_value::<DrillKind>(k.clone()) {
            Ok(k) => k,
            Err(_) => {
                errors.push(err(
                    &format!("{at}.kind"),
                    format!("unknown drill kind {k}"),
                    format!("use one of {KINDS}"),
                ));
                DrillKind::Experiment
            }
        },
    };
    let stage = map.get("stage").and_then(Value::as_str).map(str::to_string);
    let mut duration = |key: &str, default: Duration| match map.get(key) {
        None => default,
        Some(Value::String(s)) => parse_duration(s).unwrap_or_else(|e| {
            errors.push(err(
                &format!("{at}.{key}"),
                e,
                "write e.g. 10s, 1m or 500ms",
            ));
            default
        }),
        Some(other) => {
            errors.push(err(
                &format!("{at}.{key}"),
                format!("{other} is not a duration"),
                "write e.g. \"10s\"",
            ));
            default
        }
    };
    let timeout = duration("timeout", DEFAULT_DRILL_TIMEOUT);
    let stop_poll = duration("stop_poll", Duration::from_secs(1));
    let rollback_on_success = match map.get("rollback_on_success") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            errors.push(err(
                &format!("{at}.rollback_on_success"),
                format!("{other} is not true or false"),
                "write rollback_on_success = true",
            ));
            false
        }
    };
    let mut objectives = Vec::new();
    match map.get("objectives") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, o) in items.iter().enumerate() {
                match o.as_str().map(Objective::parse) {
                    Some(Ok(o)) => objectives.push(o),
                    Some(Err(e)) => errors.push(err(
                        &format!("{at}.objectives[{i}]"),
                        e,
                        "write it like \"switch_time_s <= 5\"",
                    )),
                    None => errors.push(err(
                        &format!("{at}.objectives[{i}]"),
                        "is not a string",
                        "write it like \"switch_time_s <= 5\"",
                    )),
                }
            }
        }
        Some(_) => errors.push(err(
            &format!("{at}.objectives"),
            "is not a list",
            "write objectives = [\"switch_time_s <= 5\"]",
        )),
    }
    let mut steps = |key: &str, phase: Phase| -> Vec<Step> {
        let mut out = Vec::new();
        match map.get(key) {
            None => {}
            Some(Value::Array(items)) => {
                for (i, s) in items.iter().enumerate() {
                    match parse_step(s, &format!("{at} {key}[{i}]"), phase, i) {
                        Ok(s) => out.push(s),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Some(_) => errors.push(err(
                &format!("{at}.{key}"),
                "is not a list of steps",
                format!("write [[drill.{key}]] tables"),
            )),
        }
        out
    };
    let steady_state = steps("steady_state", Phase::SteadyBefore);
    let method = steps("method", Phase::Method);
    let rollbacks = steps("rollbacks", Phase::Rollback);
    let stop_conditions = steps("stop_conditions", Phase::StopCondition);
    if errors.is_empty()
        && kind == DrillKind::Experiment
        && method.is_empty()
        && steady_state.is_empty()
    {
        errors.push(err(
            &at,
            "has no steady_state and no method: it would test nothing",
            "add [[drill.method]] steps, or set kind",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Drill {
        name,
        kind,
        stage,
        steady_state,
        method,
        rollbacks,
        stop_conditions,
        stop_poll,
        objectives,
        rollback_on_success,
        timeout,
        params: map.get("params").cloned().unwrap_or(Value::Null),
        dir: std::path::PathBuf::from("."),
    })
}

pub(super) use super::spec_step::parse_step;
