//! Scan and policy criteria, and the pure judge that turns findings and policy
//! results into a verdict. Every failed criterion names the findings or
//! policies behind it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::core::policy::{PolicyOutcome, PolicyResult};
use crate::core::verdict::{Evidence, Verdict};
use crate::scan::{Disposition, Finding, Severity};

/// What a scan stage must satisfy (config, every field optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanCriteria {
    /// Open critical findings not in any baseline allowed.
    pub max_new_critical: u32,
    /// Open high findings not in any baseline allowed.
    pub max_new_high: u32,
    /// Open critical findings allowed, new or known (`None`: no limit).
    pub max_critical: Option<u32>,
    /// Open high findings allowed, new or known (`None`: no limit).
    pub max_high: Option<u32>,
    /// Open medium findings allowed, new or known (`None`: no limit).
    pub max_medium: Option<u32>,
    /// Any open secret finding fails.
    pub no_secrets: bool,
    /// A `deny` from a policy fails (otherwise it warns).
    pub deny_policies_pass: bool,
    /// Known (baselined) open critical/high findings warn.
    pub warn_on_known: bool,
    /// Risk acceptances expiring within this many days warn.
    pub acceptance_expiry_warning_days: u32,
}

impl Default for ScanCriteria {
    fn default() -> Self {
        ScanCriteria {
            max_new_critical: 0,
            max_new_high: 0,
            max_critical: None,
            max_high: None,
            max_medium: None,
            no_secrets: true,
            deny_policies_pass: true,
            warn_on_known: true,
            acceptance_expiry_warning_days: 14,
        }
    }
}

/// A scanner or check that produced no trustworthy result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unavailable {
    /// Scanner, file or URL.
    pub source: String,
    /// Why, e.g. `trivy timed out after 600s and was killed`.
    pub reason: String,
}

/// Judge findings and policy results (no unavailable scanners).
pub fn judge(
    findings: &[Finding],
    policy_results: &[PolicyResult],
    criteria: &ScanCriteria,
    today: NaiveDate,
) -> (Verdict, Vec<Evidence>, String) {
    judge_with_unavailable(findings, &[], policy_results, criteria, today)
}

/// Judge findings, scanners that gave no result (each makes the verdict at
/// least `Inconclusive`) and policy results.
pub fn judge_with_unavailable(
    findings: &[Finding],
    unavailable: &[Unavailable],
    policy_results: &[PolicyResult],
    criteria: &ScanCriteria,
    today: NaiveDate,
) -> (Verdict, Vec<Evidence>, String) {
    let mut ev = Vec::new();
    let open: Vec<(&Finding, Option<String>)> = findings
        .iter()
        .filter_map(|f| match f.disposition(today) {
            Disposition::Open { note } => Some((f, note)),
            _ => None,
        })
        .collect();
    let name = |list: &[&(&Finding, Option<String>)]| {
        list.iter()
            .map(|(f, note)| match note {
                Some(n) => format!("{} [{n}]", f.label()),
                None => f.label(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut limit = |label: String, list: Vec<&(&Finding, Option<String>)>, max: u32| {
        let n = list.len();
        let fail = n > max as usize;
        ev.push(Evidence {
            label,
            value: if n == 0 {
                "0".into()
            } else {
                format!("{n}: {}", name(&list))
            },
            threshold: Some(format!("<= {max}")),
            verdict: if fail { Verdict::Fail } else { Verdict::Pass },
        });
    };
    for (sev, max) in [
        (Severity::Critical, criteria.max_new_critical),
        (Severity::High, criteria.max_new_high),
    ] {
        let list = open
            .iter()
            .filter(|(f, _)| f.severity == sev && f.is_new())
            .collect();
        limit(format!("new {sev} findings"), list, max);
    }
    for (sev, max) in [
        (Severity::Critical, criteria.max_critical),
        (Severity::High, criteria.max_high),
        (Severity::Medium, criteria.max_medium),
    ] {
        if let Some(max) = max {
            let list = open.iter().filter(|(f, _)| f.severity == sev).collect();
            limit(format!("open {sev} findings"), list, max);
        }
    }
    if criteria.no_secrets {
        let list = open.iter().filter(|(f, _)| f.is_secret()).collect();
        limit("open secrets".into(), list, 0);
    }
    if criteria.warn_on_known {
        let list: Vec<_> = open
            .iter()
            .filter(|(f, _)| {
                !f.is_new() && matches!(f.severity, Severity::Critical | Severity::High)
            })
            .collect();
        if !list.is_empty() {
            ev.push(Evidence {
                label: "known critical/high findings (baseline)".into(),
                value: format!("{}: {}", list.len(), name(&list)),
                threshold: None,
                verdict: Verdict::Warn,
            });
        }
    }
    let soon: Vec<String> = findings
        .iter()
        .filter_map(|f| {
            let acc = f.acceptance.as_ref()?;
            let days = (acc.expires - today).num_days();
            (!acc.is_expired(today) && days <= i64::from(criteria.acceptance_expiry_warning_days))
                .then(|| {
                    format!(
                        "{} (by {}, expires {})",
                        f.label(),
                        acc.approver,
                        acc.expires
                    )
                })
        })
        .collect();
    if !soon.is_empty() {
        ev.push(Evidence {
            label: "risk acceptances expiring soon".into(),
            value: format!("{}: {}", soon.len(), soon.join("; ")),
            threshold: Some(format!(
                "> {} days left",
                criteria.acceptance_expiry_warning_days
            )),
            verdict: Verdict::Warn,
        });
    }
    for u in unavailable {
        ev.push(Evidence {
            label: format!("scanner {}", u.source),
            value: u.reason.clone(),
            threshold: None,
            verdict: Verdict::Inconclusive,
        });
    }
    for p in policy_results {
        let verdict = match p.outcome {
            PolicyOutcome::Pass => continue,
            PolicyOutcome::Deny if criteria.deny_policies_pass => Verdict::Fail,
            PolicyOutcome::Deny | PolicyOutcome::Warn => Verdict::Warn,
            PolicyOutcome::NotEvaluable => Verdict::Inconclusive,
        };
        ev.push(Evidence {
            label: format!("policy {} {}", p.policy, p.rule),
            value: p.messages.join("; "),
            threshold: None,
            verdict,
        });
    }
    let passed = policy_results
        .iter()
        .filter(|p| p.outcome == PolicyOutcome::Pass)
        .count();
    if passed > 0 {
        ev.push(Evidence {
            label: "policy rules passed".into(),
            value: passed.to_string(),
            threshold: None,
            verdict: Verdict::Pass,
        });
    }
    let verdict = ev.iter().fold(Verdict::Pass, |v, e| v.worst(e.verdict));
    let waived = findings
        .iter()
        .filter(|f| matches!(f.disposition(today), Disposition::Waived { .. }))
        .count();
    let problems: Vec<String> = ev
        .iter()
        .filter(|e| e.verdict != Verdict::Pass)
        .map(|e| match e.value.split_once(": ") {
            Some((count, _)) if count.parse::<usize>().is_ok() => format!("{count} {}", e.label),
            _ => e.label.clone(),
        })
        .collect();
    let policies = if policy_results.is_empty() {
        String::new()
    } else {
        format!(", {passed} policy rules pass")
    };
    let summary = format!(
        "{} findings ({} open, {} waived){}",
        findings.len(),
        open.len(),
        waived,
        if problems.is_empty() {
            policies
        } else {
            format!("; {}", problems.join("; "))
        }
    );
    (verdict, ev, summary)
}
