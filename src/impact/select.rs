//! The plan's selection for a change: each rule matches changed paths;
//! matched rules select and intensify stages; the rest of the plan is
//! skipped, except hard gates (unless `allow_skip_hard`) and the stages a
//! selected stage needs. The whole plan runs when nothing matched, when a
//! changed file matches no rule (its impact is unknown), or when the risk
//! is high. Pure: same change, rules and plan, same selection.

use globset::GlobMatcher;

use super::config::{ImpactRule, ImpactSection, glob};
use crate::core::event::StageKind;
use crate::core::history::{RiskAssessment, RiskLevel};
use crate::core::impact::{
    ChangeSet, ImpactEffect, ImpactSelection, Intensification, RuleMatch, StageImpact,
};

/// One planned stage, as selection sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedStage {
    /// Stage id.
    pub id: String,
    /// Kind.
    pub kind: StageKind,
    /// Hard gate.
    pub hard: bool,
    /// Stages it explicitly needs (`needs = [...]`): they run when it runs.
    pub needs: Vec<String>,
}

fn matchers(rule: &ImpactRule) -> Vec<GlobMatcher> {
    rule.paths.iter().filter_map(|p| glob(p).ok()).collect()
}

/// Up to three names, then `and N more`.
fn some(names: &[&str]) -> String {
    let mut s = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        s.push_str(&format!(" and {} more", names.len() - 3));
    }
    s
}

/// Select the plan for `change`.
pub fn select(
    plan: &[PlannedStage],
    change: &ChangeSet,
    cfg: &ImpactSection,
    risk: Option<&RiskAssessment>,
) -> ImpactSelection {
    let compiled: Vec<(&ImpactRule, Vec<GlobMatcher>)> =
        cfg.rules.iter().map(|r| (r, matchers(r))).collect();
    let mut matched: Vec<RuleMatch> = Vec::new();
    let mut hits: Vec<&ImpactRule> = Vec::new();
    let mut unmatched: Vec<&str> = Vec::new();
    let mut counts = vec![0usize; compiled.len()];
    for f in &change.files {
        let paths: Vec<&str> = std::iter::once(f.path.as_str())
            .chain(f.renamed_from.as_deref())
            .collect();
        let mut any = false;
        for (i, (_, ms)) in compiled.iter().enumerate() {
            if paths.iter().any(|p| ms.iter().any(|m| m.is_match(p))) {
                counts[i] += 1;
                any = true;
            }
        }
        if !any {
            unmatched.push(f.path.as_str());
        }
    }
    for (i, (rule, _)) in compiled.iter().enumerate() {
        if counts[i] > 0 {
            matched.push(RuleMatch {
                rule: rule.name.clone(),
                reason: rule.reason.clone(),
                files: counts[i],
            });
            hits.push(rule);
        }
    }
    let full = if change.files.is_empty() {
        Some("the change touches no files".to_string())
    } else if hits.is_empty() {
        Some("no rule matched the change".to_string())
    } else if !unmatched.is_empty() {
        Some(format!(
            "{} changed file{} match no rule ({})",
            unmatched.len(),
            if unmatched.len() == 1 { "" } else { "s" },
            some(&unmatched)
        ))
    } else {
        risk.filter(|r| r.level == RiskLevel::High)
            .map(|r| format!("risk {}: nothing is skipped", r.text()))
    };
    let mut stages = Vec::new();
    // Selected by a rule: (rule names, intensifications).
    let by_rule = |id: &str| {
        let mut rules = Vec::new();
        let mut intensify = Vec::new();
        for r in &hits {
            let mut named = r.select.iter().any(|s| s == id);
            for spec in r.intensify.iter().filter(|s| s.stage == id) {
                named = true;
                if let Some(f) = spec.duration_factor {
                    intensify.push(Intensification::LoadDuration { factor: f });
                }
                for m in &spec.critical_metrics {
                    intensify.push(Intensification::CriticalMetric { metric: m.clone() });
                }
            }
            if named {
                rules.push(r.name.clone());
            }
        }
        (rules, intensify)
    };
    let mut chosen: Vec<bool> = plan.iter().map(|s| !by_rule(&s.id).0.is_empty()).collect();
    // What a chosen stage needs runs too (it reads their results).
    let mut needed_by: Vec<Option<String>> = vec![None; plan.len()];
    loop {
        let mut grew = false;
        for i in 0..plan.len() {
            if !chosen[i] {
                continue;
            }
            for n in &plan[i].needs {
                if let Some(j) = plan.iter().position(|s| &s.id == n)
                    && !chosen[j]
                {
                    chosen[j] = true;
                    needed_by[j] = Some(plan[i].id.clone());
                    grew = true;
                }
            }
        }
        if !grew {
            break;
        }
    }
    let rule_names: Vec<&str> = hits.iter().map(|r| r.name.as_str()).collect();
    for (i, st) in plan.iter().enumerate() {
        if st.kind == StageKind::Gate {
            continue;
        }
        let (rules, intensify) = by_rule(&st.id);
        let reasons: Vec<&str> = hits
            .iter()
            .filter(|r| rules.contains(&r.name))
            .map(|r| r.reason.as_str())
            .collect();
        let (effect, reason) = if !intensify.is_empty() {
            (ImpactEffect::Intensified, reasons.join("; "))
        } else if !rules.is_empty() {
            (ImpactEffect::Selected, reasons.join("; "))
        } else if let Some(why) = &full {
            (ImpactEffect::Selected, format!("full plan: {why}"))
        } else if let Some(by) = &needed_by[i] {
            (ImpactEffect::Selected, format!("`{by}` needs it"))
        } else if chosen[i] {
            (ImpactEffect::Selected, String::new())
        } else if st.hard && !cfg.allow_skip_hard {
            (
                ImpactEffect::Kept,
                "hard gate: change impact never skips it (impact.allow_skip_hard = false)".into(),
            )
        } else if st.hard {
            (
                ImpactEffect::Skipped,
                format!(
                    "no matched rule ({}) selects it; hard gate skipped because impact.allow_skip_hard = true",
                    some(&rule_names)
                ),
            )
        } else {
            (
                ImpactEffect::Skipped,
                format!("no matched rule ({}) selects it", some(&rule_names)),
            )
        };
        stages.push(StageImpact {
            stage: st.id.clone(),
            effect,
            rules,
            reason,
            intensify,
        });
    }
    let reason = match &full {
        Some(why) => why.clone(),
        None => format!("rules matched: {}", some(&rule_names)),
    };
    ImpactSelection {
        change: change.clone(),
        full_plan: full.is_some(),
        reason,
        matched,
        stages,
    }
}
