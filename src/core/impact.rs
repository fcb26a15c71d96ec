//! Change impact as journal data: the change under validation (files,
//! renames, lines added and removed) and the plan's selection for it, stage
//! by stage with the rule that decided. The rules and the git reading live
//! in `crate::impact`; the engine applies the selection before the graph
//! runs, and the Stages pane, the reports and a replay read it from here.

use serde::{Deserialize, Serialize};

/// One file the change touches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    /// Path after the change, relative to the repository root.
    pub path: String,
    /// Path before the change, when git detected a rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Lines added (0 for a binary file).
    pub added: u64,
    /// Lines removed (0 for a binary file).
    pub removed: u64,
    /// Git could not count lines (a binary file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
}

/// The change between two commits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// The range as given, e.g. `origin/main..HEAD`.
    pub range: String,
    /// The base commit it resolved to.
    pub base: String,
    /// The head commit it resolved to.
    pub head: String,
    /// Every file changed, in git's order.
    pub files: Vec<ChangedFile>,
}

impl ChangeSet {
    /// Lines added over every file.
    pub fn lines_added(&self) -> u64 {
        self.files.iter().map(|f| f.added).sum()
    }

    /// Lines removed over every file.
    pub fn lines_removed(&self) -> u64 {
        self.files.iter().map(|f| f.removed).sum()
    }

    /// Every path the change touches: new paths and the old paths of renames.
    pub fn paths(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for f in &self.files {
            out.push(f.path.as_str());
            if let Some(old) = &f.renamed_from {
                out.push(old.as_str());
            }
        }
        out
    }
}

/// What the change did to one stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactEffect {
    /// Runs as planned: a rule selected it, another stage needs it, or the
    /// full plan runs.
    Selected,
    /// Runs harder than planned (longer load, a metric made critical).
    Intensified,
    /// Runs because it is a hard gate, though no rule selected it.
    Kept,
    /// Does not run: no rule selected it.
    Skipped,
}

impl ImpactEffect {
    /// Short mark for the Stages pane and reports.
    pub fn mark(self) -> &'static str {
        match self {
            ImpactEffect::Selected => "selected",
            ImpactEffect::Intensified => "intensified",
            ImpactEffect::Kept => "kept",
            ImpactEffect::Skipped => "skipped",
        }
    }
}

/// How a stage runs harder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Intensification {
    /// A load stage runs `factor` times as long.
    LoadDuration {
        /// Multiplier on the planned duration.
        factor: f64,
    },
    /// A canary judge metric becomes critical (its failure fails the step).
    CriticalMetric {
        /// The metric's name in `[[canary.judge.metrics]]`.
        metric: String,
    },
}

impl Intensification {
    /// In words: `load x2 duration`, `metric "p95 latency" critical`.
    pub fn text(&self) -> String {
        match self {
            Intensification::LoadDuration { factor } => {
                format!("x{} duration", crate::core::format::trim_num(*factor))
            }
            Intensification::CriticalMetric { metric } => format!("metric \"{metric}\" critical"),
        }
    }
}

/// One stage's part in the selection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageImpact {
    /// Stage id.
    pub stage: String,
    /// What the change did to it.
    pub effect: ImpactEffect,
    /// The rules that decided (empty when the full plan or the plan's
    /// structure decided).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Why, in words.
    pub reason: String,
    /// How it runs harder, when intensified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intensify: Vec<Intensification>,
}

/// A rule that matched the change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleMatch {
    /// Rule name.
    pub rule: String,
    /// The rule's reason.
    pub reason: String,
    /// How many changed files it matched.
    pub files: usize,
}

/// The plan's selection for a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImpactSelection {
    /// The change (files may be many; reports show the counts).
    pub change: ChangeSet,
    /// The whole plan runs (no rule matched, a file matched none, or the risk is high).
    pub full_plan: bool,
    /// Why the plan is what it is, in one sentence.
    pub reason: String,
    /// The rules that matched.
    pub matched: Vec<RuleMatch>,
    /// Every stage but the gate, in plan order.
    pub stages: Vec<StageImpact>,
}

impl ImpactSelection {
    /// The selection's entry for a stage.
    pub fn stage(&self, id: &str) -> Option<&StageImpact> {
        self.stages.iter().find(|s| s.stage == id)
    }

    /// The narrative line: the change in numbers and what the plan became.
    pub fn summary_line(&self) -> String {
        let c = &self.change;
        let count = |e: ImpactEffect| self.stages.iter().filter(|s| s.effect == e).count();
        let plan = if self.full_plan {
            format!("full plan ({})", self.reason)
        } else {
            format!(
                "{} selected, {} intensified, {} kept, {} skipped ({})",
                count(ImpactEffect::Selected),
                count(ImpactEffect::Intensified),
                count(ImpactEffect::Kept),
                count(ImpactEffect::Skipped),
                self.reason
            )
        };
        format!(
            "change {}: {} file{} +{} -{}; {plan}",
            c.range,
            c.files.len(),
            if c.files.len() == 1 { "" } else { "s" },
            c.lines_added(),
            c.lines_removed()
        )
    }

    /// The stages that do not run, with why.
    pub fn skipped(&self) -> impl Iterator<Item = &StageImpact> {
        self.stages
            .iter()
            .filter(|s| s.effect == ImpactEffect::Skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_counts_its_lines_and_both_paths_of_a_rename() {
        let c = ChangeSet {
            range: "a..b".into(),
            base: "a".into(),
            head: "b".into(),
            files: vec![
                ChangedFile {
                    path: "src/new.rs".into(),
                    renamed_from: Some("src/old.rs".into()),
                    added: 3,
                    removed: 1,
                    binary: false,
                },
                ChangedFile {
                    path: "logo.png".into(),
                    renamed_from: None,
                    added: 0,
                    removed: 0,
                    binary: true,
                },
            ],
        };
        assert_eq!((c.lines_added(), c.lines_removed()), (3, 1));
        assert_eq!(c.paths(), ["src/new.rs", "src/old.rs", "logo.png"]);
        let json = serde_json::to_string(&c.files[0]).expect("json");
        assert!(!json.contains("binary"), "{json}");
    }
}
