//! TLS certificate posture checks against in-process TLS servers on 127.0.0.1
//! (reached as `https://localhost:PORT/`), with certificates made by rcgen:
//! a test CA (trusted through `PostureOptions::ca_file`) signs the valid,
//! expiring, expired and wrong-host leaves; one leaf is self-signed.

use std::sync::Arc;

use flightdeck::scan::posture::{PostureOptions, TOOL, check_posture};
use flightdeck::scan::{Finding, Severity};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HARDENED: &str = "HTTP/1.1 200 OK\r\n\
    content-security-policy: default-src 'self'; frame-ancestors 'none'\r\n\
    x-content-type-options: nosniff\r\n\
    strict-transport-security: max-age=31536000\r\n\
    content-length: 5\r\nconnection: close\r\n\r\nhello";

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pem_file: tempfile::NamedTempFile,
}

fn ca() -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "Flightdeck Test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let pem_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(pem_file.path(), issuer.pem()).unwrap();
    Ca { issuer, pem_file }
}

fn leaf_params(name: &str, not_after: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = OffsetDateTime::now_utc() - Duration::days(60);
    params.not_after = not_after;
    params
}

/// A leaf signed by `ca`, or self-signed when `ca` is None.
fn leaf(
    name: &str,
    not_after: OffsetDateTime,
    ca: Option<&Ca>,
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let params = leaf_params(name, not_after);
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert.der().clone(), key)
}

/// Serve HTTPS with `cert` on 127.0.0.1; returns `https://localhost:PORT/`.
async fn serve(cert: (CertificateDer<'static>, PrivateKeyDer<'static>)) -> String {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.0], cert.1)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = tls.write_all(HARDENED.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://localhost:{port}/")
}

fn with_ca(ca: &Ca) -> PostureOptions {
    PostureOptions {
        timeout_ms: 5000,
        ca_file: Some(ca.pem_file.path().to_path_buf()),
        ..PostureOptions::default()
    }
}

fn rules(fs: &[Finding]) -> Vec<&str> {
    let mut r: Vec<&str> = fs.iter().map(|f| f.rule_id.as_str()).collect();
    r.sort();
    r
}

fn far_future() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(365)
}

fn minute(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[tokio::test]
async fn valid_certificate_from_a_trusted_ca_is_clean() {
    let ca = ca();
    let url = serve(leaf("localhost", far_future(), Some(&ca))).await;
    let fs = check_posture(&url, &with_ca(&ca)).await.unwrap();
    assert!(fs.is_empty(), "{fs:#?}");
}

#[tokio::test]
async fn self_signed_certificate_is_untrusted_and_headers_are_still_judged() {
    let url = serve(leaf("localhost", far_future(), None)).await;
    let opts = PostureOptions {
        timeout_ms: 5000,
        ..PostureOptions::default()
    };
    let fs = check_posture(&url, &opts).await.unwrap();
    // Only the chain: the name matches and the expiry is far off; the
    // hardened headers were fetched despite the bad certificate.
    assert_eq!(rules(&fs), vec!["posture/tls-untrusted"], "{fs:#?}");
    let f = &fs[0];
    assert_eq!(f.tool, TOOL);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.location.path, url);
    assert_eq!(
        f.message,
        "TLS certificate for localhost is self-signed (subject and issuer CN=localhost) and not issued by a trusted CA"
    );
    // A different self-signed certificate for the same name in the CA file
    // does not make this one trusted.
    let mut ca_file = tempfile::NamedTempFile::new().unwrap();
    let pem = rcgen::generate_simple_self_signed(vec!["localhost".into()])
        .unwrap()
        .cert
        .pem();
    std::io::Write::write_all(&mut ca_file, pem.as_bytes()).unwrap();
    let opts = PostureOptions {
        ca_file: Some(ca_file.path().to_path_buf()),
        ..opts
    };
    let fs = check_posture(&url, &opts).await.unwrap();
    assert_eq!(rules(&fs), vec!["posture/tls-untrusted"], "{fs:#?}");
}

#[tokio::test]
async fn certificate_expiring_in_three_days_is_high_and_in_twenty_is_medium() {
    let ca = ca();
    let soon = OffsetDateTime::now_utc() + Duration::days(3) + Duration::hours(1);
    let url = serve(leaf("localhost", soon, Some(&ca))).await;
    let fs = check_posture(&url, &with_ca(&ca)).await.unwrap();
    assert_eq!(rules(&fs), vec!["posture/tls-cert-expiry"], "{fs:#?}");
    assert_eq!(fs[0].severity, Severity::High);
    assert_eq!(fs[0].title, "TLS certificate expires soon");
    assert_eq!(
        fs[0].message,
        format!(
            "TLS certificate for localhost expires on {} (3 days left, warning under 30 days)",
            minute(soon)
        )
    );

    let later = OffsetDateTime::now_utc() + Duration::days(20) + Duration::hours(1);
    let url = serve(leaf("localhost", later, Some(&ca))).await;
    let fs = check_posture(&url, &with_ca(&ca)).await.unwrap();
    assert_eq!(rules(&fs), vec!["posture/tls-cert-expiry"], "{fs:#?}");
    assert_eq!(fs[0].severity, Severity::Medium);
    assert!(fs[0].message.contains("(20 days left"), "{}", fs[0].message);
    // Under a 10-day threshold, 20 days left is fine.
    let opts = PostureOptions {
        cert_expiry_warn_days: 10,
        ..with_ca(&ca)
    };
    assert!(check_posture(&url, &opts).await.unwrap().is_empty());
}

#[tokio::test]
async fn expired_certificate_is_high_and_not_also_untrusted() {
    let ca = ca();
    let gone = OffsetDateTime::now_utc() - Duration::days(2) - Duration::hours(1);
    let url = serve(leaf("localhost", gone, Some(&ca))).await;
    let fs = check_posture(&url, &with_ca(&ca)).await.unwrap();
    assert_eq!(rules(&fs), vec!["posture/tls-cert-expiry"], "{fs:#?}");
    assert_eq!(fs[0].severity, Severity::High);
    assert_eq!(fs[0].title, "TLS certificate expired");
    assert_eq!(
        fs[0].message,
        format!(
            "TLS certificate for localhost expired on {} (2 days ago)",
            minute(gone)
        )
    );
}

#[tokio::test]
async fn certificate_for_another_host_is_a_hostname_mismatch() {
    let ca = ca();
    let url = serve(leaf("other.invalid", far_future(), Some(&ca))).await;
    let fs = check_posture(&url, &with_ca(&ca)).await.unwrap();
    assert_eq!(rules(&fs), vec!["posture/tls-hostname-mismatch"], "{fs:#?}");
    assert_eq!(fs[0].severity, Severity::High);
    assert_eq!(
        fs[0].message,
        "TLS certificate is not valid for host localhost: it names other.invalid"
    );
}

#[tokio::test]
async fn unreadable_ca_file_is_an_error() {
    let opts = PostureOptions {
        ca_file: Some("/nonexistent/flightdeck-ca.pem".into()),
        ..PostureOptions::default()
    };
    let e = check_posture("https://localhost:1/", &opts)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cannot read CA file"), "{e}");
}
