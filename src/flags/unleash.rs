//! [`UnleashProvider`]: the Unleash admin API (checked against
//! unleash-server 8.2). A flag's rollout is the `rollout` parameter of the
//! first `flexibleRollout` strategy in the configured environment; "canary"
//! means the flag evaluates to enabled for a user.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{FlagError, FlagProvider, FlagState, check_percent};
use crate::secrets::{Secret, SecretRef};

/// Where the Unleash admin API is, as written in config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnleashConfig {
    /// Base URL, e.g. `http://127.0.0.1:4242`.
    pub url: String,
    /// Project id.
    #[serde(default = "default_project")]
    pub project: String,
    /// Environment name.
    #[serde(default = "default_environment")]
    pub environment: String,
    /// Admin API token reference, e.g. `{ env = "FLIGHTDECK_UNLEASH_TOKEN" }`.
    pub token: SecretRef,
}

fn default_project() -> String {
    "default".into()
}

fn default_environment() -> String {
    "development".into()
}

/// The Unleash admin API for one project and environment.
#[derive(Clone, Debug)]
pub struct UnleashProvider {
    base: String,
    project: String,
    environment: String,
    token: Secret,
    client: reqwest::Client,
}

/// The parts of a feature's environment that matter here.
struct EnvState {
    enabled: bool,
    strategy_id: Option<String>,
    rollout: Option<f64>,
    strategies: Vec<String>,
    variants: Vec<String>,
}

impl UnleashProvider {
    /// A provider from resolved parts.
    pub fn new(url: &str, project: &str, environment: &str, token: Secret) -> UnleashProvider {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        UnleashProvider {
            base: url.trim_end_matches('/').to_string(),
            project: project.to_string(),
            environment: environment.to_string(),
            token,
            client,
        }
    }

    /// Resolve the token reference and build the provider.
    pub async fn from_config(cfg: &UnleashConfig) -> Result<UnleashProvider, FlagError> {
        let token = cfg.token.resolve().await?;
        Ok(UnleashProvider::new(
            &cfg.url,
            &cfg.project,
            &cfg.environment,
            token,
        ))
    }

    fn feature_url(&self, flag: &str) -> String {
        format!(
            "{}/api/admin/projects/{}/features/{flag}",
            self.base, self.project
        )
    }

    fn err(&self, url: &str, message: impl AsRef<str>) -> FlagError {
        FlagError::Http {
            provider: "unleash".into(),
            url: url.to_string(),
            message: self.token.scrub(message.as_ref()),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), FlagError> {
        let mut req = self
            .client
            .request(method, url)
            .header("Authorization", self.token.expose());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| self.err(url, e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    async fn expect_ok(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, FlagError> {
        let (status, v) = self.call(method, url, body).await?;
        if (200..300).contains(&status) {
            return Ok(v);
        }
        let detail = v
            .get("message")
            .or_else(|| v.pointer("/details/0/message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string());
        let hint = match status {
            401 => " (check the admin token)",
            403 => " (the token lacks admin rights on this project)",
            _ => "",
        };
        Err(self.err(url, format!("HTTP {status}: {detail}{hint}")))
    }

    async fn env_state(&self, flag: &str) -> Result<EnvState, FlagError> {
        let url = self.feature_url(flag);
        let (status, v) = self.call(reqwest::Method::GET, &url, None).await?;
        if status == 404 {
            return Err(FlagError::FlagNotFound {
                flag: flag.into(),
                origin: url,
                known: vec![],
            });
        }
        if !(200..300).contains(&status) {
            return Err(self.err(&url, format!("HTTP {status}: {v}")));
        }
        let env = v
            .get("environments")
            .and_then(Value::as_array)
            .and_then(|envs| {
                envs.iter()
                    .find(|e| e.get("name").and_then(Value::as_str) == Some(&self.environment))
            })
            .ok_or_else(|| {
                self.err(
                    &url,
                    format!(
                        "environment \"{}\" not found on the feature",
                        self.environment
                    ),
                )
            })?;
        let strategies = env
            .get("strategies")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let flex = strategies
            .iter()
            .find(|s| s.get("name").and_then(Value::as_str) == Some("flexibleRollout"));
        let rollout = flex
            .and_then(|s| s.pointer("/parameters/rollout"))
            .and_then(|r| match r {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_f64(),
                _ => None,
            });
        let variants = env
            .get("variants")
            .or_else(|| v.get("variants"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(EnvState {
            enabled: env.get("enabled").and_then(Value::as_bool).unwrap_or(false),
            strategy_id: flex
                .and_then(|s| s.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string),
            rollout,
            strategies: strategies
                .iter()
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect(),
            variants,
        })
    }

    fn to_state(&self, flag: &str, s: &EnvState) -> FlagState {
        FlagState {
            flag: flag.into(),
            provider: "unleash".into(),
            enabled: s.enabled,
            rollout_percent: s.rollout,
            canary_variant: Some("on".into()),
            variants: s.variants.clone(),
            default_variant: None,
            summary: format!(
                "{} in {}, strategies [{}]{}",
                if s.enabled { "on" } else { "off" },
                self.environment,
                s.strategies.join(", "),
                s.rollout
                    .map(|r| format!(", flexibleRollout {r}%"))
                    .unwrap_or_default()
            ),
        }
    }

    async fn write_rollout(
        &self,
        flag: &str,
        percent: f64,
        st: &EnvState,
    ) -> Result<(), FlagError> {
        let env_url = format!(
            "{}/environments/{}",
            self.feature_url(flag),
            self.environment
        );
        let rollout = format!("{}", percent as u64);
        match &st.strategy_id {
            Some(id) => {
                let url = format!("{env_url}/strategies/{id}");
                let patch =
                    json!([{ "op": "replace", "path": "/parameters/rollout", "value": rollout }]);
                self.expect_ok(reqwest::Method::PATCH, &url, Some(patch))
                    .await?;
            }
            None => {
                let url = format!("{env_url}/strategies");
                let body = json!({
                    "name": "flexibleRollout",
                    "constraints": [],
                    "parameters": { "rollout": rollout, "stickiness": "default", "groupId": flag }
                });
                self.expect_ok(reqwest::Method::POST, &url, Some(body))
                    .await?;
            }
        }
        Ok(())
    }

    async fn switch(&self, flag: &str, on: bool) -> Result<(), FlagError> {
        let url = format!(
            "{}/environments/{}/{}",
            self.feature_url(flag),
            self.environment,
            if on { "on" } else { "off" }
        );
        self.expect_ok(reqwest::Method::POST, &url, None)
            .await
            .map(|_| ())
    }
}

#[async_trait]
impl FlagProvider for UnleashProvider {
    fn name(&self) -> &str {
        "unleash"
    }

    async fn read(&self, flag: &str) -> Result<FlagState, FlagError> {
        let st = self.env_state(flag).await?;
        Ok(self.to_state(flag, &st))
    }

    /// Unleash rollouts are whole percentages; a fraction is refused.
    async fn set_rollout(&self, flag: &str, percent: f64) -> Result<FlagState, FlagError> {
        check_percent(percent)?;
        if percent.fract() != 0.0 {
            return Err(FlagError::BadPercent {
                percent,
                message: "Unleash flexibleRollout takes whole percentages".into(),
            });
        }
        let st = self.env_state(flag).await?;
        self.write_rollout(flag, percent, &st).await?;
        if !st.enabled {
            self.switch(flag, true).await?;
        }
        let after = self.env_state(flag).await?;
        if after.enabled && after.rollout == Some(percent) {
            Ok(self.to_state(flag, &after))
        } else {
            Err(FlagError::NotConfirmed {
                provider: "unleash".into(),
                flag: flag.into(),
                wanted: format!("on, rollout {percent}%"),
                found: format!("enabled={} rollout={:?}", after.enabled, after.rollout),
            })
        }
    }

    /// Rollout to 0 and the environment off, then read back.
    async fn rollback(&self, flag: &str) -> Result<FlagState, FlagError> {
        let st = self.env_state(flag).await?;
        if st.strategy_id.is_some() && st.rollout != Some(0.0) {
            self.write_rollout(flag, 0.0, &st).await?;
        }
        if st.enabled {
            self.switch(flag, false).await?;
        }
        let after = self.env_state(flag).await?;
        if !after.enabled && after.rollout.is_none_or(|r| r == 0.0) {
            Ok(self.to_state(flag, &after))
        } else {
            Err(FlagError::NotConfirmed {
                provider: "unleash".into(),
                flag: flag.into(),
                wanted: "off, rollout 0%".into(),
                found: format!("enabled={} rollout={:?}", after.enabled, after.rollout),
            })
        }
    }
}
