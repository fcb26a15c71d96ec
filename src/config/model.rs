//! Typed configuration. Every field has a default, so a minimal file is short;
//! `config/flightdeck.toml` documents every key.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::core::event::{EnvRisk, StageKind};

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
    pub load: crate::load::LoadConfig,
    /// Canary stage settings: flag, provider, steps, judge, guard.
    #[serde(default)]
    pub canary: crate::canary::CanaryPlan,
    /// Scan stage settings.
    #[serde(default)]
    pub scan: ScanSection,
    /// Policy stage settings.
    #[serde(default)]
    pub policy: PolicySection,
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
            load: crate::load::LoadConfig::default(),
            canary: crate::canary::CanaryPlan::default(),
            scan: ScanSection::default(),
            policy: PolicySection::default(),
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
    /// Operator name; empty means `$USER`.
    pub operator: String,
    /// Refuse actions that change things (rollback, promote, rerun).
    pub read_only: bool,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            service: "service".into(),
            release: "unversioned".into(),
            operator: String::new(),
            read_only: false,
        }
    }
}

/// `[environment]`: the environment under test and its health checks.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct EnvironmentSection {
    /// Environment name shown in the header badge.
    pub name: String,
    /// Risk class: dev, staging, preprod or prod.
    pub risk: EnvRisk,
    /// Health-check settings shared by all endpoints.
    pub health: HealthSettings,
    /// Endpoints to check.
    pub endpoints: Vec<EndpointConfig>,
    /// Infrastructure-as-Code: provision or check the environment, drift, parity.
    pub iac: Option<crate::iac::IacConfig>,
}

impl Default for EnvironmentSection {
    fn default() -> Self {
        EnvironmentSection {
            name: "preprod".into(),
            risk: EnvRisk::Preprod,
            health: HealthSettings::default(),
            endpoints: Vec::new(),
            iac: None,
        }
    }
}

/// `[environment.health]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct HealthSettings {
    /// Per-request timeout.
    pub timeout_ms: u64,
    /// Extra attempts after a failed one.
    pub retries: u32,
    /// Pause between attempts.
    pub retry_delay_ms: u64,
    /// Slower than this is a warning.
    pub max_latency_ms: u64,
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            timeout_ms: 2_000,
            retries: 2,
            retry_delay_ms: 250,
            max_latency_ms: 500,
        }
    }
}

/// `[[environment.endpoints]]`: one endpoint to health-check.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct EndpointConfig {
    /// Short name, e.g. `api`.
    pub name: String,
    /// Health URL; must answer `expect_status`.
    pub url: String,
    /// Expected HTTP status of the health URL.
    #[serde(default = "default_status")]
    pub expect_status: u16,
    /// URL that reports the version as JSON (`version_field`) or plain text.
    #[serde(default)]
    pub version_url: Option<String>,
    /// JSON field holding the version.
    #[serde(default = "default_version_field")]
    pub version_field: String,
    /// The version this endpoint must report.
    #[serde(default)]
    pub expect_version: Option<String>,
    /// A failing critical endpoint fails the stage; a non-critical one warns.
    #[serde(default = "yes")]
    pub critical: bool,
    /// Overrides `environment.health.max_latency_ms` for this endpoint.
    #[serde(default)]
    pub max_latency_ms: Option<u64>,
}

fn default_status() -> u16 {
    200
}
fn default_version_field() -> String {
    "version".into()
}
fn yes() -> bool {
    true
}

/// `[gate]`: score thresholds.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct GateSection {
    /// Score at or above which the run is GO.
    pub pass_score: f64,
    /// Score at or above which the run is GO with warnings; below, NO-GO.
    pub warn_score: f64,
}

impl Default for GateSection {
    fn default() -> Self {
        GateSection {
            pass_score: 90.0,
            warn_score: 70.0,
        }
    }
}

/// Colour mode for the terminal.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ColorMode {
    /// Colours unless `NO_COLOR` is set or the terminal says otherwise.
    Auto,
    /// No colour at all (text badges carry state).
    Never,
    /// The 16 ANSI colours.
    #[serde(rename = "16")]
    #[value(name = "16")]
    Ansi16,
    /// 256 colours.
    #[serde(rename = "256")]
    #[value(name = "256")]
    Ansi256,
    /// 24-bit colour.
    Truecolor,
}

/// `[ui]`: terminal UI settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct UiSection {
    /// Theme name (a file in `themes/` or a built-in one).
    pub theme: String,
    /// Most frames per second.
    pub fps: u32,
    /// ASCII borders and chart markers.
    pub ascii: bool,
    /// Colour mode.
    pub color: ColorMode,
    /// Mouse capture.
    pub mouse: bool,
    /// Keymap file; the built-in `config/keymap.toml` when absent.
    pub keymap: Option<PathBuf>,
    /// Directory with extra themes.
    pub themes_dir: Option<PathBuf>,
}

impl Default for UiSection {
    fn default() -> Self {
        UiSection {
            theme: "default".into(),
            fps: 10,
            ascii: false,
            color: ColorMode::Auto,
            mouse: false,
            keymap: None,
            themes_dir: None,
        }
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

/// `[scan]`: where findings come from and what they must satisfy.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(default)]
pub struct ScanSection {
    /// SARIF files to import (from scanners that already ran).
    pub sarif: Vec<PathBuf>,
    /// Scanner commands the stage runs (argv arrays, never a shell).
    pub scanners: Vec<crate::scan::ScannerCommand>,
    /// Paths the built-in secrets scan walks.
    pub secrets_paths: Vec<PathBuf>,
    /// gitleaks-format rules; the built-in `config/secrets-rules.toml` when absent.
    pub secrets_rules: Option<PathBuf>,
    /// URLs whose HTTP security posture is checked (headers; TLS certificate
    /// expiry, hostname and trust for https).
    pub posture_urls: Vec<String>,
    /// Extra trusted CA certificates (PEM) for the posture checks, e.g. an
    /// internal pre-production CA.
    pub posture_ca_file: Option<PathBuf>,
    /// A certificate expiring within this many days is a finding (default 30).
    pub cert_expiry_warn_days: Option<u32>,
    /// Risk acceptances: rule or fingerprint, justification, approver, expiry.
    pub acceptances: Vec<crate::scan::RiskAcceptance>,
    /// Pass/fail criteria.
    pub criteria: crate::scan::ScanCriteria,
}

/// `[policy]`: Rego policies evaluated over the run's facts.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(default)]
pub struct PolicySection {
    /// Directory of `.rego` files.
    pub dir: Option<PathBuf>,
    /// Who approved the release (a fact policies can require, e.g. for prod).
    pub approver: Option<String>,
}
