//! `[environment]`: the environment under test, its health checks and its
//! endpoints, and `[environment.iac]` (read and checked by [`crate::iac`]).

use serde::{Deserialize, Serialize};

use crate::config::{Problem, Severity, check_url};
use crate::core::event::EnvRisk;
use crate::core::iac::IacEndpoint;
use crate::iac::IacConfig;

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
    pub iac: Option<IacConfig>,
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

impl EndpointConfig {
    /// An endpoint found in the IaC outputs, with every other setting at its
    /// default, for the health checks.
    pub fn from_iac(e: &IacEndpoint) -> EndpointConfig {
        EndpointConfig {
            name: e.name.clone(),
            url: e.url.clone(),
            expect_status: default_status(),
            version_url: None,
            version_field: default_version_field(),
            expect_version: None,
            critical: yes(),
            max_latency_ms: None,
        }
    }
}

impl EnvironmentSection {
    /// Every problem in `[environment]`, keys from the top: health
    /// settings, then endpoints, then `[environment.iac]`.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let h = &self.health;
        if h.timeout_ms == 0 {
            out.push(Problem::at(
                "environment.health.timeout_ms",
                "must be above 0",
                "use e.g. 2000",
            ));
        }
        if h.retries > 10 {
            out.push(Problem::at(
                "environment.health.retries",
                format!("{} retries is too many", h.retries),
                "use at most 10",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, ep) in self.endpoints.iter().enumerate() {
            let k = |f: &str| format!("environment.endpoints[{i}].{f}");
            if ep.name.trim().is_empty() {
                out.push(Problem::at(
                    k("name"),
                    "is empty",
                    "give the endpoint a short name, e.g. api",
                ));
            } else if !names.insert(ep.name.as_str()) {
                out.push(Problem::at(
                    k("name"),
                    format!("duplicate endpoint name `{}`", ep.name),
                    "endpoint names must be unique",
                ));
            }
            check_url(&ep.url, &k("url"), &mut out);
            if let Some(u) = &ep.version_url {
                check_url(u, &k("version_url"), &mut out);
            }
            if !(100..=599).contains(&ep.expect_status) {
                out.push(Problem::at(
                    k("expect_status"),
                    format!("{} is not an HTTP status", ep.expect_status),
                    "use 100..=599, usually 200",
                ));
            }
        }
        if let Some(iac) = &self.iac {
            // Its files and programs are checked with the plan
            // (`check_paths`): whether a missing one is an error depends on
            // the environment stage.
            out.extend(
                iac.validate_values()
                    .into_iter()
                    .map(|p| p.under("environment.iac")),
            );
        }
        out
    }

    /// The files and programs `[environment.iac]` names that do not exist,
    /// keys from the top, at `severity` (see [`IacConfig::check_paths`]).
    pub fn check_paths(&self, severity: Severity) -> Vec<Problem> {
        self.iac.as_ref().map_or_else(Vec::new, |iac| {
            iac.check_paths(severity)
                .into_iter()
                .map(|p| p.under("environment.iac"))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_iac_endpoint_gets_the_defaults_of_a_written_one() {
        let written: EndpointConfig =
            toml::from_str("name = \"api\"\nurl = \"http://127.0.0.1:8080\"").unwrap();
        let found = EndpointConfig::from_iac(&IacEndpoint {
            name: "api".into(),
            output: "api_url".into(),
            url: "http://127.0.0.1:8080".into(),
        });
        assert_eq!(found, written);
    }

    #[test]
    fn iac_keys_are_placed_under_the_section_and_placeholders_wait_for_the_demo() {
        let env: EnvironmentSection = toml::from_str(
            r#"
[iac]
provisioner = "terraform"
working_dir = "."
var_files = ["{demo.assets}/preprod.tfvars"]
timeout_s = 0
"#,
        )
        .unwrap();
        let keys: Vec<String> = env.validate().into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["environment.iac.timeout_s"]);
    }
}
