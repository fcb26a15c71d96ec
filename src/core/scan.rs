//! `Finding`: one normalised result from any scanner, and what it means for
//! the gate, as journalled. Parsing and judging live in `crate::scan`.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The tool name of Flightdeck's own secret scanner.
pub const SECRETS_TOOL: &str = "flightdeck-secrets";

/// Normalised severity, from the most to the least serious.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Exploitable now, or a leaked credential of a critical system.
    Critical,
    /// Serious; blocks a release unless accepted.
    High,
    /// Should be fixed soon.
    Medium,
    /// Minor.
    Low,
    /// Informational only.
    Info,
}

impl Severity {
    /// Every severity, most serious first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Lower-case name, as in reports and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// Upper-case text badge for tables.
    pub fn badge(self) -> &'static str {
        match self {
            Severity::Critical => "CRIT",
            Severity::High => "HIGH",
            Severity::Medium => "MED",
            Severity::Low => "LOW",
            Severity::Info => "INFO",
        }
    }

    /// Parse a severity word as scanners write it (`HIGH`, `Critical`,
    /// `moderate`, `informational`, `unknown`...). `None` for anything else.
    pub fn from_word(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" | "blocker" => Some(Severity::Critical),
            "high" | "major" | "error" => Some(Severity::High),
            "medium" | "moderate" | "warning" => Some(Severity::Medium),
            "low" | "minor" | "note" => Some(Severity::Low),
            "info" | "informational" | "information" | "none" | "unknown" | "negligible" => {
                Some(Severity::Info)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding is: a file and, when known, a 1-based line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// File path or URI as the scanner wrote it (a logical name when there is no file).
    pub path: String,
    /// 1-based line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.path.is_empty(), self.line) {
            (true, _) => f.write_str("(no location)"),
            (false, Some(line)) => write!(f, "{}:{line}", self.path),
            (false, None) => f.write_str(&self.path),
        }
    }
}

/// SARIF `result.baselineState`: how the result compares with the scanner's own baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineState {
    /// Not in the baseline.
    New,
    /// In the baseline, unchanged.
    Unchanged,
    /// In the baseline, with changed details.
    Updated,
    /// In the baseline but not in this run: fixed, never counted.
    Absent,
}

impl BaselineState {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Updated => "updated",
            BaselineState::Absent => "absent",
        }
    }
}

/// SARIF suppression status of a result (`result.suppressions[].status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    /// Not suppressed.
    #[default]
    None,
    /// Suppression accepted: the finding does not block.
    Accepted,
    /// Suppression requested but rejected: the finding blocks.
    Rejected,
    /// Suppression requested and not yet decided: the finding blocks.
    UnderReview,
}

/// A Flightdeck risk acceptance that matched a finding (see [`super::RiskAcceptance`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// Who accepted the risk.
    pub approver: String,
    /// Why.
    pub justification: String,
    /// Last day on which the acceptance holds.
    pub expires: NaiveDate,
}

impl Acceptance {
    /// True when `today` is after the last valid day.
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        today > self.expires
    }
}

/// One normalised finding from SARIF, the secrets scan or the posture checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Tool that reported it (`Trivy`, `Semgrep OSS`, `flightdeck-secrets`...).
    pub tool: String,
    /// Rule or check id (`CVE-2026-1234`, `B105`, `aws-access-token`).
    pub rule_id: String,
    /// Short rule title.
    pub title: String,
    /// The result message (never contains a raw secret).
    pub message: String,
    /// Normalised severity.
    pub severity: Severity,
    /// Where the severity came from, e.g. `rule properties.security-severity 7.5`.
    pub severity_source: String,
    /// File and line.
    pub location: Location,
    /// Stable identity used by baselines and acceptances.
    pub fingerprint: String,
    /// SARIF `baselineState`, when the scanner compared with its own baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    /// SARIF suppression status.
    #[serde(default)]
    pub suppression: Suppression,
    /// Justification of the SARIF suppression, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression_justification: Option<String>,
    /// In Flightdeck's own baseline for this service.
    #[serde(default)]
    pub known: bool,
    /// A Flightdeck risk acceptance matching this finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<Acceptance>,
    /// Help URI or text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// How a finding counts against the criteria on a given day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Disposition {
    /// Counts against the criteria; `note` says why a waiver does not apply.
    Open {
        /// e.g. `acceptance by alice expired on 2026-01-31`.
        note: Option<String>,
    },
    /// Does not count: accepted suppression or a valid risk acceptance.
    Waived {
        /// Who and why.
        reason: String,
    },
    /// SARIF says the result is gone (`baselineState: absent`).
    Fixed,
}

impl Finding {
    /// How this finding counts on `today`. A SARIF suppression only waives when
    /// accepted; a risk acceptance only until its expiry date (inclusive).
    pub fn disposition(&self, today: NaiveDate) -> Disposition {
        if self.baseline_state == Some(BaselineState::Absent) {
            return Disposition::Fixed;
        }
        let mut notes = Vec::new();
        match self.suppression {
            Suppression::Accepted => {
                let why = self
                    .suppression_justification
                    .as_deref()
                    .map(|j| format!(": {j}"))
                    .unwrap_or_default();
                return Disposition::Waived {
                    reason: format!("suppression accepted in SARIF{why}"),
                };
            }
            Suppression::Rejected => notes.push("suppression rejected".to_string()),
            Suppression::UnderReview => notes.push("suppression under review".to_string()),
            Suppression::None => {}
        }
        if let Some(acc) = &self.acceptance {
            if acc.is_expired(today) {
                notes.push(format!(
                    "acceptance by {} expired on {}",
                    acc.approver, acc.expires
                ));
            } else {
                return Disposition::Waived {
                    reason: format!(
                        "risk accepted by {} until {}: {}",
                        acc.approver, acc.expires, acc.justification
                    ),
                };
            }
        }
        Disposition::Open {
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }

    /// New relative to both baselines: not in Flightdeck's baseline, and not
    /// marked unchanged/updated by the scanner.
    pub fn is_new(&self) -> bool {
        !self.known
            && !matches!(
                self.baseline_state,
                Some(BaselineState::Unchanged | BaselineState::Updated)
            )
    }

    /// A leaked credential (built-in secrets scan or gitleaks).
    pub fn is_secret(&self) -> bool {
        self.tool == SECRETS_TOOL || self.tool.eq_ignore_ascii_case("gitleaks")
    }

    /// `rule at location (tool)`: how criteria and evidence name a finding.
    pub fn label(&self) -> String {
        format!("{} at {} ({})", self.rule_id, self.location, self.tool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            tool: "t".into(),
            rule_id: "R1".into(),
            title: "t".into(),
            message: "m".into(),
            severity: Severity::High,
            severity_source: "x".into(),
            location: Location {
                path: "a.py".into(),
                line: Some(3),
            },
            fingerprint: "f".into(),
            baseline_state: None,
            suppression: Suppression::None,
            suppression_justification: None,
            known: false,
            acceptance: None,
            help: None,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn acceptance_holds_through_its_last_day_then_expires() {
        let mut f = finding();
        f.acceptance = Some(Acceptance {
            approver: "alice".into(),
            justification: "vendor fix pending".into(),
            expires: day("2026-12-31"),
        });
        assert!(matches!(
            f.disposition(day("2026-12-31")),
            Disposition::Waived { .. }
        ));
        assert_eq!(
            f.disposition(day("2027-01-01")),
            Disposition::Open {
                note: Some("acceptance by alice expired on 2026-12-31".into())
            }
        );
    }

    #[test]
    fn suppression_statuses() {
        let mut f = finding();
        f.suppression = Suppression::Accepted;
        assert!(matches!(
            f.disposition(day("2026-01-01")),
            Disposition::Waived { .. }
        ));
        f.suppression = Suppression::UnderReview;
        assert_eq!(
            f.disposition(day("2026-01-01")),
            Disposition::Open {
                note: Some("suppression under review".into())
            }
        );
        f.suppression = Suppression::Rejected;
        assert!(matches!(
            f.disposition(day("2026-01-01")),
            Disposition::Open { .. }
        ));
    }

    #[test]
    fn absent_is_fixed_and_known_is_not_new() {
        let mut f = finding();
        assert!(f.is_new());
        f.baseline_state = Some(BaselineState::Absent);
        assert_eq!(f.disposition(day("2026-01-01")), Disposition::Fixed);
        f.baseline_state = Some(BaselineState::Unchanged);
        assert!(!f.is_new());
        f.baseline_state = None;
        f.known = true;
        assert!(!f.is_new());
    }

    #[test]
    fn location_display() {
        assert_eq!(finding().location.to_string(), "a.py:3");
        assert_eq!(Location::default().to_string(), "(no location)");
    }
}
