//! `flightdeck policy eval --policy DIR --input FILE.json [--query data.pkg.rule]`.
//! Exit codes: 0 all pass (warnings allowed), 1 a deny, 3 a policy not
//! evaluable and no deny; an `Err` is bad input (exit 2).
//!
//! With `--query`, it answers as `opa eval` does: the JSON of the results
//! (`{}` when undefined), exit 0 whatever the value; `--fail` exits 1 on an
//! undefined result and `--fail-defined` on a defined one, as in opa.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::{PolicyError, PolicyOutcome, eval_query, evaluate_dir, load_dir};
use crate::output::OutputFormat;

/// `flightdeck policy eval`
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// Directory of `.rego` files.
    #[arg(long)]
    pub policy: PathBuf,
    /// Input document (the run's facts), JSON.
    #[arg(long)]
    pub input: PathBuf,
    /// Evaluate this query instead (e.g. `data.terraform.analysis.authz`) and
    /// print its value as `opa eval` does (`--output json`: opa's JSON).
    #[arg(long)]
    pub query: Option<String>,
    /// With `--query`: exit 1 when the result is undefined (as `opa eval --fail`).
    #[arg(long, requires = "query")]
    pub fail: bool,
    /// With `--query`: exit 1 when the result is defined (as `opa eval --fail-defined`).
    #[arg(long, requires = "query", conflicts_with = "fail")]
    pub fail_defined: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// The input document, with the JSON path of a syntax error.
fn read_input(args: &EvalArgs) -> Result<serde_json::Value, PolicyError> {
    let text = std::fs::read_to_string(&args.input).map_err(|source| PolicyError::Io {
        path: args.input.clone(),
        source,
    })?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let json_path = e.path().to_string();
        let inner = e.into_inner();
        PolicyError::InvalidInput {
            file: args.input.display().to_string(),
            json_path,
            line: inner.line(),
            column: inner.column(),
            message: crate::scan::json_error_message(&inner.to_string()),
        }
    })
}

/// `--query`: the value as `opa eval` prints it. Text output is the value's
/// JSON (one per result), or `undefined`.
fn query(args: &EvalArgs, query: &str) -> Result<(String, i32), PolicyError> {
    let input = read_input(args)?;
    let answer = eval_query(&load_dir(&args.policy)?, &input, query).map_err(|message| {
        PolicyError::Query {
            dir: args.policy.clone(),
            message,
        }
    })?;
    let code = match (answer.undefined(), args.fail, args.fail_defined) {
        (true, true, _) | (false, _, true) => 1,
        _ => 0,
    };
    let out = match args.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&answer.json).expect("JSON values serialise") + "\n"
        }
        OutputFormat::Text if answer.undefined() => "undefined\n".to_string(),
        OutputFormat::Text => answer
            .values
            .iter()
            .map(|v| serde_json::to_string_pretty(v).expect("JSON values serialise") + "\n")
            .collect(),
    };
    Ok((out, code))
}

/// Run `policy eval`.
pub fn eval(args: &EvalArgs) -> Result<(String, i32), PolicyError> {
    if let Some(q) = &args.query {
        return query(args, q);
    }
    let input = read_input(args)?;
    let results = evaluate_dir(&args.policy, &input)?;
    let has = |o: PolicyOutcome| results.iter().any(|r| r.outcome == o);
    let code = if has(PolicyOutcome::Deny) {
        1
    } else if has(PolicyOutcome::NotEvaluable) {
        3
    } else {
        0
    };
    let out = match args.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&results).expect("results serialise") + "\n"
        }
        OutputFormat::Text => {
            let mut out = String::new();
            for r in &results {
                let _ = writeln!(out, "{:<4}  {} {}", r.outcome.badge(), r.policy, r.rule);
                for m in &r.messages {
                    let _ = writeln!(out, "      - {m}");
                }
            }
            let count = |o| results.iter().filter(|r| r.outcome == o).count();
            let _ = writeln!(
                out,
                "{} deny, {} warn, {} pass, {} not evaluable",
                count(PolicyOutcome::Deny),
                count(PolicyOutcome::Warn),
                count(PolicyOutcome::Pass),
                count(PolicyOutcome::NotEvaluable)
            );
            out
        }
    };
    Ok((out, code))
}
