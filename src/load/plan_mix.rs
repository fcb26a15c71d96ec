//! Resolving the request mix from the config: explicit requests, the
//! target alone, or a URL list, each URL checked against the allow-list.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};

use crate::config::Problem;
use crate::load::config::LoadConfig;
use crate::load::error::LoadError;
use crate::load::target::{self, Origin, ParsedUrl};

/// A mix entry before interning origins and names.
pub(crate) struct RawEntry {
    pub(crate) name: String,
    pub(crate) method: Method,
    pub(crate) url: ParsedUrl,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) weight: u32,
}

fn field_err(key: String, message: String, hint: &str) -> LoadError {
    LoadError::Field {
        key,
        message,
        hint: hint.to_string(),
    }
}

/// Resolve the request mix, pushing every problem into `errors`.
pub(crate) fn build_mix(cfg: &LoadConfig, errors: &mut Vec<LoadError>) -> Vec<RawEntry> {
    let mut out = Vec::new();
    if !cfg.target.is_empty() {
        match target::parse_url("load.target", &cfg.target) {
            Ok(u) => {
                if let Err(e) = check_origin("load.target", &u.origin, &cfg.allow_hosts) {
                    errors.push(e);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    for (i, r) in cfg.requests.iter().enumerate() {
        let key = format!("load.requests[{i}]");
        let method = match Method::from_bytes(r.method.as_bytes()) {
            Ok(m) if !r.method.is_empty() => m,
            _ => {
                errors.push(field_err(
                    format!("{key}.method"),
                    format!("\"{}\" is not an HTTP method", r.method),
                    "e.g. method = \"POST\"",
                ));
                continue;
            }
        };
        let full = target::join(&cfg.target, &r.path);
        if !full.contains("://") {
            errors.push(field_err(
                format!("{key}.path"),
                format!("\"{}\" is relative and load.target is empty", r.path),
                "set load.target or write a full http:// URL",
            ));
            continue;
        }
        let url = match target::parse_url(&format!("{key}.path"), &full) {
            Ok(u) => u,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Err(e) = check_origin(&format!("{key}.path"), &url.origin, &cfg.allow_hosts) {
            errors.push(e);
            continue;
        }
        let mut headers = HeaderMap::new();
        for (k, v) in &r.headers {
            match (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                (Ok(n), Ok(v)) => {
                    headers.insert(n, v);
                }
                _ => errors.push(field_err(
                    format!("{key}.headers.{k}"),
                    format!("\"{k}: {v}\" is not a valid header"),
                    "header names are tokens, values printable ASCII",
                )),
            }
        }
        if r.weight == 0 {
            errors.push(field_err(
                format!("{key}.weight"),
                "weight 0 never sends this request".into(),
                "use a weight of 1 or more, or remove the entry",
            ));
            continue;
        }
        let name = if r.name.trim().is_empty() {
            format!("{method} {}", path_only(&url.path_and_query))
        } else {
            r.name.clone()
        };
        let body = r.body.clone().map(Bytes::from).unwrap_or_default();
        out.push(RawEntry {
            name,
            method,
            url,
            headers,
            body,
            weight: r.weight,
        });
    }
    if let Some(file) = &cfg.urls_file {
        match target::read_url_file(file, &cfg.allow_hosts) {
            Ok(lines) => {
                for l in lines {
                    let name = format!("{} {}", l.method, path_only(&l.url.path_and_query));
                    out.push(RawEntry {
                        name,
                        method: l.method,
                        url: l.url,
                        headers: HeaderMap::new(),
                        body: Bytes::new(),
                        weight: 1,
                    });
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if cfg.requests.is_empty() && cfg.urls_file.is_none() {
        if cfg.target.is_empty() {
            errors.push(field_err(
                "load.target".into(),
                "no target and no requests".into(),
                "set load.target = \"http://127.0.0.1:8080\" or add [[load.requests]]",
            ));
        } else if let Ok(url) = target::parse_url("load.target", &cfg.target) {
            let name = format!("GET {}", path_only(&url.path_and_query));
            if host_ok(&url, &cfg.allow_hosts) {
                out.push(RawEntry {
                    name,
                    method: Method::GET,
                    url,
                    headers: HeaderMap::new(),
                    body: Bytes::new(),
                    weight: 1,
                });
            }
        }
    }
    out
}

fn host_ok(url: &ParsedUrl, allow: &[String]) -> bool {
    target::host_allowed(&url.origin.host, allow)
}

fn check_origin(field: &str, origin: &Origin, allow: &[String]) -> Result<(), LoadError> {
    target::check_allowed(field, origin, allow)
}

fn path_only(pq: &str) -> &str {
    pq.split('?').next().unwrap_or(pq)
}

/// Map an engine error to a config-checker problem.
pub(crate) fn problem_of(e: &LoadError) -> Problem {
    match e {
        LoadError::HostNotAllowed { field, host } => Problem::at(
            field.clone(),
            format!("host \"{host}\" is not on the allow-list"),
            format!(
                "add it to load.allow_hosts (allow_hosts = [\"{host}\"]) if you really mean to send load there"
            ),
        ),
        LoadError::BadUrl { field, url, reason } => Problem::at(
            field.clone(),
            format!("\"{url}\" is not a usable URL: {reason}"),
            "write e.g. http://127.0.0.1:8080/path",
        ),
        LoadError::UrlFile { line, message, .. } => Problem::at(
            "load.urls_file",
            format!("line {line}: {message}"),
            "one `URL` or `METHOD URL` per line; # starts a comment",
        ),
        LoadError::Field { key, message, hint } => {
            Problem::at(key.clone(), message.clone(), hint.clone())
        }
        other => Problem::at("load", other.to_string(), String::new()),
    }
}

/// How realistic the test was, when the mix was learned from production:
/// information, so it carries no verdict.
pub fn coverage_evidence(cfg: &LoadConfig) -> Option<crate::core::verdict::Evidence> {
    let learned = cfg.with_mix_file().ok().and_then(|c| c.learned)?;
    Some(crate::core::verdict::Evidence {
        label: "mix coverage".into(),
        value: learned.evidence_line(),
        threshold: None,
        verdict: crate::core::verdict::Verdict::Skipped,
    })
}
