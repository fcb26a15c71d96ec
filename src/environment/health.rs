//! HTTP health and version checks of the environment's endpoints, with
//! retries and timeouts. Every attempt becomes a `HealthCheck` event.

use std::time::{Duration, Instant};

use super::config::{EndpointConfig, HealthSettings};
use crate::core::event::{Event, HealthCheck, LogLevel};
use crate::core::format::trim_num;
use crate::core::verdict::{Evidence, Verdict};
use crate::record::recorder::Recorder;

/// Most bytes of a body quoted in an error message.
const QUOTE_LEN: usize = 60;

/// A client suited to health checks: no proxy (loopback must stay loopback), per-request timeout.
pub fn client(settings: &HealthSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Outcome of one attempt, before it becomes an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// HTTP status of the health URL.
    pub status: Option<u16>,
    /// Latency of the health request, in ms.
    pub latency_ms: Option<f64>,
    /// Version reported, if asked.
    pub version: Option<String>,
    /// Verdict.
    pub verdict: Verdict,
    /// Why it is not a pass.
    pub reason: Option<String>,
    /// Whether retrying could help (transport errors, bad status).
    pub retryable: bool,
}

fn describe(e: &reqwest::Error, timeout_ms: u64) -> String {
    if e.is_timeout() {
        format!("no answer within {timeout_ms} ms (timeout)")
    } else if e.is_connect() {
        let root = std::error::Error::source(e)
            .and_then(|s| s.source())
            .map(|s| s.to_string())
            .unwrap_or_else(|| "connection failed".into());
        format!("cannot connect ({root}); is the service up?")
    } else if e.is_body() || e.is_decode() {
        format!("response body unreadable ({e})")
    } else {
        format!("request failed ({e})")
    }
}

fn quote(body: &str) -> String {
    let clean: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(QUOTE_LEN)
        .collect();
    if body.chars().count() > QUOTE_LEN {
        format!("`{clean}...`")
    } else {
        format!("`{clean}`")
    }
}

/// Read the version from a version endpoint's body: a JSON object with
/// `field`, or a short plain-text version string.
pub fn parse_version(body: &str, field: &str, content_type: &str) -> Result<String, String> {
    let trimmed = body.trim();
    let looks_json = content_type.contains("json") || trimmed.starts_with('{');
    if looks_json {
        let v: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|_| format!("version endpoint returned invalid JSON {}", quote(trimmed)))?;
        return match v.get(field) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(other) if !other.is_null() => Ok(other.to_string()),
            _ => Err(format!(
                "version endpoint JSON has no `{field}` field (set version_field)"
            )),
        };
    }
    let plausible = !trimmed.is_empty()
        && trimmed.len() <= 64
        && !trimmed.contains(char::is_whitespace)
        && trimmed.chars().any(|c| c.is_ascii_digit());
    if plausible {
        Ok(trimmed.to_string())
    } else {
        Err(format!(
            "version endpoint returned something that is not a version {}",
            quote(trimmed)
        ))
    }
}

/// One attempt at one endpoint.
pub async fn attempt(
    client: &reqwest::Client,
    ep: &EndpointConfig,
    settings: &HealthSettings,
) -> Attempt {
    let max_latency = ep.max_latency_ms.unwrap_or(settings.max_latency_ms) as f64;
    let started = Instant::now();
    let resp = client.get(&ep.url).send().await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            return Attempt {
                status: None,
                latency_ms: None,
                version: None,
                verdict: Verdict::Fail,
                reason: Some(describe(&e, settings.timeout_ms)),
                retryable: true,
            };
        }
    };
    let status = resp.status().as_u16();
    let body = resp.text().await;
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    let mut out = Attempt {
        status: Some(status),
        latency_ms: Some(latency_ms),
        version: None,
        verdict: Verdict::Pass,
        reason: None,
        retryable: false,
    };
    if let Err(e) = body {
        out.verdict = Verdict::Fail;
        out.reason = Some(describe(&e, settings.timeout_ms));
        out.retryable = true;
        return out;
    }
    if status != ep.expect_status {
        out.verdict = Verdict::Fail;
        out.reason = Some(format!("HTTP {status} (expected {})", ep.expect_status));
        out.retryable = true;
        return out;
    }
    if let Some(url) = &ep.version_url {
        match fetch_version(client, url, &ep.version_field, settings).await {
            Ok(v) => {
                if let Some(want) = &ep.expect_version
                    && &v != want
                {
                    out.verdict = Verdict::Fail;
                    out.reason = Some(format!("version {v} (expected {want})"));
                }
                out.version = Some(v);
            }
            Err(reason) => {
                out.verdict = Verdict::Fail;
                out.reason = Some(reason);
                out.retryable = true;
            }
        }
        if out.verdict == Verdict::Fail {
            return out;
        }
    }
    if latency_ms > max_latency {
        out.verdict = Verdict::Warn;
        out.reason = Some(format!(
            "slow: {} ms (limit {} ms)",
            trim_num(latency_ms),
            trim_num(max_latency)
        ));
    }
    out
}

async fn fetch_version(
    client: &reqwest::Client,
    url: &str,
    field: &str,
    settings: &HealthSettings,
) -> Result<String, String> {
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("version endpoint: {}", describe(&e, settings.timeout_ms)))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!(
            "version endpoint answered HTTP {}",
            status.as_u16()
        ));
    }
    let ct = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp
        .text()
        .await
        .map_err(|e| format!("version endpoint: {}", describe(&e, settings.timeout_ms)))?;
    parse_version(&body, field, &ct)
}

/// Check one endpoint with retries, emitting one event per attempt. Returns
/// the last attempt.
pub async fn check_endpoint(
    client: &reqwest::Client,
    ep: &EndpointConfig,
    settings: &HealthSettings,
    stage: &str,
    rec: &Recorder,
) -> Attempt {
    let attempts = settings.retries + 1;
    let mut n = 1;
    loop {
        let a = attempt(client, ep, settings).await;
        let last = n >= attempts || !(a.verdict == Verdict::Fail && a.retryable);
        rec.emit(Event::HealthCheck(HealthCheck {
            stage: stage.to_string(),
            endpoint: ep.name.clone(),
            url: ep.url.clone(),
            attempt: n,
            last,
            status: a.status,
            latency_ms: a.latency_ms,
            version: a.version.clone(),
            verdict: a.verdict,
            reason: a.reason.clone(),
        }));
        if last {
            return a;
        }
        rec.log(
            LogLevel::Warn,
            Some(stage),
            format!(
                "{}: attempt {n}/{attempts} failed: {}; retrying in {} ms",
                ep.name,
                a.reason.as_deref().unwrap_or("?"),
                settings.retry_delay_ms
            ),
        );
        tokio::time::sleep(Duration::from_millis(settings.retry_delay_ms)).await;
        n += 1;
    }
}

fn evidence(
    ep: &EndpointConfig,
    a: &Attempt,
    settings: &HealthSettings,
    verdict: Verdict,
) -> Evidence {
    let mut value = match (a.status, a.latency_ms) {
        (Some(s), Some(l)) => format!("HTTP {s} in {} ms", trim_num(l)),
        _ => "no response".to_string(),
    };
    if let Some(v) = &a.version {
        value.push_str(&format!(", version {v}"));
    }
    if let Some(r) = &a.reason {
        value.push_str(&format!(": {r}"));
    }
    let mut threshold = format!(
        "HTTP {}, < {} ms",
        ep.expect_status,
        ep.max_latency_ms.unwrap_or(settings.max_latency_ms)
    );
    if let Some(v) = &ep.expect_version {
        threshold.push_str(&format!(", version {v}"));
    }
    if !ep.critical {
        threshold.push_str(" (non-critical)");
    }
    Evidence {
        label: format!("{} health", ep.name),
        value,
        threshold: Some(threshold),
        verdict,
    }
}

/// Check every endpoint (concurrently). Returns the verdict, the evidence
/// and a summary, or `None` when there is nothing to check.
pub async fn check_all(
    endpoints: &[EndpointConfig],
    settings: &HealthSettings,
    stage: &str,
    rec: &Recorder,
) -> Option<(Verdict, Vec<Evidence>, String)> {
    if endpoints.is_empty() {
        return None;
    }
    let client = match client(settings) {
        Ok(c) => c,
        Err(e) => {
            return Some((
                Verdict::Inconclusive,
                Vec::new(),
                format!("cannot build an HTTP client: {e}"),
            ));
        }
    };
    rec.emit(Event::StageProgress {
        stage: stage.to_string(),
        message: format!("checking {} endpoints", endpoints.len()),
        fraction: None,
    });
    let checks = endpoints
        .iter()
        .map(|ep| check_endpoint(&client, ep, settings, stage, rec));
    let results = futures::future::join_all(checks).await;

    let mut verdict = Verdict::Pass;
    let mut evidence_list = Vec::new();
    let mut problems = Vec::new();
    for (ep, a) in endpoints.iter().zip(&results) {
        let v = match a.verdict {
            Verdict::Fail if !ep.critical => Verdict::Warn,
            other => other,
        };
        verdict = verdict.worst(v);
        if v != Verdict::Pass {
            problems.push(format!(
                "{}: {}",
                ep.name,
                a.reason.as_deref().unwrap_or("?")
            ));
        }
        evidence_list.push(evidence(ep, a, settings, v));
    }
    let healthy = results
        .iter()
        .filter(|a| a.verdict == Verdict::Pass)
        .count();
    let mut summary = format!("{healthy}/{} endpoints healthy", results.len());
    if !problems.is_empty() {
        summary.push_str(&format!("; {}", problems.join("; ")));
    }
    Some((verdict, evidence_list, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_json_text_or_garbage() {
        assert_eq!(
            parse_version(r#"{"version":"2.1.0"}"#, "version", "application/json"),
            Ok("2.1.0".into())
        );
        assert_eq!(
            parse_version("2.1.0\n", "version", "text/plain"),
            Ok("2.1.0".into())
        );
        let e =
            parse_version("<html>oops</html> hello", "version", "text/html").expect_err("garbage");
        assert!(e.contains("not a version"), "{e}");
        let e = parse_version("{\"v\":1}", "version", "application/json").expect_err("no field");
        assert!(e.contains("no `version` field"), "{e}");
        let e = parse_version("{not json", "version", "application/json").expect_err("bad json");
        assert!(e.contains("invalid JSON"), "{e}");
    }
}
