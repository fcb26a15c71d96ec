//! Structural checks (types, unknown keys) and semantic checks (ranges, ids,
//! URLs) of a configuration, collecting every problem instead of stopping at
//! the first.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Config, EndpointConfig, EnvironmentSection, Origins, Problem, StageConfig};
use crate::core::event::StageKind;

/// Placeholders that `flightdeck demo` fills with its embedded targets and assets.
pub const DEMO_PLACEHOLDERS: [&str; 4] = [
    "{demo.baseline}",
    "{demo.canary}",
    "{demo.app}",
    "{demo.assets}",
];

const TOP_LEVEL: [&str; 10] = [
    "state_dir",
    "run",
    "environment",
    "gate",
    "ui",
    "load",
    "canary",
    "scan",
    "policy",
    "stages",
];

/// Deserialize one part of the config, recording unknown keys and the first
/// type error with its full key path.
fn section<T: DeserializeOwned + Serialize>(
    value: config::Value,
    prefix: &str,
    known: &serde_json::Value,
    origins: &Origins<'_>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let mut unknown = Vec::new();
    let mut record = |p: serde_ignored::Path<'_>| unknown.push(p.to_string());
    let de = serde_ignored::Deserializer::new(value, &mut record);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    for u in unknown {
        let key = join(prefix, &u);
        let leaf = u.rsplit('.').next().unwrap_or(&u).to_string();
        let parent = u.rsplit_once('.').map(|(p, _)| p).unwrap_or("");
        problems.push(Problem {
            source: origins.of(&key),
            key: key.clone(),
            message: "unknown key".into(),
            hint: suggest(&leaf, known_keys_at(known, parent)),
        });
    }
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().to_string();
            let mut key = if path == "." {
                prefix.to_string()
            } else {
                join(prefix, &path)
            };
            let mut message = clean_message(&e.inner().to_string());
            let mut hint = hint_for(&message);
            if let Some(field) = quoted_after(&message, "missing configuration field ") {
                // The field may be a full path below the section already.
                key = if field.contains('.') {
                    join(prefix, &field)
                } else {
                    join(&key, &field)
                };
                message = "is required but missing".into();
                hint = "add it; config/flightdeck.toml shows an example".into();
            } else if message.contains("secret reference") {
                // Internally tagged enums (the canary provider) lose the
                // path below them; the token is the provider's only reference.
                if key.ends_with(".provider") {
                    key.push_str(".token");
                }
                hint = format!("write {}", crate::secrets::SHAPES_HINT);
            } else if let Some(bad) = message.split("does not have variant constructor ").nth(1) {
                let leaf = key.rsplit('.').next().unwrap_or(&key);
                message = format!("unknown value `{}`", bad.trim());
                hint = match allowed_values(leaf) {
                    Some(list) => format!("use one of {list}"),
                    None => "see config/flightdeck.toml for the allowed values".into(),
                };
            }
            problems.push(Problem {
                source: origins.of(&key),
                key,
                hint,
                message,
            });
            None
        }
    }
}

fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else if path.is_empty() || path == "." {
        prefix.to_string()
    } else {
        format!("{prefix}.{path}")
    }
}

/// Drop the `config` crate's own location suffix: we name the source ourselves.
fn clean_message(m: &str) -> String {
    let m = m.split(" for key `").next().unwrap_or(m);
    let m = m.split(" in the environment").next().unwrap_or(m);
    m.trim().to_string()
}

fn quoted_after(message: &str, lead: &str) -> Option<String> {
    let rest = message.strip_prefix(lead)?;
    Some(rest.trim_matches(|c| c == '"' || c == '`').to_string())
}

/// Allowed values of enum-valued keys, named by their leaf key.
fn allowed_values(leaf: &str) -> Option<&'static str> {
    match leaf {
        "risk" => Some("dev, staging, preprod, prod"),
        "kind" => Some("environment, load, scan, policy, drill, canary, gate"),
        "color" => Some("auto, never, 16, 256, truecolor"),
        "apply" => Some("never, confirm, auto"),
        _ => None,
    }
}

fn hint_for(message: &str) -> String {
    if let Some(rest) = message.split("expected one of ").nth(1) {
        format!("use one of {rest}")
    } else if message.starts_with("missing field") {
        "add the field; config/flightdeck.toml shows an example".into()
    } else if message.starts_with("invalid type") {
        "write the value with the type shown in config/flightdeck.toml".into()
    } else {
        "see config/flightdeck.toml for the expected shape".into()
    }
}

fn known_keys_at(known: &serde_json::Value, parent: &str) -> Vec<String> {
    let mut cur = known;
    for part in parent.split('.').filter(|p| !p.is_empty()) {
        cur = match cur.get(part) {
            Some(v) => v,
            None => return Vec::new(),
        };
    }
    cur.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn suggest(leaf: &str, known: Vec<String>) -> String {
    let best = known
        .iter()
        .map(|k| (strsim::levenshtein(leaf, k), k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= 3 => format!("did you mean `{k}`?"),
        _ if !known.is_empty() => format!("known keys here: {}", known.join(", ")),
        _ => "remove it".into(),
    }
}

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

fn table(v: &config::Value) -> Option<&config::Map<String, config::Value>> {
    match &v.kind {
        config::ValueKind::Table(t) => Some(t),
        _ => None,
    }
}

fn array_items(
    v: config::Value,
    key: &str,
    origins: &Origins<'_>,
    problems: &mut Vec<Problem>,
) -> Vec<config::Value> {
    match v.kind {
        config::ValueKind::Array(items) => items,
        _ => {
            problems.push(Problem {
                source: origins.of(key),
                key: key.to_string(),
                message: "must be an array of tables".into(),
                hint: format!("write each entry as [[{key}]]"),
            });
            Vec::new()
        }
    }
}

/// Deserialize the layered config section by section.
pub(crate) fn check_structure(
    built: &config::Config,
    origins: &Origins<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Config> {
    let before = problems.len();
    let mut cfg = Config::default();
    let known = serde_json::to_value(Config::default()).unwrap_or_default();
    let root = origins.root;
    let top = table(root)?;
    for k in top.keys() {
        if !TOP_LEVEL.contains(&k.as_str()) {
            problems.push(Problem {
                source: origins.of(k),
                key: k.clone(),
                message: "unknown section or key".into(),
                hint: suggest(k, TOP_LEVEL.iter().map(|s| s.to_string()).collect()),
            });
        }
    }
    let get = |k: &str| built.get::<config::Value>(k).ok();
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
    if let Some(mut v) = get("environment") {
        let (endpoints, health) = match &mut v.kind {
            config::ValueKind::Table(t) => (t.remove("endpoints"), t.remove("health")),
            _ => (None, None),
        };
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

fn problem(key: String, message: impl Into<String>, hint: impl Into<String>) -> Problem {
    Problem {
        source: String::new(),
        key,
        message: message.into(),
        hint: hint.into(),
    }
}

/// Kinds this build can run. The others arrive with their own capabilities.
pub const RUNNABLE_KINDS: [StageKind; 6] = [
    StageKind::Environment,
    StageKind::Load,
    StageKind::Canary,
    StageKind::Scan,
    StageKind::Policy,
    StageKind::Gate,
];

/// Checks of meaning: ranges, unique ids, URLs, plan order. `source` is left
/// empty; the caller fills it in.
pub fn check_semantics(cfg: &Config) -> Vec<Problem> {
    let mut out = Vec::new();
    let g = &cfg.gate;
    for (k, v) in [
        ("gate.pass_score", g.pass_score),
        ("gate.warn_score", g.warn_score),
    ] {
        if !(0.0..=100.0).contains(&v) {
            out.push(problem(
                k.into(),
                format!("{v} is outside 0..=100"),
                "use a score between 0 and 100",
            ));
        }
    }
    if g.warn_score > g.pass_score {
        out.push(problem(
            "gate.warn_score".into(),
            format!(
                "warn_score {} is above pass_score {}",
                g.warn_score, g.pass_score
            ),
            "warn_score must be at most pass_score",
        ));
    }
    if !(1..=60).contains(&cfg.ui.fps) {
        out.push(problem(
            "ui.fps".into(),
            format!("{} is outside 1..=60", cfg.ui.fps),
            "use 10 unless you have a reason",
        ));
    }
    if cfg.run.service.trim().is_empty() {
        out.push(problem(
            "run.service".into(),
            "is empty",
            "name the service under validation",
        ));
    }
    let h = &cfg.environment.health;
    if h.timeout_ms == 0 {
        out.push(problem(
            "environment.health.timeout_ms".into(),
            "must be above 0",
            "use e.g. 2000",
        ));
    }
    if h.retries > 10 {
        out.push(problem(
            "environment.health.retries".into(),
            format!("{} retries is too many", h.retries),
            "use at most 10",
        ));
    }
    let mut names = std::collections::HashSet::new();
    for (i, ep) in cfg.environment.endpoints.iter().enumerate() {
        let k = |f: &str| format!("environment.endpoints[{i}].{f}");
        if ep.name.trim().is_empty() {
            out.push(problem(
                k("name"),
                "is empty",
                "give the endpoint a short name, e.g. api",
            ));
        } else if !names.insert(ep.name.as_str()) {
            out.push(problem(
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
            out.push(problem(
                k("expect_status"),
                format!("{} is not an HTTP status", ep.expect_status),
                "use 100..=599, usually 200",
            ));
        }
    }
    for (i, u) in cfg.scan.posture_urls.iter().enumerate() {
        check_url(u, &format!("scan.posture_urls[{i}]"), &mut out);
    }
    for (i, a) in cfg.scan.acceptances.iter().enumerate() {
        for p in a.problems() {
            out.push(problem(
                format!("scan.acceptances[{i}]"),
                p,
                "give rule or fingerprint, a justification, an approver and an expiry date",
            ));
        }
    }
    for (i, sc) in cfg.scan.scanners.iter().enumerate() {
        if sc.argv.is_empty() {
            out.push(problem(
                format!("scan.scanners[{i}].argv"),
                "is empty",
                "write the program and its arguments, e.g. [\"bandit\", \"-f\", \"sarif\", ...]",
            ));
        }
    }
    let has = |k: StageKind| cfg.stages.iter().any(|s| s.kind == k && s.enabled);
    if has(StageKind::Load) {
        let mut load = cfg.load.clone();
        // Placeholders are filled by the demo; check the rest of the URL.
        for p in DEMO_PLACEHOLDERS {
            load.target = load.target.replace(p, "http://127.0.0.1:1");
        }
        for (key, message, hint) in load.validate() {
            let key = if key.starts_with("load.") {
                key
            } else {
                format!("load.{key}")
            };
            out.push(problem(key, message, hint));
        }
    }
    if let Some(iac) = &cfg.environment.iac {
        // Paths holding demo placeholders only exist once the demo fills them.
        let filled_later = |m: &str| DEMO_PLACEHOLDERS.iter().any(|p| m.contains(p));
        for (key, message, hint) in iac.validate() {
            if !filled_later(&message) {
                out.push(problem(format!("environment.iac.{key}"), message, hint));
            }
        }
    }
    if has(StageKind::Canary) {
        for issue in cfg.canary.validate() {
            out.push(problem(
                format!("canary.{}", issue.key),
                issue.message,
                issue.hint,
            ));
        }
        if !has(StageKind::Load) && cfg.load.target.is_empty() {
            out.push(problem(
                "load.target".into(),
                "the canary stage sends its traffic with the [load] settings, but load.target is empty",
                "set load.target to the service's URL (the one that routes by the flag)",
            ));
        }
    }
    if has(StageKind::Policy) && cfg.policy.dir.is_none() {
        out.push(problem(
            "policy.dir".into(),
            "a policy stage is planned but no policy directory is set",
            "set policy.dir to a directory of .rego files, e.g. config/policies",
        ));
    }
    let mut ids = std::collections::HashSet::new();
    let n = cfg.stages.len();
    for (i, st) in cfg.stages.iter().enumerate() {
        let k = |f: &str| format!("stages[{i}].{f}");
        let valid_id = !st.id.is_empty()
            && st
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid_id {
            out.push(problem(
                k("id"),
                format!("`{}` is not a valid stage id", st.id),
                "use lower-case letters, digits, - and _",
            ));
        } else if !ids.insert(st.id.as_str()) {
            out.push(problem(
                k("id"),
                format!("duplicate stage id `{}`", st.id),
                "stage ids must be unique",
            ));
        }
        if !st.weight.is_finite() || st.weight < 0.0 {
            out.push(problem(
                k("weight"),
                format!("{} is not a weight", st.weight),
                "use a number >= 0",
            ));
        }
        if !RUNNABLE_KINDS.contains(&st.kind) {
            out.push(problem(
                k("kind"),
                format!(
                    "stage kind `{}` is not available in this build yet",
                    st.kind.as_str()
                ),
                "remove this stage or set enabled = false",
            ));
        }
        if st.kind == StageKind::Gate && i + 1 != n {
            out.push(problem(
                k("kind"),
                "the gate stage must be the last stage",
                "move it to the end of [[stages]]",
            ));
        }
    }
    if out.iter().all(|p| !p.key.starts_with("stages[")) {
        out.extend(crate::engine::graph::check(&cfg.stages));
    }
    if n == 0 {
        out.push(problem(
            "stages".into(),
            "the run plan has no stages",
            "add [[stages]] entries, e.g. kind = \"environment\" and kind = \"gate\"",
        ));
    }
    out
}

fn check_url(url: &str, key: &str, out: &mut Vec<Problem>) {
    let mut u = url.to_string();
    for p in DEMO_PLACEHOLDERS {
        u = u.replace(p, "http://127.0.0.1:1");
    }
    match reqwest::Url::parse(&u) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {}
        Ok(parsed) => out.push(problem(
            key.into(),
            format!("`{url}` has scheme `{}`", parsed.scheme()),
            "use an http:// or https:// URL",
        )),
        Err(e) => out.push(problem(
            key.into(),
            format!("`{url}` is not a URL ({e})"),
            "write a full URL such as http://127.0.0.1:8080/healthz",
        )),
    }
}

/// Whether a config still holds demo placeholders (only `flightdeck demo` fills them).
pub fn uses_demo_placeholders(cfg: &Config) -> bool {
    let mut found = false;
    let mut cfg = cfg.clone();
    map_placeholder_fields(&mut cfg, |s| {
        found |= DEMO_PLACEHOLDERS.iter().any(|p| s.contains(p));
        s.to_string()
    });
    found
}

/// Apply `f` to every config string that may hold a demo placeholder (URLs and paths).
pub fn map_placeholder_fields(cfg: &mut Config, mut f: impl FnMut(&str) -> String) {
    for e in &mut cfg.environment.endpoints {
        e.url = f(&e.url);
        if let Some(v) = &e.version_url {
            e.version_url = Some(f(v));
        }
    }
    for u in &mut cfg.scan.posture_urls {
        *u = f(u);
    }
    cfg.load.target = f(&cfg.load.target);
    if let crate::canary::ProviderConfig::File { path } = &mut cfg.canary.provider {
        *path = f(path);
    }
    if let Some(iac) = &mut cfg.environment.iac {
        iac.working_dir = f(&iac.working_dir.to_string_lossy()).into();
        if let Some(b) = &iac.binary {
            iac.binary = Some(f(b));
        }
        for v in iac.vars.values_mut() {
            *v = f(v);
        }
        for p in iac.var_files.iter_mut().chain(iac.plan_json.iter_mut()) {
            *p = f(&p.to_string_lossy()).into();
        }
        if let Some(parity) = &mut iac.parity {
            for p in parity.prod_state.iter_mut() {
                *p = f(&p.to_string_lossy()).into();
            }
            if let Some(pair) = &mut parity.var_files {
                pair.preprod = f(&pair.preprod.to_string_lossy()).into();
                pair.prod = f(&pair.prod.to_string_lossy()).into();
            }
        }
    }
    for r in &mut cfg.load.requests {
        r.path = f(&r.path);
    }
    let paths = cfg
        .scan
        .sarif
        .iter_mut()
        .chain(cfg.scan.secrets_paths.iter_mut())
        .chain(cfg.scan.secrets_rules.iter_mut())
        .chain(cfg.policy.dir.iter_mut());
    for p in paths {
        *p = f(&p.to_string_lossy()).into();
    }
}
