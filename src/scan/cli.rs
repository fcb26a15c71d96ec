//! The standalone faces: `scan import` and `scan secrets`. Each returns the text
//! for stdout and the exit code (0 no blocker, 1 blockers); an `Err` is bad
//! input, to be printed on stderr with exit code 2.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;
use serde::{Deserialize, Serialize};

use super::judge::{ScanCriteria, judge};
use super::secrets::{SecretRules, SecretsOptions, scan_secrets};
use super::{
    RiskAcceptance, ScanError, apply_acceptances, load_baseline, mark_known, parse_sarif_files,
    save_baseline,
};
use crate::core::verdict::{Evidence, Verdict};
use crate::output::OutputFormat;
use crate::scan::{BaselineState, Disposition, Finding, Severity};

/// `flightdeck scan import FILE.sarif...`
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// SARIF 2.1.0 files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// Directory of Flightdeck baselines (one JSON file per service).
    #[arg(long, requires = "service")]
    pub baseline_dir: Option<PathBuf>,
    /// Service whose baseline marks findings as known.
    #[arg(long, requires = "baseline_dir")]
    pub service: Option<String>,
    /// Save these findings as the service's new baseline.
    #[arg(long, requires = "baseline_dir")]
    pub save_baseline: bool,
    /// TOML file of risk acceptances (`[[acceptance]]` entries).
    #[arg(long)]
    pub acceptances: Option<PathBuf>,
    /// Judge as of this day (YYYY-MM-DD; default: today, UTC).
    #[arg(long)]
    pub today: Option<NaiveDate>,
}

/// `flightdeck scan secrets PATH...`
#[derive(Args, Debug, Clone)]
pub struct SecretsArgs {
    /// Files or directories to scan.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// gitleaks-format rules file (default: the built-in rules).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_file_bytes: u64,
}

/// File of risk acceptances for `--acceptances`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptanceFile {
    #[serde(default)]
    acceptance: Vec<RiskAcceptance>,
}

/// Counts for the import report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Findings per severity (all, waived included).
    pub by_severity: BTreeMap<String, usize>,
    /// Findings per SARIF baseline state (`none` when the SARIF says nothing).
    pub by_baseline_state: BTreeMap<String, usize>,
    /// Findings in Flightdeck's baseline.
    pub known: usize,
    /// Findings that do not count (accepted suppression or valid acceptance).
    pub waived: usize,
}

/// The JSON document of `scan import --output json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Normalised findings.
    pub findings: Vec<Finding>,
    /// Counts.
    pub counts: Counts,
    /// Verdict under the default criteria.
    pub verdict: Verdict,
    /// Evidence behind it.
    pub evidence: Vec<Evidence>,
    /// One-line summary.
    pub summary: String,
    /// Baseline file written with `--save-baseline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_saved: Option<PathBuf>,
}

/// Run `scan import`.
pub fn import(args: &ImportArgs) -> Result<(String, i32), ScanError> {
    let today = args
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut findings = parse_sarif_files(&args.files)?;
    if let Some(path) = &args.acceptances {
        let text = std::fs::read_to_string(path).map_err(|source| ScanError::Io {
            path: path.clone(),
            source,
        })?;
        let file: AcceptanceFile = toml::from_str(&text).map_err(|e| ScanError::Rules {
            file: path.display().to_string(),
            message: format!("invalid acceptances: {e}"),
        })?;
        for (i, a) in file.acceptance.iter().enumerate() {
            if let Some(p) = a.problems().first() {
                return Err(ScanError::Rules {
                    file: path.display().to_string(),
                    message: format!("acceptance[{i}]: {p}"),
                });
            }
        }
        apply_acceptances(&mut findings, &file.acceptance, today);
    }
    let mut baseline_saved = None;
    if let (Some(dir), Some(service)) = (&args.baseline_dir, &args.service) {
        if let Some(b) = load_baseline(dir, service)? {
            mark_known(&mut findings, &b);
        }
        if args.save_baseline {
            baseline_saved = Some(save_baseline(dir, service, &findings)?);
        }
    }
    let (verdict, evidence, summary) = judge(&findings, &[], &ScanCriteria::default(), today);
    let report = ImportReport {
        counts: counts(&findings, today),
        findings,
        verdict,
        evidence,
        summary,
        baseline_saved,
    };
    let code = i32::from(verdict == Verdict::Fail);
    let text = match args.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&report).expect("report serialises") + "\n"
        }
        OutputFormat::Text => import_text(&report, today),
    };
    Ok((text, code))
}

fn counts(findings: &[Finding], today: NaiveDate) -> Counts {
    let mut c = Counts::default();
    for s in Severity::ALL {
        c.by_severity.insert(s.as_str().into(), 0);
    }
    for f in findings {
        *c.by_severity.entry(f.severity.as_str().into()).or_default() += 1;
        let state = f.baseline_state.map_or("none", BaselineState::as_str);
        *c.by_baseline_state.entry(state.into()).or_default() += 1;
        c.known += usize::from(f.known);
        c.waived += usize::from(matches!(f.disposition(today), Disposition::Waived { .. }));
    }
    c
}

fn import_text(r: &ImportReport, today: NaiveDate) -> String {
    let mut out = String::new();
    let mut sorted: Vec<&Finding> = r.findings.iter().collect();
    sorted.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.rule_id.cmp(&b.rule_id)));
    for f in sorted {
        let state = match f.disposition(today) {
            Disposition::Open { note: None } => String::new(),
            Disposition::Open { note: Some(n) } => format!("  [{n}]"),
            Disposition::Waived { reason } => format!("  [waived: {reason}]"),
            Disposition::Fixed => "  [fixed]".into(),
        };
        let age = if f.is_new() { "new" } else { "known" };
        let _ = writeln!(
            out,
            "{:<4}  {:<24}  {:<12}  {:<5}  {}  {}{state}",
            f.severity.badge(),
            f.rule_id,
            f.tool,
            age,
            f.location,
            f.title
        );
    }
    let sev: Vec<String> = Severity::ALL
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                r.counts.by_severity.get(s.as_str()).unwrap_or(&0),
                s
            )
        })
        .collect();
    let _ = writeln!(out, "\nby severity: {}", sev.join(", "));
    let states: Vec<String> = r
        .counts
        .by_baseline_state
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let _ = writeln!(
        out,
        "by baseline state: {}; known to flightdeck: {}; waived: {}",
        states.join(", "),
        r.counts.known,
        r.counts.waived
    );
    for e in r.evidence.iter().filter(|e| e.verdict != Verdict::Pass) {
        let _ = writeln!(out, "{:<4}  {}: {}", e.verdict.badge(), e.label, e.value);
    }
    if let Some(p) = &r.baseline_saved {
        let _ = writeln!(out, "baseline saved to {}", p.display());
    }
    let _ = writeln!(out, "{}: {}", r.verdict.badge(), r.summary);
    out
}

/// Run `scan secrets`. Exit 1 when any secret is found.
pub fn secrets(args: &SecretsArgs) -> Result<(String, i32), ScanError> {
    let rules = match &args.rules {
        Some(p) => SecretRules::from_file(p)?,
        None => SecretRules::default_rules()?,
    };
    let report = scan_secrets(
        &args.paths,
        &rules,
        &SecretsOptions {
            max_file_bytes: args.max_file_bytes,
        },
    )?;
    let code = i32::from(!report.findings.is_empty());
    let text = match args.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&report).expect("report serialises") + "\n"
        }
        OutputFormat::Text => {
            let mut out = String::new();
            for f in &report.findings {
                let _ = writeln!(
                    out,
                    "{:<4}  {:<18}  {}  {}",
                    f.severity.badge(),
                    f.rule_id,
                    f.location,
                    f.message
                );
            }
            let _ = writeln!(
                out,
                "{} secrets in {} files scanned ({} binary, {} too large, {} allowlisted skipped)",
                report.findings.len(),
                report.files_scanned,
                report.skipped_binary.len(),
                report.skipped_large.len(),
                report.skipped_allowlisted
            );
            out
        }
    };
    Ok((text, code))
}
