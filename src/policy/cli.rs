//! `flightdeck policy eval --policy DIR --input FILE.json`.
//! Exit codes: 0 all pass (warnings allowed), 1 a deny, 3 a policy not
//! evaluable and no deny; an `Err` is bad input (exit 2).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::{PolicyError, PolicyOutcome, evaluate_dir};
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
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// Run `policy eval`.
pub fn eval(args: &EvalArgs) -> Result<(String, i32), PolicyError> {
    let text = std::fs::read_to_string(&args.input).map_err(|source| PolicyError::Io {
        path: args.input.clone(),
        source,
    })?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let input: serde_json::Value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let json_path = e.path().to_string();
        let inner = e.into_inner();
        PolicyError::InvalidInput {
            file: args.input.display().to_string(),
            json_path,
            line: inner.line(),
            column: inner.column(),
            message: crate::scan::json_error_message(&inner.to_string()),
        }
    })?;
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
