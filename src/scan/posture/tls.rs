//! TLS certificate checks of an `https://` URL: one direct handshake with a
//! verifier that records the presented chain instead of judging it, then the
//! chain is judged offline, each property on its own so one problem never
//! hides another:
//! - expiry of the leaf (`posture/tls-cert-expiry`), and a leaf not yet valid
//!   (`posture/tls-cert-not-yet-valid`);
//! - the leaf's names against the URL's host (`posture/tls-hostname-mismatch`);
//! - the chain against the Mozilla roots (webpki-roots, as the HTTP client
//!   uses) plus any extra CA file (`posture/tls-untrusted`), judged at a time
//!   inside the leaf's validity so an expired leaf is not also "untrusted".

use std::sync::Arc;
use std::time::Duration;

use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, RootCertStore};
use tokio::io::AsyncWriteExt;
use x509_parser::extensions::GeneralName;

use crate::scan::Severity;
use crate::tls::AcceptAnyCert;

/// Under this many days left an expiring certificate is high, not medium.
pub const EXPIRY_HIGH_DAYS: i64 = 7;

const DAY: i64 = 86_400;

/// One certificate problem, before it becomes a [`crate::scan::Finding`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CertIssue {
    pub rule: &'static str,
    pub title: &'static str,
    pub message: String,
    pub severity: Severity,
}

/// Mozilla roots plus the PEM CA certificates in `extra_pem` (if any).
pub(crate) fn root_store(extra_pem: Option<&[u8]>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_pem {
        use rustls::pki_types::pem::PemObject;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("CA file is not valid PEM: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("CA file holds an unusable certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err("CA file holds no PEM certificate".into());
        }
    }
    Ok(roots)
}

/// Handshake with `connect_host:port` presenting `name` (SNI) and return the
/// chain the server sent, leaf first. Nothing is sent after the handshake.
pub(crate) async fn fetch_chain(
    connect_host: &str,
    port: u16,
    name: ServerName<'static>,
    timeout: Duration,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let provider = crate::tls::provider();
    let recorder = Arc::new(AcceptAnyCert::new(provider.clone()));
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((connect_host, port))
            .await
            .map_err(|e| format!("cannot connect to {connect_host}:{port}: {e}"))?;
        let mut tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake with {connect_host}:{port} failed: {e}"))?;
        let _ = tls.shutdown().await;
        Ok::<(), String>(())
    };
    tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| {
            format!(
                "TLS handshake with {connect_host}:{port} timed out after {}ms",
                timeout.as_millis()
            )
        })??;
    let chain = recorder.chain();
    if chain.is_empty() {
        return Err(format!("{connect_host}:{port} presented no certificate"));
    }
    Ok(chain)
}

/// Judge a presented chain (leaf first) for `host` at unix time `now`.
pub(crate) fn judge_chain(
    host: &str,
    name: &ServerName<'_>,
    chain: &[CertificateDer<'_>],
    roots: &RootCertStore,
    now: i64,
    warn_days: u64,
) -> Result<Vec<CertIssue>, String> {
    let leaf_der = chain.first().ok_or("no certificate presented")?;
    let (_, leaf) = x509_parser::parse_x509_certificate(leaf_der)
        .map_err(|e| format!("leaf certificate is not valid X.509: {e}"))?;
    let subject = leaf.subject().to_string();
    let issuer = leaf.issuer().to_string();
    let names = leaf_names(&leaf);
    let shown = names.first().cloned().unwrap_or_else(|| subject.clone());
    let not_before = leaf.validity().not_before.timestamp();
    let not_after = leaf.validity().not_after.timestamp();
    let mut out = Vec::new();

    // Expiry.
    let left = not_after - now;
    let warn = i64::try_from(warn_days).unwrap_or(i64::MAX / DAY) * DAY;
    if left < 0 {
        let ago = (-left) / DAY;
        out.push(CertIssue {
            rule: "posture/tls-cert-expiry",
            title: "TLS certificate expired",
            message: format!(
                "TLS certificate for {shown} expired on {} ({ago} days ago)",
                date(not_after)
            ),
            severity: Severity::High,
        });
    } else if left < warn {
        let days = left / DAY;
        let severity = if left < EXPIRY_HIGH_DAYS * DAY {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(CertIssue {
            rule: "posture/tls-cert-expiry",
            title: "TLS certificate expires soon",
            message: format!(
                "TLS certificate for {shown} expires on {} ({days} days left, warning under {warn_days} days)",
                date(not_after)
            ),
            severity,
        });
    }
    if not_before > now {
        out.push(CertIssue {
            rule: "posture/tls-cert-not-yet-valid",
            title: "TLS certificate not yet valid",
            message: format!(
                "TLS certificate for {shown} is not valid before {}",
                date(not_before)
            ),
            severity: Severity::High,
        });
    }

    let parsed = ParsedCertificate::try_from(leaf_der)
        .map_err(|e| format!("leaf certificate not usable: {e}"))?;

    // Hostname.
    if verify_server_name(&parsed, name).is_err() {
        let listed = if names.is_empty() {
            format!("no subject alternative names (subject {subject})")
        } else {
            names.join(", ")
        };
        out.push(CertIssue {
            rule: "posture/tls-hostname-mismatch",
            title: "TLS certificate does not match the host name",
            message: format!("TLS certificate is not valid for host {host}: it names {listed}"),
            severity: Severity::High,
        });
    }

    // Chain of trust, at a time the leaf is valid so expiry is not reported twice.
    let at = if (not_before..=not_after).contains(&now) {
        now
    } else {
        not_before + (not_after - not_before) / 2
    };
    let at = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(at).unwrap_or(0)));
    let algs = crate::tls::provider().signature_verification_algorithms.all;
    if let Err(e) = verify_server_cert_signed_by_trust_anchor(&parsed, roots, &chain[1..], at, algs)
    {
        let self_signed = chain.len() == 1 && leaf.subject() == leaf.issuer();
        let message = if self_signed {
            format!(
                "TLS certificate for {shown} is self-signed (subject and issuer {subject}) and not issued by a trusted CA"
            )
        } else if matches!(
            e,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        ) {
            format!(
                "TLS certificate chain for {shown} is not trusted: issuer {issuer} is not a known CA"
            )
        } else {
            format!("TLS certificate chain for {shown} is not trusted: {e}")
        };
        out.push(CertIssue {
            rule: "posture/tls-untrusted",
            title: "TLS certificate chain not trusted",
            message,
            severity: Severity::High,
        });
    }
    Ok(out)
}

/// DNS names and IP addresses of the leaf's subject alternative names.
fn leaf_names(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some((*d).to_string()),
            GeneralName::IPAddress(b) => match b.len() {
                4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(
        || format!("unix time {unix}"),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::date;

    #[test]
    fn dates_are_utc_minutes() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
    }
}
