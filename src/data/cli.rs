//! The `flightdeck data classify|copy|verify` faces. Exit codes: 0 pass,
//! 1 fail (a leak, a parity failure, an unruled personal column, a copy that
//! broke), 2 usage or config (nothing written), 3 a database unreachable
//! (nothing checked), 4 internal.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::DataError;
use super::catalog;
use super::classify;
use super::conn::Endpoint;
use super::copy::{self, CopyEvent, CopyOptions};
use super::plan;
use super::rules::Rules;
use super::scale;
use super::starter;
use super::transform::HmacKey;
use super::verify;
use crate::core::verdict::Verdict;
use crate::output::OutputFormat;
use crate::secrets::Secret;

/// `flightdeck data ...`
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DataCommand,
}

/// Where a database is: a connection string, or the variable that holds it.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Source connection string (visible to `ps`: prefer --source-env).
    #[arg(long, conflicts_with = "source_env")]
    pub source: Option<String>,
    /// Environment variable holding the source connection string.
    #[arg(long)]
    pub source_env: Option<String>,
}

/// The target database.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Target connection string (visible to `ps`: prefer --target-env).
    #[arg(long, conflicts_with = "target_env")]
    pub target: Option<String>,
    /// Environment variable holding the target connection string.
    #[arg(long)]
    pub target_env: Option<String>,
}

/// Data subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum DataCommand {
    /// Classify every source column as personal, quasi-identifier or other.
    Classify {
        /// The source.
        #[command(flatten)]
        source: SourceArgs,
        /// Check every personal column has a rule or an acceptance (exit 1 if not).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Write a starter rules file, each rule commented with why.
        #[arg(long)]
        write_rules: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// Copy the source into the target, transforming personal columns.
    Copy {
        /// The source.
        #[command(flatten)]
        source: SourceArgs,
        /// The target.
        #[command(flatten)]
        target: TargetArgs,
        /// The rules file.
        #[arg(long)]
        rules: PathBuf,
        /// Drop everything the target holds first.
        #[arg(long)]
        replace: bool,
        /// Tables copied side by side (default: the rules' `jobs`, else 2).
        #[arg(long)]
        jobs: Option<usize>,
        /// Whole copies of the rows in the target: 2 adds one synthetic
        /// copy of every table (new keys, same fan-out, fresh pseudonyms).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// Leak scan and parity between two databases (exit 1 on any leak or
    /// parity failure).
    Verify {
        /// The source.
        #[command(flatten)]
        source: SourceArgs,
        /// The target.
        #[command(flatten)]
        target: TargetArgs,
        /// The rules file (acceptances, quasi-identifiers, tolerances).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The scale the target was copied with: row counts and sizes are
        /// expected times this.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputFormat,
    },
}

fn endpoint(
    role: &'static str,
    value: &Option<String>,
    env: &Option<String>,
) -> Result<Endpoint, DataError> {
    let url = match (value, env) {
        (Some(v), _) => Secret::new(v.clone()),
        (None, Some(var)) => match std::env::var(var) {
            Ok(v) if !v.is_empty() => Secret::new(v),
            _ => {
                return Err(DataError::Usage(format!(
                    "--{role}-env {var}: the variable is not set or empty"
                )));
            }
        },
        (None, None) => {
            return Err(DataError::Usage(format!(
                "give the {role} database: --{role} URL or --{role}-env VAR"
            )));
        }
    };
    Endpoint::new(role, url)
}

fn load_rules(path: &Option<PathBuf>) -> Result<Rules, DataError> {
    match path {
        Some(p) => Rules::load(p),
        None => Ok(Rules {
            source: "(no rules file)".into(),
            jobs: 2,
            ..Rules::default()
        }),
    }
}

/// Resolve the rules' HMAC key, if they have one.
pub async fn resolve_key(rules: &Rules) -> Result<Option<HmacKey>, DataError> {
    match &rules.hmac_key {
        None => Ok(None),
        Some(r) => r
            .resolve()
            .await
            .map(|s| Some(HmacKey::new(&s)))
            .map_err(|e| DataError::Usage(format!("{}: hmac_key {r}: {e}", rules.source))),
    }
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}

/// Run a data subcommand: what to print and the exit code.
pub async fn run(args: DataArgs) -> Result<(String, i32), DataError> {
    match args.command {
        DataCommand::Classify {
            source,
            rules,
            write_rules,
            output,
        } => {
            let src = endpoint("source", &source.source, &source.source_env)?;
            let r = load_rules(&rules)?;
            let client = src.connect().await?;
            let mut cat = catalog::read(&client).await?;
            plan::add_references(&mut cat, &r)?;
            let p = plan::resolve(&cat, &r)?;
            let mut reports = classify::classify(&client, &cat).await?;
            classify::check_rules(&mut reports, &p, &r, chrono::Utc::now().date_naive());
            if let Some(path) = &write_rules {
                std::fs::write(path, starter::write(&reports, &cat, &src.label)).map_err(|e| {
                    DataError::Usage(format!("cannot write {}: {e}", path.display()))
                })?;
                eprintln!("data: wrote starter rules to {}", path.display());
            }
            let unruled = reports.iter().filter(|r| r.unruled).count();
            let code = i32::from(rules.is_some() && unruled > 0);
            let text = match output {
                OutputFormat::Json => json(&serde_json::json!({
                    "source": src.label,
                    "columns": reports,
                    "unruled": unruled,
                })),
                OutputFormat::Text => {
                    let mut s = String::new();
                    for r in &reports {
                        s += &format!(
                            "{:<17} {}.{} ({}){}{}\n",
                            r.class.as_str(),
                            r.table,
                            r.column,
                            r.type_name,
                            if r.reasons.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", r.reasons.join("; "))
                            },
                            if r.unruled { "  NO RULE" } else { "" }
                        );
                    }
                    s += &format!(
                        "{} columns, {unruled} personal without a rule\n",
                        reports.len()
                    );
                    s
                }
            };
            Ok((text, code))
        }
        DataCommand::Copy {
            source,
            target,
            rules,
            replace,
            jobs,
            scale,
            output,
        } => {
            let scale = scale::whole(scale, "--scale").map_err(DataError::Usage)?;
            let src = endpoint("source", &source.source, &source.source_env)?;
            let tgt = endpoint("target", &target.target, &target.target_env)?;
            let r = Rules::load(&rules)?;
            let key = resolve_key(&r).await?;
            // Every personal column needs a rule (or an acceptance) before a
            // single row is written.
            let client = src.connect().await?;
            let mut cat = catalog::read(&client).await?;
            plan::add_references(&mut cat, &r)?;
            let p = plan::resolve(&cat, &r)?;
            let mut reports = classify::classify(&client, &cat).await?;
            classify::check_rules(&mut reports, &p, &r, chrono::Utc::now().date_naive());
            let unruled: Vec<String> = reports
                .iter()
                .filter(|x| x.unruled)
                .map(|x| format!("{}.{}", x.table, x.column))
                .collect();
            if !unruled.is_empty() {
                return Err(DataError::Copy(format!(
                    "{}: personal columns without a rule: {}; nothing was written. Add a rule, or accept each with a reason and an expiry ([[accept]])",
                    r.source,
                    unruled.join(", ")
                )));
            }
            drop(client);
            let opts = CopyOptions {
                replace,
                jobs: jobs.unwrap_or(r.jobs),
                scale,
            };
            let progress: copy::Progress = Arc::new(|e| match e {
                CopyEvent::Phase(p) => eprintln!("data copy: {p}"),
                CopyEvent::Started(t) => eprintln!(
                    "data copy: {} started (~{} rows){}",
                    t.table,
                    t.estimated_rows,
                    if t.transforms.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", t.transforms.join(" "))
                    }
                ),
                CopyEvent::Rows { table, rows } => eprintln!("data copy: {table} {rows} rows"),
                CopyEvent::Copied(c) => eprintln!(
                    "data copy: {} copied {} rows in {:.2} s ({:.0} rows/s)",
                    c.table, c.rows, c.seconds, c.rows_per_sec
                ),
            });
            let report = copy::copy(&src, &tgt, &r, key, &opts, progress).await?;
            let text = match output {
                OutputFormat::Json => json(&report),
                OutputFormat::Text => format!(
                    "copied {} tables, {} rows, {} sequences from {} to {} in {:.2} s\n",
                    report.tables.len(),
                    report.rows,
                    report.sequences,
                    report.source,
                    report.target,
                    report.seconds
                ),
            };
            Ok((text, 0))
        }
        DataCommand::Verify {
            source,
            target,
            rules,
            scale,
            output,
        } => {
            let scale = scale::whole(scale, "--scale").map_err(DataError::Usage)?;
            let src = endpoint("source", &source.source, &source.source_env)?;
            let tgt = endpoint("target", &target.target, &target.target_env)?;
            let r = load_rules(&rules)?;
            let progress = |line: String| eprintln!("data verify: {line}");
            let report = verify::verify(&src, &tgt, &r, scale, &progress).await?;
            let code = i32::from(report.verdict == Verdict::Fail);
            let text = match output {
                OutputFormat::Json => json(&report),
                OutputFormat::Text => text_verify(&report),
            };
            Ok((text, code))
        }
    }
}

fn text_verify(r: &verify::VerifyReport) -> String {
    let mut s = format!(
        "leak scan: {} source values hashed, {} target rows, {} values in {:.2} s, {} findings\n",
        r.leak.source_values,
        r.leak.rows,
        r.leak.values,
        r.leak.seconds,
        r.leak.findings.len()
    );
    for f in &r.leak.findings {
        s += &format!(
            "  FAIL {:?} {}.{} row {} detector {} ({} hits)\n",
            f.kind, f.table, f.column, f.row_key, f.detector, f.count
        );
    }
    for k in &r.k_anonymity {
        s += &format!(
            "k-anonymity {} ({}): k = {} (min {}) {}\n",
            k.table,
            k.columns.join(","),
            k.k,
            k.min_k,
            k.verdict.badge()
        );
    }
    for p in r.parity.iter().filter(|p| p.verdict != Verdict::Pass) {
        s += &format!(
            "  FAIL parity {} {} {}: source {} target {} ({})\n",
            p.table, p.column, p.metric, p.source, p.target, p.tolerance
        );
    }
    s += &format!(
        "parity: {} lines, {} failed\nverdict: {}\n",
        r.parity.len(),
        r.parity
            .iter()
            .filter(|p| p.verdict == Verdict::Fail)
            .count(),
        r.verdict.badge()
    );
    s
}
