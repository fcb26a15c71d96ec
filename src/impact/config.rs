//! `[impact]` and `[[impact.rules]]`: which stages a change calls for.

use std::path::PathBuf;

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::config::Problem;

/// `[impact]`: where the change is read from and the rules that map paths
/// to stages.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct ImpactSection {
    /// The git repository the change range is read from (default: the
    /// current directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<PathBuf>,
    /// The git binary (default `git` on PATH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<String>,
    /// Let impact skip hard-gate stages that no rule selects. Off by
    /// default: a hard gate runs whatever changed.
    pub allow_skip_hard: bool,
    /// The rules, in order.
    pub rules: Vec<ImpactRule>,
}

/// One rule: changed paths matching `paths` call for these stages.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ImpactRule {
    /// Rule name, shown beside each stage it decides.
    pub name: String,
    /// Path globs relative to the repository root (`infra/**`, `*.md`);
    /// `*` stays within a directory, `**` crosses them.
    pub paths: Vec<String>,
    /// Why, in words (shown and reported).
    pub reason: String,
    /// Stage ids to run.
    pub select: Vec<String>,
    /// Stages to run harder (also selected).
    pub intensify: Vec<IntensifySpec>,
}

/// How a rule makes one stage run harder.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IntensifySpec {
    /// Stage id.
    pub stage: String,
    /// A load stage runs this many times as long (1 to 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_factor: Option<f64>,
    /// Canary judge metrics (by name) that become critical.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub critical_metrics: Vec<String>,
}

/// Most a load stage may be stretched by one rule.
pub const MAX_DURATION_FACTOR: f64 = 10.0;

impl ImpactSection {
    /// Every problem in `[impact]` that the section alone can tell (the
    /// engine checks the stage ids and metrics against the plan).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.git.as_deref().is_some_and(|g| g.trim().is_empty()) {
            out.push(Problem::at(
                "impact.git",
                "is empty",
                "name the git binary, or remove the key to use git on PATH",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, r) in self.rules.iter().enumerate() {
            let k = |f: &str| format!("impact.rules[{i}].{f}");
            if r.name.trim().is_empty() {
                out.push(Problem::at(
                    k("name"),
                    "is empty",
                    "name the rule, e.g. name = \"infra\"",
                ));
            } else if !names.insert(r.name.as_str()) {
                out.push(Problem::at(
                    k("name"),
                    format!("duplicate rule name `{}`", r.name),
                    "rule names must be unique",
                ));
            }
            if r.paths.is_empty() {
                out.push(Problem::at(
                    k("paths"),
                    "is empty",
                    "give path globs, e.g. paths = [\"infra/**\"]",
                ));
            }
            for (j, p) in r.paths.iter().enumerate() {
                if let Err(e) = glob(p) {
                    out.push(Problem::at(
                        format!("impact.rules[{i}].paths[{j}]"),
                        format!("`{p}` is not a glob: {e}"),
                        "use * within a directory and ** across directories, e.g. src/checkout/**",
                    ));
                } else if p.starts_with('/') || p.split('/').any(|s| s == "..") {
                    out.push(Problem::at(
                        format!("impact.rules[{i}].paths[{j}]"),
                        format!("`{p}` leaves the repository"),
                        "paths are relative to the repository root, e.g. infra/**",
                    ));
                }
            }
            if r.reason.trim().is_empty() {
                out.push(Problem::at(
                    k("reason"),
                    "is empty",
                    "say why these paths call for these stages; it is shown beside each stage",
                ));
            }
            for (j, s) in r.intensify.iter().enumerate() {
                let k = |f: &str| format!("impact.rules[{i}].intensify[{j}].{f}");
                if let Some(f) = s.duration_factor
                    && !(f.is_finite() && (1.0..=MAX_DURATION_FACTOR).contains(&f))
                {
                    out.push(Problem::at(
                        k("duration_factor"),
                        format!("{f} is outside 1..={MAX_DURATION_FACTOR}"),
                        "e.g. duration_factor = 2 for double duration",
                    ));
                }
                if s.duration_factor.is_none() && s.critical_metrics.is_empty() {
                    out.push(Problem::at(
                        k("stage"),
                        format!("intensifies `{}` in no way", s.stage),
                        "give duration_factor (load) or critical_metrics (canary)",
                    ));
                }
            }
        }
        out
    }
}

/// Compile a path glob: `*` within a directory, `**` across directories.
pub fn glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    Ok(GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .or_else(|_| Glob::new(pattern))?
        .compile_matcher())
}
