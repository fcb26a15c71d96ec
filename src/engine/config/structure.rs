//! The structural pass: read the layered tree section by section into a
//! [`Config`], naming every unknown key and the first type error of each
//! section (and of each `[[environment.endpoints]]` and `[[stages]]` entry,
//! so that one bad entry does not hide the others).

use crate::config::{Layered, Problem, array_items, section, suggest, take};
use crate::core::event::StageKind;
use crate::environment::{EndpointConfig, EnvironmentSection};

use super::{Config, StageConfig};

const TOP_LEVEL: [&str; 16] = [
    "state_dir",
    "run",
    "environment",
    "gate",
    "ui",
    "load",
    "canary",
    "scan",
    "policy",
    "data",
    "history",
    "impact",
    "share",
    "notify",
    "drill",
    "stages",
];

/// An endpoint with every key set, whose keys are the suggestions for a
/// misspelt one (`EndpointConfig` has required keys, so no default).
fn sample_endpoint() -> EndpointConfig {
    EndpointConfig {
        name: String::new(),
        url: String::new(),
        expect_status: 200,
        version_url: None,
        version_field: String::new(),
        expect_version: None,
        critical: true,
        max_latency_ms: None,
    }
}

/// A stage with every key set, including the optional ones serde skips.
fn sample_stage() -> StageConfig {
    StageConfig {
        id: String::new(),
        kind: StageKind::Gate,
        weight: 1.0,
        hard: false,
        enabled: true,
        needs: Some(Vec::new()),
        resource: Some(String::new()),
    }
}

/// Deserialize the layered config section by section. `None` when any
/// section could not be read (its problems are in `problems`).
pub(super) fn check_structure(
    layered: &Layered<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Config> {
    let before = problems.len();
    let origins = layered.origins();
    let mut cfg = Config::default();
    let known = serde_json::to_value(Config::default()).unwrap_or_default();
    for k in layered.top_keys()? {
        if !TOP_LEVEL.contains(&k.as_str()) {
            problems.push(Problem {
                severity: crate::config::Severity::Error,
                source: origins.of(&k),
                key: k.clone(),
                message: "unknown section or key".into(),
                hint: suggest(&k, TOP_LEVEL.iter().map(|s| s.to_string()).collect()),
            });
        }
    }
    let get = |k: &str| layered.get(k);
    let known_at = |k: &str| known.get(k).cloned().unwrap_or_default();
    if let Some(v) = get("state_dir")
        && let Some(s) = section(v, "state_dir", &known, origins, problems)
    {
        cfg.state_dir = s;
    }
    if let Some(v) = get("run")
        && let Some(s) = section(v, "run", &known_at("run"), origins, problems)
    {
        cfg.run = s;
    }
    if let Some(v) = get("gate")
        && let Some(s) = section(v, "gate", &known_at("gate"), origins, problems)
    {
        cfg.gate = s;
    }
    if let Some(v) = get("ui")
        && let Some(s) = section(v, "ui", &known_at("ui"), origins, problems)
    {
        cfg.ui = s;
    }
    if let Some(v) = get("load")
        && let Some(s) = section(v, "load", &known_at("load"), origins, problems)
    {
        cfg.load = s;
    }
    if let Some(v) = get("canary")
        && let Some(s) = section(v, "canary", &known_at("canary"), origins, problems)
    {
        cfg.canary = s;
    }
    if let Some(v) = get("scan")
        && let Some(s) = section(v, "scan", &known_at("scan"), origins, problems)
    {
        cfg.scan = s;
    }
    if let Some(v) = get("policy")
        && let Some(s) = section(v, "policy", &known_at("policy"), origins, problems)
    {
        cfg.policy = s;
    }
    if let Some(v) = get("data")
        && let Some(s) = section(v, "data", &known_at("data"), origins, problems)
    {
        cfg.data = s;
    }
    if let Some(v) = get("history")
        && let Some(s) = section(v, "history", &known_at("history"), origins, problems)
    {
        cfg.history = s;
    }
    if let Some(v) = get("impact")
        && let Some(s) = section(v, "impact", &known_at("impact"), origins, problems)
    {
        cfg.impact = s;
    }
    if let Some(mut v) = get("environment") {
        let endpoints = take(&mut v, "endpoints");
        let health = take(&mut v, "health");
        let k = known_at("environment");
        if let Some(s) = section::<EnvironmentSection>(v, "environment", &k, origins, problems) {
            cfg.environment = s;
        }
        if let Some(h) = health {
            let k = known
                .get("environment")
                .and_then(|e| e.get("health"))
                .cloned()
                .unwrap_or_default();
            if let Some(h) = section(h, "environment.health", &k, origins, problems) {
                cfg.environment.health = h;
            }
        }
        if let Some(eps) = endpoints {
            let k = serde_json::to_value(sample_endpoint()).unwrap_or_default();
            for (i, ep) in array_items(eps, "environment.endpoints", origins, problems)
                .into_iter()
                .enumerate()
            {
                let prefix = format!("environment.endpoints[{i}]");
                if let Some(e) = section(ep, &prefix, &k, origins, problems) {
                    cfg.environment.endpoints.push(e);
                }
            }
        }
    }
    if let Some(v) = get("share")
        && let Some(s) = section(v, "share", &known_at("share"), origins, problems)
    {
        cfg.share = s;
    }
    if let Some(v) = get("notify") {
        let k = serde_json::to_value(crate::notify::SinkConfig::sample()).unwrap_or_default();
        for (i, item) in array_items(v, "notify", origins, problems)
            .into_iter()
            .enumerate()
        {
            if let Some(s) = section(item, &format!("notify[{i}]"), &k, origins, problems) {
                cfg.notify.push(s);
            }
        }
    }
    if let Some(v) = get("drill")
        && let Some(s) = section(v, "drill", &serde_json::Value::Null, origins, problems)
    {
        cfg.drill = s;
    }
    if let Some(v) = get("stages") {
        let k = serde_json::to_value(sample_stage()).unwrap_or_default();
        for (i, st) in array_items(v, "stages", origins, problems)
            .into_iter()
            .enumerate()
        {
            if let Some(s) = section(st, &format!("stages[{i}]"), &k, origins, problems) {
                cfg.stages.push(s);
            }
        }
    }
    (problems.len() == before).then_some(cfg)
}
