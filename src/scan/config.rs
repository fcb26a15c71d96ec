//! `[scan]`: where findings come from (SARIF files, scanner commands, the
//! built-in secrets scan, posture URLs), the risk acceptances, and the
//! criteria a release must meet.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{RiskAcceptance, ScanCriteria, ScannerCommand};
use crate::config::{Problem, check_url};

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
}
