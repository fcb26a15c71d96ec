//! HTTP posture checks: security headers and version disclosure of one URL.
//!
//! TLS (`https://` only): a direct handshake reads the server's chain and
//! judges expiry (`posture/tls-cert-expiry`, high when expired or under 7 days
//! left, medium under [`PostureOptions::cert_expiry_warn_days`]), a leaf not yet
//! valid, the host name (`posture/tls-hostname-mismatch`) and the chain of trust
//! (`posture/tls-untrusted`, self-signed included) (see `posture/tls.rs`). When the
//! certificate has a problem the headers are still fetched, without certificate
//! verification, so both kinds of finding are reported. Any other certificate
//! error of the HTTP client becomes `posture/tls-certificate`.

use std::path::PathBuf;
use std::time::Duration;

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::scan::{Finding, Location, Severity, Suppression, fingerprint_of};

mod tls;

/// Tool name on posture findings.
pub const TOOL: &str = "flightdeck-posture";

/// Options of a posture check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PostureOptions {
    /// Request timeout in milliseconds.
    pub timeout_ms: u64,
    /// HSTS `max-age` below this many seconds is reported (default 180 days).
    pub min_hsts_max_age: u64,
    /// A certificate expiring within this many days is reported (default 30).
    pub cert_expiry_warn_days: u64,
    /// PEM file of CA certificates trusted besides the Mozilla roots (an
    /// internal pre-production CA).
    pub ca_file: Option<PathBuf>,
}

impl Default for PostureOptions {
    fn default() -> Self {
        PostureOptions {
            timeout_ms: 10_000,
            min_hsts_max_age: 15_552_000,
            cert_expiry_warn_days: 30,
            ca_file: None,
        }
    }
}

/// The URL could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[error("posture check of {url}: {message}")]
pub struct PostureError {
    /// The URL.
    pub url: String,
    /// What went wrong.
    pub message: String,
}

/// Check the TLS certificate (https only), then GET `url` (no proxy, no
/// redirects followed) and judge its response headers.
pub async fn check_posture(url: &str, opts: &PostureOptions) -> Result<Vec<Finding>, PostureError> {
    let err = |message: String| PostureError {
        url: url.to_string(),
        message,
    };
    let ca_pem = match &opts.ca_file {
        Some(p) => Some(
            std::fs::read(p)
                .map_err(|e| err(format!("cannot read CA file {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let mut out = Vec::new();
    let parsed = reqwest::Url::parse(url).map_err(|e| err(format!("not a valid URL: {e}")))?;
    if parsed.scheme() == "https" {
        for issue in check_tls(&parsed, opts, ca_pem.as_deref())
            .await
            .map_err(err)?
        {
            out.push(finding(
                url,
                issue.rule,
                issue.title,
                issue.message,
                issue.severity,
            ));
        }
    }
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(opts.timeout_ms));
    if let Some(pem) = &ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| err(format!("CA file is not valid PEM: {e}")))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    // The certificate problems are reported already; still judge the headers.
    let cert_reported = !out.is_empty();
    if cert_reported {
        builder = builder.danger_accept_invalid_certs(true);
    }
    let client = builder
        .build()
        .map_err(|e| err(format!("cannot build HTTP client: {e}")))?;
    match client.get(url).send().await {
        Ok(resp) => {
            out.extend(judge_headers(url, resp.headers(), opts));
            Ok(out)
        }
        Err(e) => {
            let chain = error_chain(&e);
            if chain.to_ascii_lowercase().contains("certificate") && !cert_reported {
                Ok(vec![finding(
                    url,
                    "posture/tls-certificate",
                    "TLS certificate rejected",
                    format!("TLS certificate rejected: {chain}"),
                    Severity::High,
                )])
            } else {
                Err(err(chain))
            }
        }
    }
}

/// Handshake with the URL's host and judge the certificate it presents.
async fn check_tls(
    url: &reqwest::Url,
    opts: &PostureOptions,
    ca_pem: Option<&[u8]>,
) -> Result<Vec<tls::CertIssue>, String> {
    let host = url
        .host_str()
        .ok_or("https URL without a host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|e| format!("{host:?} is not a valid TLS server name: {e}"))?;
    let roots = tls::root_store(ca_pem)?;
    let chain = tls::fetch_chain(
        &host,
        port,
        name.clone(),
        Duration::from_millis(opts.timeout_ms),
    )
    .await?;
    tls::judge_chain(
        &host,
        &name,
        &chain,
        &roots,
        chrono::Utc::now().timestamp(),
        opts.cert_expiry_warn_days,
    )
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.join(": ")
}

/// Judge response headers (pure). `url` decides whether HSTS applies (https only).
pub fn judge_headers(url: &str, headers: &HeaderMap, opts: &PostureOptions) -> Vec<Finding> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let mut out = Vec::new();
    let https = url.to_ascii_lowercase().starts_with("https://");
    if https {
        match get("strict-transport-security") {
            None => out.push(finding(
                url,
                "posture/hsts-missing",
                "Strict-Transport-Security missing",
                "no Strict-Transport-Security header on an https URL".into(),
                Severity::Medium,
            )),
            Some(v) => {
                let max_age = v
                    .split(';')
                    .filter_map(|p| p.trim().strip_prefix("max-age="))
                    .find_map(|n| n.trim_matches('"').parse::<u64>().ok());
                if max_age.is_none_or(|a| a < opts.min_hsts_max_age) {
                    out.push(finding(
                        url,
                        "posture/hsts-weak",
                        "Strict-Transport-Security max-age too short",
                        format!(
                            "Strict-Transport-Security: {v} (want max-age >= {})",
                            opts.min_hsts_max_age
                        ),
                        Severity::Low,
                    ));
                }
            }
        }
    }
    let csp = get("content-security-policy");
    if csp.is_none() {
        out.push(finding(
            url,
            "posture/csp-missing",
            "Content-Security-Policy missing",
            "no Content-Security-Policy header".into(),
            Severity::Medium,
        ));
    }
    if !get("x-content-type-options").is_some_and(|v| v.eq_ignore_ascii_case("nosniff")) {
        out.push(finding(
            url,
            "posture/nosniff-missing",
            "X-Content-Type-Options: nosniff missing",
            format!(
                "X-Content-Type-Options is {}",
                get("x-content-type-options")
                    .map_or("absent".to_string(), |v| format!("{v:?}, not nosniff"))
            ),
            Severity::Low,
        ));
    }
    let xfo_ok = get("x-frame-options")
        .is_some_and(|v| v.eq_ignore_ascii_case("deny") || v.eq_ignore_ascii_case("sameorigin"));
    let frame_ancestors = csp.is_some_and(|c| c.to_ascii_lowercase().contains("frame-ancestors"));
    if !xfo_ok && !frame_ancestors {
        out.push(finding(
            url,
            "posture/clickjacking",
            "No framing protection",
            "neither X-Frame-Options (DENY/SAMEORIGIN) nor CSP frame-ancestors".into(),
            Severity::Medium,
        ));
    }
    if let Some(server) = get("server")
        && server
            .split('/')
            .nth(1)
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    {
        out.push(finding(
            url,
            "posture/server-version-disclosure",
            "Server version disclosed",
            format!("Server: {server}"),
            Severity::Low,
        ));
    }
    if let Some(powered) = get("x-powered-by") {
        out.push(finding(
            url,
            "posture/x-powered-by",
            "X-Powered-By discloses the stack",
            format!("X-Powered-By: {powered}"),
            Severity::Low,
        ));
    }
    out
}

fn finding(url: &str, rule: &str, title: &str, message: String, severity: Severity) -> Finding {
    Finding {
        tool: TOOL.to_string(),
        rule_id: rule.to_string(),
        title: title.to_string(),
        message,
        severity,
        severity_source: format!("posture check {rule}"),
        location: Location {
            path: url.to_string(),
            line: None,
        },
        fingerprint: fingerprint_of(&[TOOL, rule, url]),
        baseline_state: None,
        suppression: Suppression::None,
        suppression_justification: None,
        known: false,
        acceptance: None,
        help: None,
    }
}
