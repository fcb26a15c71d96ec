//! `[gate]`: the score thresholds of the readiness gate, and the
//! sign-offs a GO waits for (`[[gate.signoffs]]`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{HumanDuration, Problem};
use crate::share::Account;

/// `[gate]`: score thresholds and sign-offs.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct GateSection {
    /// Score at or above which the run is GO.
    pub pass_score: f64,
    /// Score at or above which the run is GO with warnings; below, NO-GO.
    pub warn_score: f64,
    /// Sign-offs a GO waits for, by role.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signoffs: Vec<SignoffRole>,
    /// How long a GO waits for its required sign-offs; then the run is
    /// inconclusive.
    pub signoff_timeout: HumanDuration,
    /// An `allowed_signers` file (ssh-keygen) against which SSH-signed
    /// sign-offs are verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_signers: Option<PathBuf>,
}

/// `[[gate.signoffs]]`: one role whose sign-off a GO waits for.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct SignoffRole {
    /// The role, e.g. `security` or `release-manager`.
    pub role: String,
    /// Who may give it: account names or uids.
    pub who: Vec<Account>,
    /// Whether GO waits for it (an optional one is recorded if given, and
    /// its rejection is still a NO-GO).
    #[serde(default = "yes")]
    pub required: bool,
    /// Whether the run's own operator may give it.
    #[serde(default = "yes")]
    pub self_approval: bool,
    /// Whether it must carry an `ssh-keygen -Y sign` signature that
    /// verifies against `gate.allowed_signers`.
    #[serde(default)]
    pub signature: bool,
}

fn yes() -> bool {
    true
}

impl SignoffRole {
    /// A role with every key set: the known keys for the config reader.
    pub fn sample() -> SignoffRole {
        SignoffRole {
            role: String::new(),
            who: vec![Account::Name(String::new())],
            required: true,
            self_approval: true,
            signature: false,
        }
    }
}

impl Default for GateSection {
    fn default() -> Self {
        GateSection {
            pass_score: 90.0,
            warn_score: 70.0,
            signoffs: Vec::new(),
            signoff_timeout: HumanDuration::secs(30 * 60),
            allowed_signers: None,
        }
    }
}

impl GateSection {
    /// Every problem in `[gate]`, keys from the top.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (k, v) in [
            ("gate.pass_score", self.pass_score),
            ("gate.warn_score", self.warn_score),
        ] {
            if !(0.0..=100.0).contains(&v) {
                out.push(Problem::at(
                    k,
                    format!("{v} is outside 0..=100"),
                    "use a score between 0 and 100",
                ));
            }
        }
        let mut roles = std::collections::HashSet::new();
        for (i, r) in self.signoffs.iter().enumerate() {
            let k = |f: &str| format!("gate.signoffs[{i}].{f}");
            if r.role.trim().is_empty() {
                out.push(Problem::at(
                    k("role"),
                    "is empty",
                    "name the role, e.g. \"security\"",
                ));
            } else if !roles.insert(r.role.as_str()) {
                out.push(Problem::at(
                    k("role"),
                    format!("duplicate role `{}`", r.role),
                    "each role is signed once; list every person in its `who`",
                ));
            }
            if r.who.is_empty() {
                out.push(Problem::at(
                    k("who"),
                    "is empty: nobody could sign",
                    "list account names or uids, e.g. [\"alice\", 1001]",
                ));
            }
            if r.signature && self.allowed_signers.is_none() {
                out.push(Problem::at(
                    k("signature"),
                    "a signed sign-off needs gate.allowed_signers to verify against",
                    "set gate.allowed_signers to an ssh-keygen allowed_signers file",
                ));
            }
        }
        if !self.signoffs.is_empty() && self.signoff_timeout.is_zero() {
            out.push(Problem::at(
                "gate.signoff_timeout",
                "is zero: nobody could sign",
                "use e.g. \"30m\"",
            ));
        }
        if self.warn_score > self.pass_score {
            out.push(Problem::at(
                "gate.warn_score",
                format!(
                    "warn_score {} is above pass_score {}",
                    self.warn_score, self.pass_score
                ),
                "warn_score must be at most pass_score",
            ));
        }
        out
    }
}
