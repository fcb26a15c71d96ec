//! `[[policy.gates]]`: rules that are neither `deny` nor `warn` (OPA's
//! `allow`/`authz`/`score` style) as checks. A boolean rule must be true; a
//! numeric rule must lie within its bounds; an undefined rule, or a value
//! of the wrong type, is not evaluable, which the stage counts as
//! inconclusive, never as a pass.

use serde_json::Value;

use super::config::{GateLevel, PolicyGate};
use super::query::eval_loaded;
use super::rego::load_sources;
use super::{PolicyOutcome, PolicyResult};
use crate::core::format::trim_num;

/// Evaluate each gate over policies given as `(name, text)`. `input_for`
/// gives each gate its input document (its own file, or the run's facts),
/// or why it could not be read.
pub fn evaluate_gates(
    sources: &[(String, String)],
    gates: &[PolicyGate],
    input_for: impl Fn(&PolicyGate) -> Result<Value, String>,
) -> Vec<PolicyResult> {
    if gates.is_empty() {
        return Vec::new();
    }
    // Files that do not parse are reported by the deny/warn pass; the
    // gates run over the others.
    let (loaded, _) = load_sources(sources);
    gates
        .iter()
        .map(|g| {
            let result = |outcome, message: String| PolicyResult {
                policy: g.label(),
                rule: g.rule().to_string(),
                outcome,
                messages: vec![message],
            };
            let input = match input_for(g) {
                Ok(v) => v,
                Err(e) => {
                    return result(PolicyOutcome::NotEvaluable, format!("not evaluable: {e}"));
                }
            };
            let value = match eval_loaded(&loaded, &input, g.rule()) {
                Ok(a) if a.undefined() => {
                    return result(
                        PolicyOutcome::NotEvaluable,
                        format!("not evaluable: {} is undefined for this input", g.rule()),
                    );
                }
                Ok(a) => a.values.into_iter().next().unwrap_or(Value::Null),
                Err(e) => {
                    return result(PolicyOutcome::NotEvaluable, format!("not evaluable: {e}"));
                }
            };
            let (held, message) = judge(g, &value);
            let outcome = match (held, g.level) {
                (Some(true), _) => PolicyOutcome::Pass,
                (Some(false), GateLevel::Deny) => PolicyOutcome::Deny,
                (Some(false), GateLevel::Warn) => PolicyOutcome::Warn,
                (None, _) => PolicyOutcome::NotEvaluable,
            };
            result(outcome, message)
        })
        .collect()
}

/// Whether the gate holds for `value` (`None`: the value has the wrong
/// type), and the sentence that says so.
fn judge(g: &PolicyGate, value: &Value) -> (Option<bool>, String) {
    let rule = g.rule();
    if g.allow.is_some() {
        return match value.as_bool() {
            Some(true) => (Some(true), format!("{rule} is true")),
            Some(false) => (Some(false), format!("{rule} is false (must be true)")),
            None => (
                None,
                format!(
                    "not evaluable: {rule} is {value}, not a boolean (allow needs true or false)"
                ),
            ),
        };
    }
    let Some(score) = &g.score else {
        return (None, "not evaluable: the gate names no rule".into());
    };
    let Some(v) = value.as_f64() else {
        return (
            None,
            format!("not evaluable: {rule} is {value}, not a number (score needs one)"),
        );
    };
    let shown = trim_num(v);
    if let Some(max) = score.max
        && v > max
    {
        return (
            Some(false),
            format!("{rule} = {shown}, above max {}", trim_num(max)),
        );
    }
    if let Some(min) = score.min
        && v < min
    {
        return (
            Some(false),
            format!("{rule} = {shown}, below min {}", trim_num(min)),
        );
    }
    let bounds: Vec<String> = [
        score.min.map(|m| format!("min {}", trim_num(m))),
        score.max.map(|m| format!("max {}", trim_num(m))),
    ]
    .into_iter()
    .flatten()
    .collect();
    (
        Some(true),
        format!("{rule} = {shown}, within {}", bounds.join(" and ")),
    )
}
