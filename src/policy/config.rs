//! `[policy]`: where the Rego policies are, the facts about the release
//! that only config can give, and the gates on rules that are not
//! `deny`/`warn` (`[[policy.gates]]`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Problem, Severity, check_dir};

/// `[policy]`: Rego policies evaluated over the run's facts.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(default)]
pub struct PolicySection {
    /// Directory of `.rego` files.
    pub dir: Option<PathBuf>,
    /// Who approved the release (a fact policies can require, e.g. for prod).
    pub approver: Option<String>,
    /// Gates on boolean or numeric rules (`allow`/`authz`/`score` style
    /// policies, which declare no `deny` or `warn`).
    pub gates: Vec<PolicyGate>,
}

/// `[[policy.gates]]`: one rule that must hold. Exactly one of `allow` and
/// `score` is set.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyGate {
    /// A name for reports; default: the rule's path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A boolean rule that must be `true`, e.g. `data.terraform.analysis.authz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<String>,
    /// A numeric rule with bounds, e.g. `{ rule = "data.terraform.analysis.score", max = 20 }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<ScoreGate>,
    /// The input document for this gate (a JSON file, e.g. a `terraform
    /// show -json` plan); default: the run's facts, as `deny`/`warn` see them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<PathBuf>,
    /// What a rule that does not hold does to the stage: `deny` (default,
    /// fails it) or `warn`.
    pub level: GateLevel,
}

/// A numeric rule and its bounds (both inclusive).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ScoreGate {
    /// The rule's path, e.g. `data.terraform.analysis.score`.
    pub rule: String,
    /// The value must be at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The value must be at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
}

/// How a gate that does not hold counts.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum GateLevel {
    /// Like a `deny`: the policy stage fails.
    #[default]
    Deny,
    /// Like a `warn`: the policy stage warns.
    Warn,
}

impl PolicyGate {
    /// The rule this gate evaluates, whichever kind it is.
    pub fn rule(&self) -> &str {
        match (&self.allow, &self.score) {
            (Some(r), _) => r,
            (None, Some(s)) => &s.rule,
            (None, None) => "",
        }
    }

    /// The gate's name in reports.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.rule().to_string())
    }
}

/// Whether `rule` is a rule reference as `opa eval` takes it: `data.`
/// followed by dotted identifiers (`data.terraform.analysis.authz`).
pub fn is_rule_path(rule: &str) -> bool {
    let Some(rest) = rule.strip_prefix("data.") else {
        return false;
    };
    rest.split('.').all(|seg| {
        let mut chars = seg.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

impl PolicySection {
    /// What a planned policy stage needs, keys from the top. Without a
    /// policy stage in the plan the section is not used, so the plan's
    /// reader calls this only when one is planned.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.dir.is_none() {
            out.push(Problem::at(
                "policy.dir",
                "a policy stage is planned but no policy directory is set",
                "set policy.dir to a directory of .rego files, e.g. config/policies",
            ));
        }
        for (i, g) in self.gates.iter().enumerate() {
            out.extend(validate_gate(g, &format!("policy.gates[{i}]")));
        }
        out
    }

    /// The policy directory, when it does not exist, as a problem at
    /// `severity` (the caller knows whether the policy stage is hard).
    pub fn check_paths(&self, severity: Severity) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Some(dir) = &self.dir {
            check_dir(
                dir,
                "policy.dir",
                "point it at a directory of .rego files, e.g. config/policies",
                severity,
                &mut out,
            );
        }
        out
    }
}

fn validate_gate(g: &PolicyGate, key: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let path_hint = "a rule reference as opa eval takes it, e.g. \"data.terraform.analysis.authz\"";
    match (&g.allow, &g.score) {
        (Some(_), Some(_)) | (None, None) => out.push(Problem::at(
            key,
            "a gate needs exactly one of `allow` and `score`",
            "allow = \"data.pkg.rule\" (must be true) or score = { rule = \"data.pkg.rule\", max = 20 }",
        )),
        (Some(rule), None) if !is_rule_path(rule) => out.push(Problem::at(
            format!("{key}.allow"),
            format!("\"{rule}\" is not a rule path"),
            path_hint,
        )),
        (None, Some(s)) => {
            if !is_rule_path(&s.rule) {
                out.push(Problem::at(
                    format!("{key}.score.rule"),
                    format!("\"{}\" is not a rule path", s.rule),
                    path_hint,
                ));
            }
            let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
            if s.max.is_none() && s.min.is_none() {
                out.push(Problem::at(
                    format!("{key}.score"),
                    "no bound: set max, min or both",
                    "e.g. score = { rule = \"data.terraform.analysis.score\", max = 20 }",
                ));
            } else if !finite(s.max) || !finite(s.min) {
                out.push(Problem::at(
                    format!("{key}.score"),
                    "max and min must be finite numbers",
                    "e.g. max = 20",
                ));
            } else if let (Some(min), Some(max)) = (s.min, s.max)
                && min > max
            {
                out.push(Problem::at(
                    format!("{key}.score.min"),
                    format!("min {min} is above max {max}: no value can pass"),
                    "swap them, or drop one bound",
                ));
            }
        }
        _ => {}
    }
    if g.input.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
        out.push(Problem::at(
            format!("{key}.input"),
            "empty input path",
            "a JSON file, e.g. a `terraform show -json` plan; leave it out to use the run's facts",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &PolicySection) -> Vec<String> {
        s.validate().into_iter().map(|p| p.key).collect()
    }

    fn section(gates: Vec<PolicyGate>) -> PolicySection {
        PolicySection {
            dir: Some("policies".into()),
            approver: None,
            gates,
        }
    }

    #[test]
    fn rule_paths_are_data_refs() {
        assert!(is_rule_path("data.terraform.analysis.authz"));
        assert!(is_rule_path("data.x"));
        assert!(!is_rule_path("terraform.analysis.authz"));
        assert!(!is_rule_path("data."));
        assert!(!is_rule_path("data.a..b"));
        assert!(!is_rule_path("data.a[0]"));
    }

    #[test]
    fn the_documented_gates_are_valid() {
        let s = section(vec![
            PolicyGate {
                allow: Some("data.terraform.analysis.authz".into()),
                input: Some("tfplan.json".into()),
                ..PolicyGate::default()
            },
            PolicyGate {
                score: Some(ScoreGate {
                    rule: "data.terraform.analysis.score".into(),
                    max: Some(20.0),
                    min: None,
                }),
                level: GateLevel::Warn,
                ..PolicyGate::default()
            },
        ]);
        assert!(s.validate().is_empty(), "{:?}", s.validate());
    }

    #[test]
    fn every_bad_gate_is_named_by_its_key() {
        let s = section(vec![
            PolicyGate::default(),
            PolicyGate {
                allow: Some("terraform.analysis.authz".into()),
                ..PolicyGate::default()
            },
            PolicyGate {
                score: Some(ScoreGate {
                    rule: "data.t.score".into(),
                    max: None,
                    min: None,
                }),
                ..PolicyGate::default()
            },
            PolicyGate {
                score: Some(ScoreGate {
                    rule: "data.t.score".into(),
                    max: Some(1.0),
                    min: Some(2.0),
                }),
                input: Some("".into()),
                ..PolicyGate::default()
            },
        ]);
        assert_eq!(
            keys(&s),
            [
                "policy.gates[0]",
                "policy.gates[1].allow",
                "policy.gates[2].score",
                "policy.gates[3].score.min",
                "policy.gates[3].input",
            ]
        );
    }
}
