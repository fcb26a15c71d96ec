//! Standalone faces: `env plan`, `env drift`, `env parity`. Each returns the
//! text to print and the exit code (0 fine, 1 a finding that blocks: errored
//! plan, drift, parity below `--min-score`); an `Err` is a usage or input
//! error (exit 2).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::config::IntendedDifference;
use super::error::IacError;
use super::parity::{self, ParityOptions};
use super::{drift, plan, vars};

/// Output format of a face.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human summary.
    #[default]
    Text,
    /// JSON, one document.
    Json,
}

/// `env plan FILE.json`: summarise `terraform show -json PLANFILE` output.
#[derive(Args, Clone, Debug)]
pub struct PlanArgs {
    /// Plan JSON (`terraform show -json PLANFILE > plan.json`).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `env drift FILE.json`: drift from a refresh-only plan.
#[derive(Args, Clone, Debug)]
pub struct DriftArgs {
    /// JSON of a refresh-only plan (`terraform plan -refresh-only -out F && terraform show -json F`).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `env parity --preprod FILE --prod FILE`: how closely pre-production matches production.
#[derive(Args, Clone, Debug)]
pub struct ParityArgs {
    /// Pre-production plan or state JSON.
    #[arg(long)]
    pub preprod: PathBuf,
    /// Production state or plan JSON (or a raw .tfstate).
    #[arg(long)]
    pub prod: PathBuf,
    /// Intended difference: `ADDRESS_PATTERN` (whole resources) or `ADDRESS_PATTERN:ATTRIBUTE_PATTERN`.
    #[arg(long = "ignore", value_name = "PATTERN")]
    pub ignore: Vec<String>,
    /// Regex removed from addresses before matching, e.g. `^module\.(preprod|prod)\.`.
    #[arg(long = "strip", value_name = "REGEX")]
    pub strip: Vec<String>,
    /// Drop instance keys (`[0]`, `["a"]`) from addresses before matching.
    #[arg(long)]
    pub strip_index: bool,
    /// Pre-production var file (.tfvars or .tfvars.json), compared with `--prod-vars`.
    #[arg(long, requires = "prod_vars")]
    pub preprod_vars: Option<PathBuf>,
    /// Production var file.
    #[arg(long, requires = "preprod_vars")]
    pub prod_vars: Option<PathBuf>,
    /// Exit 1 below this score.
    #[arg(long, default_value_t = 100.0)]
    pub min_score: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

fn json<T: serde::Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("summaries serialise");
    s.push('\n');
    s
}

/// `env plan`.
pub fn run_plan(args: &PlanArgs) -> Result<(String, i32), IacError> {
    let s = plan::read(&args.file)?;
    let code = i32::from(s.failure().is_some());
    Ok((
        match args.output {
            OutputFormat::Text => s.to_text(),
            OutputFormat::Json => json(&s),
        },
        code,
    ))
}

/// `env drift`.
pub fn run_drift(args: &DriftArgs) -> Result<(String, i32), IacError> {
    let d = drift::read(&args.file)?;
    let code = i32::from(d.has_drift());
    Ok((
        match args.output {
            OutputFormat::Text => d.to_text(),
            OutputFormat::Json => json(&d),
        },
        code,
    ))
}

/// Read `ADDRESS[:ATTRIBUTE]` into an intended difference.
pub fn parse_ignore(p: &str) -> IntendedDifference {
    let (address, attribute) = match p.rsplit_once(':') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => (a, b),
        _ => (p, "*"),
    };
    IntendedDifference {
        address: address.into(),
        attribute: attribute.into(),
        reason: Some(format!("--ignore {p}")),
    }
}

/// `env parity`.
pub fn run_parity(args: &ParityArgs) -> Result<(String, i32), IacError> {
    let cfg = super::config::ParityConfig {
        intended: args.ignore.iter().map(|p| parse_ignore(p)).collect(),
        strip: args.strip.clone(),
        strip_index: args.strip_index,
        ..Default::default()
    };
    let opts = ParityOptions::from_config(&cfg)?;
    let report = parity::compare(
        &parity::read(&args.preprod)?,
        &parity::read(&args.prod)?,
        &opts,
    );
    let var_report = match (&args.preprod_vars, &args.prod_vars) {
        (Some(a), Some(b)) => Some(vars::compare(a, b, &cfg.intended)?),
        _ => None,
    };
    let below = report.score.is_some_and(|s| s < args.min_score);
    let var_diff = var_report
        .as_ref()
        .is_some_and(|r| r.unintended().next().is_some());
    let code = i32::from(below || var_diff);
    let text = match args.output {
        OutputFormat::Json => {
            json(&serde_json::json!({ "resources": report, "var_files": var_report }))
        }
        OutputFormat::Text => {
            let mut t = report.to_text();
            if let Some(v) = &var_report {
                t.push_str(&format!(
                    "var files {} vs {}: {} equal\n",
                    v.preprod_file, v.prod_file, v.matching
                ));
                for d in &v.differences {
                    t.push_str(&format!(
                        "  {:<8} var.{}: preprod {} | prod {}\n",
                        if d.intended { "intended" } else { "DIFF" },
                        d.key,
                        d.preprod.as_deref().unwrap_or("(absent)"),
                        d.prod.as_deref().unwrap_or("(absent)")
                    ));
                }
            }
            t
        }
    };
    Ok((text, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_patterns_split_on_the_last_colon() {
        let d = parse_ignore("aws_instance.*:instance_type");
        assert_eq!(
            (d.address.as_str(), d.attribute.as_str()),
            ("aws_instance.*", "instance_type")
        );
        assert_eq!(parse_ignore("output.*_url").attribute, "*");
    }
}
