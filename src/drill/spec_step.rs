//! Reading one drill step: `probe = "http"` or `action = "command"` and the
//! keys of that kind, each checked, unknown keys named with a suggestion.

use std::time::Duration;

use serde_json::{Value, json};

use crate::core::drill::Phase;

use super::spec::{Action, DEFAULT_STEP_TIMEOUT, Probe, Select, Source, SpecError, Step, StepBody};
use super::spec_reader::Reader;
use super::tolerance::Tolerance;

const PROBE_KINDS: &str = "http, command, promql, flag";
const ACTION_KINDS: &str = "command, http, flag, wait";

/// Read one step at `at` (`drill "deploy" method[1]`).
pub fn parse_step(v: &Value, at: &str, phase: Phase, index: usize) -> Result<Step, SpecError> {
    let Some(map) = v.as_object() else {
        return Err(SpecError {
            at: at.to_string(),
            message: "is not a table".into(),
            hint: "write a [[...]] table with probe = \"...\" or action = \"...\"".into(),
        });
    };
    let name = map.get("name").and_then(Value::as_str).map(str::to_string);
    let mut r = Reader {
        map,
        at: match &name {
            Some(n) => format!("{at} \"{n}\""),
            None => at.to_string(),
        },
        errors: Vec::new(),
    };
    let probes_only = matches!(
        phase,
        Phase::SteadyBefore | Phase::SteadyAfter | Phase::StopCondition
    );
    let probe = r.string("probe", PROBE_KINDS);
    let action = r.string("action", ACTION_KINDS);
    let timeout = r.duration("timeout");
    let measure = r.string("measure", "write measure = \"switch_time_s\"");
    let body = match (probe, action) {
        (Some(_), Some(_)) => {
            r.fail(
                "",
                "has both probe and action",
                "a step is one or the other",
            );
            None
        }
        (None, None) => {
            r.fail(
                "",
                "has neither probe nor action",
                format!("add probe = one of {PROBE_KINDS}, or action = one of {ACTION_KINDS}"),
            );
            None
        }
        (None, Some(_)) if probes_only => {
            r.fail(
                "action",
                "an action cannot be a steady-state probe or a stop condition",
                "move it to [[drill.method]] or [[drill.rollbacks]]",
            );
            None
        }
        (Some(kind), None) => probe_body(&mut r, &kind).map(StepBody::Probe),
        (None, Some(kind)) => action_body(&mut r, &kind).map(StepBody::Action),
    };
    if let Some(e) = r.errors.into_iter().next() {
        return Err(e);
    }
    let Some(body) = body else {
        return Err(SpecError {
            at: at.to_string(),
            message: "could not be read".into(),
            hint: "see the other errors".into(),
        });
    };
    let default_name = match &body {
        StepBody::Probe(p) => format!("{} probe #{}", source_kind(&p.source), index + 1),
        StepBody::Action(a) => format!("{} #{}", action_kind(a), index + 1),
    };
    let timeout = timeout.unwrap_or(match &body {
        StepBody::Action(Action::Wait(d)) => *d + Duration::from_secs(1),
        _ => DEFAULT_STEP_TIMEOUT,
    });
    Ok(Step {
        name: name.unwrap_or(default_name),
        timeout,
        measure,
        body,
    })
}

fn source_kind(s: &Source) -> &'static str {
    match s {
        Source::Http(_) => "http",
        Source::Command(_) => "command",
        Source::Promql { .. } => "promql",
        Source::Flag { .. } => "flag",
    }
}

fn action_kind(a: &Action) -> &'static str {
    match a {
        Action::Command(..) => "command",
        Action::Http(..) => "http",
        Action::Flag { .. } => "flag",
        Action::Wait(_) => "wait",
    }
}

const PROBE_COMMON: [&str; 3] = ["tolerance", "poll", "record"];

fn probe_body(r: &mut Reader<'_>, kind: &str) -> Option<Probe> {
    let source = match kind {
        "http" => {
            r.unknown(
                &[
                    &PROBE_COMMON[..],
                    &[
                        "url",
                        "method",
                        "headers",
                        "body",
                        "json_path",
                        "version_field",
                        "header",
                        "select",
                        "body_regex",
                    ],
                ]
                .concat(),
            );
            let select = if let Some(p) =
                r.string("json_path", "write json_path = \"data.version\"")
            {
                Select::JsonPath(p.trim_start_matches("$.").to_string())
            } else if let Some(f) = r.string("version_field", "write version_field = \"version\"") {
                Select::JsonPath(f)
            } else if let Some(h) = r.string("header", "write header = \"x-variant\"") {
                Select::Header(h.to_ascii_lowercase())
            } else {
                match r.string("select", "status or body").as_deref() {
                    None | Some("status") => Select::Status,
                    Some("body") => Select::Body,
                    Some(other) => {
                        r.fail(
                            "select",
                            format!("unknown value `{other}`"),
                            "use status or body (or json_path, version_field, header)",
                        );
                        Select::Status
                    }
                }
            };
            let default = (select == Select::Status).then(|| json!({ "min": 200, "max": 399 }));
            let call = r.http(select);
            let tolerance = r.tolerance("tolerance", default);
            return Some(probe_common(r, Source::Http(call), tolerance));
        }
        "command" => {
            r.unknown(
                &[
                    &PROBE_COMMON[..],
                    &["argv", "shell", "env", "stdout_regex", "judge"],
                ]
                .concat(),
            );
            let mut c = r.command();
            c.judge_stdout = match r.string("judge", "exit_code or stdout").as_deref() {
                None | Some("exit_code") => false,
                Some("stdout") => true,
                Some(other) => {
                    r.fail(
                        "judge",
                        format!("unknown value `{other}`"),
                        "use exit_code or stdout",
                    );
                    false
                }
            };
            let default = (!c.judge_stdout).then(|| json!(0));
            let tolerance = r.tolerance("tolerance", default);
            return Some(probe_common(r, Source::Command(c), tolerance));
        }
        "promql" => {
            r.unknown(&[&PROBE_COMMON[..], &["url", "query"]].concat());
            Source::Promql {
                url: r.required("url", "write url = \"http://127.0.0.1:9090\""),
                query: r.required("query", "write query = \"sum(rate(errors[1m]))\""),
            }
        }
        "flag" => {
            r.unknown(&[&PROBE_COMMON[..], &["flag", "flags_file"]].concat());
            Source::Flag {
                flag: r.required("flag", "write flag = \"checkout-v2\""),
                flags_file: r.string("flags_file", "write flags_file = \"flags.json\""),
            }
        }
        other => {
            r.fail(
                "probe",
                format!("unknown probe kind `{other}`"),
                format!("use one of {PROBE_KINDS}"),
            );
            return None;
        }
    };
    let tolerance = r.tolerance("tolerance", None);
    Some(probe_common(r, source, tolerance))
}

fn probe_common(r: &mut Reader<'_>, source: Source, tolerance: Tolerance) -> Probe {
    Probe {
        source,
        tolerance,
        poll: r.duration("poll"),
        record: r.string("record", "write record = \"p99_ms\""),
    }
}

fn action_body(r: &mut Reader<'_>, kind: &str) -> Option<Action> {
    Some(match kind {
        "command" => {
            r.unknown(&["argv", "shell", "env", "stdout_regex", "expect_exit"]);
            let c = r.command();
            let t = r.tolerance("expect_exit", Some(json!(0)));
            Action::Command(c, t)
        }
        "http" => {
            r.unknown(&[
                "url",
                "method",
                "headers",
                "body",
                "body_regex",
                "expect_status",
            ]);
            let c = r.http(Select::Status);
            let t = r.tolerance("expect_status", Some(json!({ "min": 200, "max": 299 })));
            Action::Http(c, t)
        }
        "flag" => {
            r.unknown(&["flag", "percent", "flags_file"]);
            let flag = r.required("flag", "write flag = \"checkout-v2\"");
            let percent = match r.map.get("percent").and_then(Value::as_f64) {
                Some(p) if (0.0..=100.0).contains(&p) => p,
                _ => {
                    r.fail(
                        "percent",
                        "must be a number from 0 to 100",
                        "write percent = 100",
                    );
                    0.0
                }
            };
            Action::Flag {
                flag,
                percent,
                flags_file: r.string("flags_file", "write flags_file = \"flags.json\""),
            }
        }
        "wait" => {
            r.unknown(&["duration"]);
            match r.duration("duration") {
                Some(d) => Action::Wait(d),
                None => {
                    if !r.map.contains_key("duration") {
                        r.fail("duration", "is required", "write duration = \"5s\"");
                    }
                    return None;
                }
            }
        }
        other => {
            r.fail(
                "action",
                format!("unknown action kind `{other}`"),
                format!("use one of {ACTION_KINDS}"),
            );
            return None;
        }
    })
}
