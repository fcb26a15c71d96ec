//! `[scan]`: where findings come from (SARIF files, scanner commands, the
//! built-in secrets scan, posture URLs), the risk acceptances, and the
//! criteria a release must meet.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{RiskAcceptance, ScanCriteria, ScannerCommand};
use crate::config::{
    Problem, Severity, check_dir, check_file, check_url, holds_placeholder, program_exists,
};

/// `[scan]`: where findings come from and what they must satisfy.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(default)]
pub struct ScanSection {
    /// SARIF files to import (from scanners that already ran).
    pub sarif: Vec<PathBuf>,
    /// Scanner commands the stage runs (argv arrays, never a shell).
    pub scanners: Vec<ScannerCommand>,
    /// Paths the built-in secrets scan walks.
    pub secrets_paths: Vec<PathBuf>,
    /// gitleaks-format rules; the built-in `config/secrets-rules.toml` when absent.
    pub secrets_rules: Option<PathBuf>,
    /// URLs whose HTTP security posture is checked (headers; TLS certificate
    /// expiry, hostname and trust for https).
    pub posture_urls: Vec<String>,
    /// Extra trusted CA certificates (PEM) for the posture checks, e.g. an
    /// internal pre-production CA.
    pub posture_ca_file: Option<PathBuf>,
    /// A certificate expiring within this many days is a finding (default 30).
    pub cert_expiry_warn_days: Option<u32>,
    /// Risk acceptances: rule or fingerprint, justification, approver, expiry.
    pub acceptances: Vec<RiskAcceptance>,
    /// Pass/fail criteria.
    pub criteria: ScanCriteria,
}

impl ScanSection {
    /// Every problem in `[scan]`, keys from the top: posture URLs, risk
    /// acceptances, scanner commands.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (i, u) in self.posture_urls.iter().enumerate() {
            check_url(u, &format!("scan.posture_urls[{i}]"), &mut out);
        }
        for (i, a) in self.acceptances.iter().enumerate() {
            for p in a.problems() {
                out.push(Problem::at(
                    format!("scan.acceptances[{i}]"),
                    p,
                    "give rule or fingerprint, a justification, an approver and an expiry date",
                ));
            }
        }
        for (i, sc) in self.scanners.iter().enumerate() {
            if sc.argv.is_empty() {
                out.push(Problem::at(
                    format!("scan.scanners[{i}].argv"),
                    "is empty",
                    "write the program and its arguments, e.g. [\"bandit\", \"-f\", \"sarif\", ...]",
                ));
            }
        }
        out
    }

    /// The files, folders and programs `[scan]` names that do not exist,
    /// keys from the top, each a problem at `severity`: the caller knows
    /// whether the scan stage is hard (a missing source leaves it
    /// inconclusive) or optional. Relative paths are relative to the
    /// directory Flightdeck runs in, as in a run.
    pub fn check_paths(&self, severity: Severity) -> Vec<Problem> {
        let mut out = Vec::new();
        for (i, f) in self.sarif.iter().enumerate() {
            check_file(
                f,
                &format!("scan.sarif[{i}]"),
                "run the scanner first (e.g. `trivy fs --format sarif -o FILE .`) or fix the path; relative paths start where flightdeck runs",
                severity,
                &mut out,
            );
        }
        for (i, p) in self.secrets_paths.iter().enumerate() {
            if !holds_placeholder(&p.to_string_lossy()) && !p.exists() {
                out.push(
                    Problem::at(
                        format!("scan.secrets_paths[{i}]"),
                        format!("{} does not exist", p.display()),
                        "point it at a folder or file to scan for secrets",
                    )
                    .with_severity(severity),
                );
            }
        }
        if let Some(r) = &self.secrets_rules {
            check_file(
                r,
                "scan.secrets_rules",
                "point it at a gitleaks-format rules file, or remove it for the built-in rules",
                severity,
                &mut out,
            );
        }
        if let Some(ca) = &self.posture_ca_file {
            check_file(
                ca,
                "scan.posture_ca_file",
                "point it at a PEM file of trusted CA certificates, or remove it",
                severity,
                &mut out,
            );
        }
        for (i, sc) in self.scanners.iter().enumerate() {
            if let Some(dir) = &sc.cwd {
                check_dir(
                    dir,
                    &format!("scan.scanners[{i}].cwd"),
                    "create it, or point cwd at the folder the scanner runs in",
                    severity,
                    &mut out,
                );
            }
            let Some(program) = sc.argv.first() else {
                continue;
            };
            let in_cwd = sc
                .cwd
                .as_ref()
                .is_some_and(|d| d.join(program).is_file() && program.contains('/'));
            if !holds_placeholder(program) && !program_exists(program) && !in_cwd {
                out.push(
                    Problem::at(
                        format!("scan.scanners[{i}].argv[0]"),
                        format!("scanner {}: program `{program}` not found", sc.name),
                        format!(
                            "install {} (on PATH), or give argv[0] as a full path",
                            sc.name
                        ),
                    )
                    .with_severity(severity),
                );
            }
        }
        out
    }
}
