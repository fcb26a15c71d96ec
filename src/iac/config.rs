//! `[environment.iac]`-style configuration of the IaC capability; its
//! checks are [`IacConfig::validate`] (in `validate.rs`). Unknown keys are
//! left to the config reader (`serde_ignored`), which names them.
//!
//! The demo, as TOML:
//!
//! ```toml
//! provisioner = "terraform"          # or "tofu", "command", "none"
//! working_dir = "config/demo/terraform"
//! apply = "confirm"                  # never | confirm | auto; plan is always safe
//! approval_timeout = "10m"           # how long a "confirm" apply waits for an answer
//! vars = { baseline_url = "{demo.baseline}", canary_url = "{demo.canary}" }
//! outputs_endpoints = { baseline_url = "baseline", canary_url = "canary" }
//! ephemeral = { ttl_s = 3600, destroy_at_end = true }
//!
//! [parity]
//! prod_state = "config/demo/prod-state.json"
//! min_score = 90
//! intended = [
//!   { address = "output.*_url", reason = "endpoints differ per environment" },
//!   { address = "output.service", attribute = "instance_type", reason = "production runs larger instances" },
//! ]
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;

/// Which tool provisions the environment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionerKind {
    /// The Terraform CLI.
    Terraform,
    /// The OpenTofu CLI (same interface).
    Tofu,
    /// Custom argv commands.
    Command,
    /// Nothing is provisioned; saved plan JSON and state files may still be judged.
    #[default]
    None,
}

/// Whether flightdeck applies the saved plan. Plan is always safe to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyMode {
    /// Plan only; never apply or destroy.
    #[default]
    Never,
    /// Apply the saved plan only after an operator approves it (the TUI
    /// dialog, or `flightdeck run --approve-apply`).
    Confirm,
    /// Apply the saved plan without asking.
    Auto,
}

impl ApplyMode {
    /// Name as written in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyMode::Never => "never",
            ApplyMode::Confirm => "confirm",
            ApplyMode::Auto => "auto",
        }
    }
}

/// Default of `approval_timeout`.
pub const DEFAULT_APPROVAL_TIMEOUT: &str = "10m";

/// Configuration of the IaC stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IacConfig {
    /// Which provisioner to use.
    pub provisioner: ProvisionerKind,
    /// Binary for `terraform`/`tofu`; defaults to the provisioner's name on PATH.
    pub binary: Option<String>,
    /// The Terraform working directory.
    pub working_dir: PathBuf,
    /// Workspace to select (created if missing); `None` keeps the current one.
    pub workspace: Option<String>,
    /// `-backend-config` values (`key=value` or a file), passed to `init`.
    pub backend_config: Vec<String>,
    /// `-var-file` paths, relative to `working_dir` unless absolute.
    pub var_files: Vec<PathBuf>,
    /// `-var NAME=VALUE` pairs (never secrets: put those in the environment as `TF_VAR_*`).
    pub vars: BTreeMap<String, String>,
    /// Whether flightdeck applies the saved plan (and may destroy): see
    /// [`IacConfig::apply_mode`]. `None` falls back to `allow_apply`.
    pub apply: Option<ApplyMode>,
    /// Deprecated alias: `true` means `apply = "auto"`, `false` `apply = "never"`.
    pub allow_apply: Option<bool>,
    /// How long an apply with `apply = "confirm"` waits for the operator's
    /// answer, e.g. `"10m"`, `"90s"`; then it is not applied (inconclusive).
    pub approval_timeout: String,
    /// The saved plan file, relative to `working_dir` unless absolute.
    pub plan_file: PathBuf,
    /// A plan JSON file to judge instead of running a provisioner (with `provisioner = "none"`).
    pub plan_json: Option<PathBuf>,
    /// Timeout of each step (init, plan, show, apply...), in seconds.
    pub timeout_s: u64,
    /// Run a refresh-only plan to detect drift.
    pub drift: bool,
    /// Verdict when drift is found.
    pub drift_verdict: Verdict,
    /// Verdict when the plan has high-risk changes (deletes or replaces of stateful resources).
    pub risk_verdict: Verdict,
    /// Production parity; `None` skips it.
    pub parity: Option<ParityConfig>,
    /// Output name → endpoint name, for outputs holding endpoint URLs.
    pub outputs_endpoints: BTreeMap<String, String>,
    /// A short-lived environment.
    pub ephemeral: Option<EphemeralConfig>,
    /// Commands for `provisioner = "command"`.
    pub command: CommandConfig,
    /// When the terraform/tofu binary is missing, say so and use the declared
    /// endpoints instead of failing the stage (the demo sets this).
    pub optional: bool,
}

impl Default for IacConfig {
    fn default() -> Self {
        IacConfig {
            provisioner: ProvisionerKind::None,
            binary: None,
            working_dir: PathBuf::from("."),
            workspace: None,
            backend_config: Vec::new(),
            var_files: Vec::new(),
            vars: BTreeMap::new(),
            apply: None,
            allow_apply: None,
            approval_timeout: DEFAULT_APPROVAL_TIMEOUT.into(),
            plan_file: PathBuf::from("flightdeck.tfplan"),
            plan_json: None,
            timeout_s: 600,
            drift: true,
            drift_verdict: Verdict::Warn,
            risk_verdict: Verdict::Warn,
            parity: None,
            outputs_endpoints: BTreeMap::new(),
            ephemeral: None,
            command: CommandConfig::default(),
            optional: false,
        }
    }
}

/// A difference between pre-production and production that is meant to be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntendedDifference {
    /// Address pattern (after stripping), e.g. `aws_instance.*` or `var.instance_type`.
    pub address: String,
    /// Attribute pattern, e.g. `instance_type` or `tags.*`.
    pub attribute: String,
    /// Why, for the report.
    pub reason: Option<String>,
}

impl Default for IntendedDifference {
    fn default() -> Self {
        IntendedDifference {
            address: "*".into(),
            attribute: "*".into(),
            reason: None,
        }
    }
}

/// Two var files to compare.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VarFilePair {
    /// Pre-production var file.
    pub preprod: PathBuf,
    /// Production var file.
    pub prod: PathBuf,
}

/// Production parity settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParityConfig {
    /// A production state or plan JSON (`terraform show -json`) or a raw `.tfstate`.
    pub prod_state: Option<PathBuf>,
    /// Or: a workspace of the same working directory whose state is production.
    pub prod_workspace: Option<String>,
    /// Differences that are meant to be.
    pub intended: Vec<IntendedDifference>,
    /// Regexes removed from addresses before matching, e.g. `^module\.(preprod|prod)\.`.
    pub strip: Vec<String>,
    /// Drop instance keys (`[0]`, `["a"]`) from addresses before matching.
    pub strip_index: bool,
    /// Attribute patterns never compared (identifiers that always differ).
    pub ignore_attributes: Vec<String>,
    /// Var files to compare.
    pub var_files: Option<VarFilePair>,
    /// Below this score (0-100) parity is not good enough.
    pub min_score: f64,
    /// Verdict below `min_score`: `warn` or `fail`.
    pub below_verdict: Verdict,
}

impl Default for ParityConfig {
    fn default() -> Self {
        ParityConfig {
            prod_state: None,
            prod_workspace: None,
            intended: Vec::new(),
            strip: Vec::new(),
            strip_index: false,
            ignore_attributes: vec!["id".into(), "arn".into()],
            var_files: None,
            min_score: 90.0,
            below_verdict: Verdict::Warn,
        }
    }
}

/// A short-lived environment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EphemeralConfig {
    /// Intended lifetime; recorded as an expiry time in the outcome.
    pub ttl_s: Option<u64>,
    /// Destroy it when the run ends (see [`crate::iac::stage::teardown`]).
    pub destroy_at_end: bool,
}

/// argv commands for `provisioner = "command"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommandConfig {
    /// Prints plan JSON (the `terraform show -json` format) on stdout, unless `show` is set.
    pub plan: Vec<String>,
    /// Prints plan JSON on stdout after `plan` ran.
    pub show: Vec<String>,
    /// Applies what `plan` planned.
    pub apply: Vec<String>,
    /// Prints outputs JSON (the `terraform output -json` format) on stdout.
    pub output: Vec<String>,
    /// Destroys the environment.
    pub destroy: Vec<String>,
    /// Timeout of each command.
    pub timeout_s: u64,
    /// Run each command as one `sh -c` string (argv elements joined by spaces).
    pub shell: bool,
}

impl Default for CommandConfig {
    fn default() -> Self {
        CommandConfig {
            plan: Vec::new(),
            show: Vec::new(),
            apply: Vec::new(),
            output: Vec::new(),
            destroy: Vec::new(),
            timeout_s: 600,
            shell: false,
        }
    }
}

impl IacConfig {
    /// The binary to run for `terraform`/`tofu`.
    pub fn binary(&self) -> String {
        match (&self.binary, self.provisioner) {
            (Some(b), _) => b.clone(),
            (None, ProvisionerKind::Tofu) => "tofu".into(),
            _ => "terraform".into(),
        }
    }

    /// The effective apply mode: `apply`, else the `allow_apply` alias, else never.
    pub fn apply_mode(&self) -> ApplyMode {
        match (self.apply, self.allow_apply) {
            (Some(m), _) => m,
            (None, Some(true)) => ApplyMode::Auto,
            (None, _) => ApplyMode::Never,
        }
    }

    /// Whether the provisioner may change infrastructure at all (apply after
    /// approval, or destroy an ephemeral environment).
    pub fn may_change(&self) -> bool {
        self.apply_mode() != ApplyMode::Never
    }

    /// `approval_timeout` as a duration (the default when it does not parse;
    /// `validate` reports that).
    pub fn approval_timeout(&self) -> std::time::Duration {
        crate::config::parse_duration(&self.approval_timeout)
            .or_else(|_| crate::config::parse_duration(DEFAULT_APPROVAL_TIMEOUT))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_demo_config_parses() {
        let doc: String = include_str!("config.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| format!("{}\n", l.trim_start_matches("//!").trim_start()))
            .collect();
        let c: IacConfig = toml::from_str(&doc).unwrap();
        assert_eq!(c.provisioner, ProvisionerKind::Terraform);
        let p = c.parity.clone().unwrap();
        assert_eq!(p.intended[0].attribute, "*");
        assert_eq!(p.intended.len(), 2);
        assert_eq!(c.outputs_endpoints["canary_url"], "canary");
        assert_eq!(c.apply_mode(), ApplyMode::Confirm);
    }

    #[test]
    fn allow_apply_is_an_alias_of_apply_auto() {
        let c: IacConfig = toml::from_str("allow_apply = true").unwrap();
        assert_eq!(c.apply_mode(), ApplyMode::Auto);
        let c: IacConfig = toml::from_str("allow_apply = false").unwrap();
        assert_eq!(c.apply_mode(), ApplyMode::Never);
        let c: IacConfig = toml::from_str("apply = \"confirm\"").unwrap();
        assert_eq!(c.apply_mode(), ApplyMode::Confirm);
        assert!(c.may_change());
    }
}
