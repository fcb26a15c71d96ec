//! `flightdeck secrets check`: every secret reference in a config, where it
//! is, what kind, and whether it resolves. Values are never printed; a
//! failure prints the error, which names the reference and the fix.
//!
//! Resolving one reference is [`crate::secrets::check`]'s; finding the
//! references needs the whole config, so the face sits here, above the
//! engine that owns it.

use std::fmt::Write as _;

use serde::Serialize;

use super::Failure;
use crate::canary::ProviderConfig;
use crate::cli::SecretsCheckArgs;
use crate::config::Sources;
use crate::engine::Config;
use crate::output::OutputFormat;
use crate::secrets::SecretRef;
use crate::secrets::check::{RefStatus, resolve_all};

/// The JSON document of `secrets check --output json`.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// Config file checked.
    pub config: String,
    /// Every reference, in config order.
    pub references: Vec<RefStatus>,
    /// How many resolved.
    pub resolved: usize,
    /// How many did not.
    pub failed: usize,
}

/// Every secret reference a config holds, with its key path. New secret
/// fields in config must be listed here (a unit test walks the serialised
/// config to catch a missing one).
pub fn references(cfg: &Config) -> Vec<(String, SecretRef)> {
    let mut out = Vec::new();
    match &cfg.canary.provider {
        ProviderConfig::Ofrep { token: Some(t), .. } => {
            out.push(("canary.provider.token".to_string(), t.clone()));
        }
        ProviderConfig::Unleash(u) => {
            out.push(("canary.provider.token".to_string(), u.token.clone()));
        }
        ProviderConfig::Ofrep { token: None, .. } | ProviderConfig::File { .. } => {}
    }
    if let Some(url) = &cfg.history.url {
        out.push(("history.url".to_string(), url.clone()));
    }
    for (i, s) in cfg.notify.iter().enumerate() {
        for (field, r) in [("url", &s.url), ("secret", &s.secret)] {
            if let Some(r) = r {
                out.push((format!("notify[{i}].{field}"), r.clone()));
            }
        }
    }
    out
}

/// Resolve every reference of `cfg` (sequentially: there are few).
pub async fn check(cfg: &Config, label: &str) -> CheckReport {
    let refs = resolve_all(references(cfg)).await;
    let resolved = refs.iter().filter(|r| r.resolved).count();
    CheckReport {
        config: label.to_string(),
        failed: refs.len() - resolved,
        resolved,
        references: refs,
    }
}

/// Run `secrets check`: stdout text and exit code (0 all resolve, 1 some do
/// not); a bad config is a [`Failure`] with exit code 2.
pub async fn run_check(args: &SecretsCheckArgs) -> Result<(String, i32), Failure> {
    let cfg = super::load_config(&Sources::from_process(Some(args.config.clone())))?;
    let report = check(&cfg, &args.config.display().to_string()).await;
    let code = i32::from(report.failed > 0);
    let out = match args.output {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
            s.push('\n');
            s
        }
        OutputFormat::Text => text(&report),
    };
    Ok((out, code))
}

fn text(r: &CheckReport) -> String {
    let n = r.references.len();
    if n == 0 {
        return format!("{}: no secret references\n", r.config);
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let width = r.references.iter().map(|s| s.path.len()).max().unwrap_or(0);
    let mut out = format!("{}: {n} secret reference{}\n", r.config, plural(n));
    for s in &r.references {
        let state = if s.resolved { "ok" } else { "FAILED" };
        let _ = writeln!(out, "  {state:<6}  {:<width$}  {}", s.path, s.reference);
        if let Some(e) = &s.error {
            let _ = writeln!(out, "          {e}");
        }
    }
    if r.failed == 0 {
        let _ = writeln!(out, "all {n} resolve");
    } else {
        let _ = writeln!(out, "{} of {n} do not resolve", r.failed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::UnleashConfig;

    /// Objects in the serialised config that parse as secret references.
    fn walk(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if (m.contains_key("env") || m.contains_key("aws_secret"))
                    && serde_json::from_value::<SecretRef>(v.clone()).is_ok()
                {
                    out.push(path.to_string());
                    return;
                }
                for (k, child) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(child, &p, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_reference_in_config_is_listed() {
        let mut cfg = Config::default();
        cfg.canary.provider = ProviderConfig::Unleash(UnleashConfig {
            url: "http://127.0.0.1:4242".into(),
            project: "default".into(),
            environment: "development".into(),
            token: SecretRef::aws("preprod/unleash", Some("token")),
        });
        cfg.history.url = Some(SecretRef::env("FLIGHTDECK_HISTORY_URL"));
        let mut found = Vec::new();
        walk(&serde_json::to_value(&cfg).unwrap(), "", &mut found);
        let listed: Vec<String> = references(&cfg).into_iter().map(|(p, _)| p).collect();
        assert_eq!(found, listed);
    }

    #[test]
    fn text_names_reference_and_error_never_a_value() {
        let report = CheckReport {
            config: "c.toml".into(),
            references: vec![RefStatus {
                path: "canary.provider.token".into(),
                kind: "env",
                reference: SecretRef::env("FD_TOKEN"),
                resolved: false,
                error: Some("secret from environment variable FD_TOKEN is not set".into()),
            }],
            resolved: 0,
            failed: 1,
        };
        let t = text(&report);
        assert!(
            t.contains("FAILED  canary.provider.token  { env = \"FD_TOKEN\" }"),
            "{t}"
        );
        assert!(t.ends_with("1 of 1 do not resolve\n"), "{t}");
    }
}
