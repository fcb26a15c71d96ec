//! Risk acceptances from config: a named person accepts a finding until a date.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::scan::{Acceptance, Finding};

/// One risk acceptance as written in config:
/// `{ rule = "CVE-2026-1234", fingerprint = "...", justification = "...", approver = "alice", expires = "2026-12-31" }`.
/// At least one of `rule` and `fingerprint` must be set; with both, both must match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskAcceptance {
    /// Rule id to match (all findings of the rule when no fingerprint is given).
    #[serde(default)]
    pub rule: Option<String>,
    /// Finding fingerprint to match.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who accepted it.
    pub approver: String,
    /// Last valid day (inclusive).
    pub expires: NaiveDate,
}

impl RiskAcceptance {
    /// Problems with this entry (empty when valid), for `check-config`.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.rule.as_deref().is_none_or(str::is_empty)
            && self.fingerprint.as_deref().is_none_or(str::is_empty)
        {
            out.push(
                "set `rule` or `fingerprint` (or both): an acceptance must name what it accepts"
                    .into(),
            );
        }
        if self.approver.trim().is_empty() {
            out.push("`approver` is empty: name who accepted the risk".into());
        }
        if self.justification.trim().is_empty() {
            out.push("`justification` is empty: say why the risk is accepted".into());
        }
        out
    }

    fn matches(&self, f: &Finding) -> bool {
        let rule_ok = self.rule.as_deref().is_none_or(|r| r == f.rule_id);
        let fp_ok = self
            .fingerprint
            .as_deref()
            .is_none_or(|p| p == f.fingerprint);
        (self.rule.is_some() || self.fingerprint.is_some()) && rule_ok && fp_ok
    }
}

/// Attach the best matching acceptance to each finding: a fingerprint match
/// beats a rule-wide one; among equals, the one still valid on `today` with the
/// latest expiry. Expired acceptances are attached too, so that the finding
/// can say "acceptance by X expired on DATE". Returns how many findings matched.
pub fn apply_acceptances(
    findings: &mut [Finding],
    acceptances: &[RiskAcceptance],
    today: NaiveDate,
) -> usize {
    let mut matched = 0;
    for f in findings.iter_mut() {
        let best = acceptances
            .iter()
            .filter(|a| a.matches(f))
            .max_by_key(|a| (a.fingerprint.is_some(), a.expires >= today, a.expires));
        f.acceptance = best.map(|a| Acceptance {
            approver: a.approver.clone(),
            justification: a.justification.clone(),
            expires: a.expires,
        });
        matched += usize::from(f.acceptance.is_some());
    }
    matched
}
