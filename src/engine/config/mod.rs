//! The aggregate configuration: every capability's section under one
//! [`Config`], the run plan ([`StageConfig`]), and [`load`], which layers
//! the sources, reads each section (the structural pass) and checks what
//! the values mean ([`check_semantics`]), reporting every problem at once.
//!
//! It sits on the engine's floor because it names every capability; the
//! layering, the section reader and [`Problem`] are the toolkit in
//! [`crate::config`]. Every field has a default, so a minimal file is short;
//! `config/flightdeck.toml` documents every key.

mod placeholders;
mod semantics;
mod structure;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::canary::CanaryPlan;
use crate::config::{Problem, Sources, UiSection};
use crate::core::event::StageKind;
use crate::environment::EnvironmentSection;
use crate::gate::GateSection;
use crate::history::HistorySection;
use crate::impact::ImpactSection;
use crate::load::LoadConfig;
use crate::policy::PolicySection;
use crate::scan::ScanSection;

pub use placeholders::{map_placeholder_fields, uses_demo_placeholders};
pub use semantics::{RUNNABLE_KINDS, check_paths, check_semantics};

/// The whole configuration after layering.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Config {
    /// Where runs, journals and baselines are kept.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// What is being validated, and by whom.
    #[serde(default)]
    pub run: RunSection,
    /// The environment under test.
    #[serde(default)]
    pub environment: EnvironmentSection,
    /// Readiness gate thresholds.
    #[serde(default)]
    pub gate: GateSection,
    /// Terminal UI settings.
    #[serde(default)]
    pub ui: UiSection,
    /// Load stage settings.
    #[serde(default)]
    pub load: LoadConfig,
    /// Canary stage settings: flag, provider, steps, judge, guard.
    #[serde(default)]
    pub canary: CanaryPlan,
    /// Scan stage settings.
    #[serde(default)]
    pub scan: ScanSection,
    /// Policy stage settings.
    #[serde(default)]
    pub policy: PolicySection,
    /// Test data stage settings.
    #[serde(default)]
    pub data: crate::data::DataSection,
    /// Run history: the store, trends, the risk score.
    #[serde(default)]
    pub history: HistorySection,
    /// Change impact: the rules that select and intensify stages.
    #[serde(default)]
    pub impact: ImpactSection,
    /// Sharing the live run: who may attach, who operates.
    #[serde(default)]
    pub share: crate::share::ShareSection,
    /// Operational drills (`[[drill]]`), inline or from drill files.
    #[serde(
        default,
        skip_serializing_if = "crate::drill::config::DrillSection::is_empty"
    )]
    pub drill: crate::drill::config::DrillSection,
    /// Notification sinks (`[[notify]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<crate::notify::SinkConfig>,
    /// The run plan, in order.
    #[serde(default)]
    pub stages: Vec<StageConfig>,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("./.flightdeck")
}

impl Default for Config {
    fn default() -> Self {
        Config {
            state_dir: default_state_dir(),
            run: RunSection::default(),
            environment: EnvironmentSection::default(),
            gate: GateSection::default(),
            ui: UiSection::default(),
            load: LoadConfig::default(),
            canary: CanaryPlan::default(),
            scan: ScanSection::default(),
            policy: PolicySection::default(),
            data: crate::data::DataSection::default(),
            history: HistorySection::default(),
            impact: ImpactSection::default(),
            share: crate::share::ShareSection::default(),
            drill: Default::default(),
            notify: Vec::new(),
            stages: Vec::new(),
        }
    }
}

/// `[run]`: the release under validation.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct RunSection {
    /// Service name, e.g. `shop-api`.
    pub service: String,
    /// Release version under validation, e.g. `2.14.0-rc3`.
    pub release: String,
    /// Operator name; empty means `--operator`, else `$USER`/`$LOGNAME`,
    /// else the account name of the effective uid (`crate::identity`).
    pub operator: String,
    /// Refuse actions that change things (rollback, promote, rerun).
    pub read_only: bool,
    /// The change under validation, `BASE..HEAD` in `[impact] repo`: its
    /// paths select and intensify stages (`--changes` overrides it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            service: "service".into(),
            release: "unversioned".into(),
            operator: String::new(),
            read_only: false,
            changes: None,
        }
    }
}

impl RunSection {
    /// Every problem in `[run]`, keys from the top.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.service.trim().is_empty() {
            out.push(Problem::at(
                "run.service",
                "is empty",
                "name the service under validation",
            ));
        }
        if let Some(c) = &self.changes
            && !c.contains("..")
        {
            out.push(Problem::at(
                "run.changes",
                format!("`{c}` is not a change range"),
                "write BASE..HEAD, e.g. changes = \"origin/main..HEAD\"",
            ));
        }
        out
    }
}

/// `[[stages]]`: one stage of the run plan.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct StageConfig {
    /// Unique id, e.g. `env`.
    pub id: String,
    /// What the stage does.
    pub kind: StageKind,
    /// Weight in the readiness score.
    #[serde(default = "one")]
    pub weight: f64,
    /// A failed hard gate is NO-GO whatever the score.
    #[serde(default)]
    pub hard: bool,
    /// Disabled stages are reported as skipped.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Stage ids this stage waits for. Absent: the stage before it in
    /// `[[stages]]` (so a plan without `needs` runs in its written order);
    /// `[]`: nothing, it starts with the run. The gate waits for every stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<String>>,
    /// A resource the stage holds while it runs; stages holding the same
    /// resource never overlap. Absent: `target` for stages that send traffic
    /// to the service (load, canary), none otherwise; `"none"`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// Load and check a configuration. Returns every problem found, not just
/// the first (warnings among them, in order) when any is an error.
pub fn load(sources: &Sources) -> Result<Config, Vec<Problem>> {
    load_with_warnings(sources).map(|(cfg, _)| cfg)
}

/// Load and check a configuration: the config and its warnings when no
/// problem is an error, else every problem (errors and warnings, in order).
pub fn load_with_warnings(sources: &Sources) -> Result<(Config, Vec<Problem>), Vec<Problem>> {
    let layered = crate::config::layer(sources)?;
    let origins = layered.origins();
    let mut problems = Vec::new();
    let cfg = structure::check_structure(&layered, &mut problems);
    if let Some(cfg) = &cfg {
        for p in check_semantics(cfg) {
            problems.push(Problem {
                source: origins.of(&p.key),
                ..p
            });
        }
    }
    match cfg {
        Some(cfg) if !problems.iter().any(Problem::is_error) => Ok((cfg, problems)),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests;
