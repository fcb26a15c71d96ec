//! The load engine against an HTTPS server on 127.0.0.1 (reached as
//! `https://localhost:PORT/`), with certificates made by rcgen: a test CA
//! signs a leaf for `localhost`. Each run is about one second at a low rate.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flightdeck::core::verdict::Verdict;
use flightdeck::load::{self, LoadConfig, LoadPlan, Summary};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_util::sync::CancellationToken;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Pki {
    ca_file: tempfile::NamedTempFile,
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

/// A test CA (written to a PEM file) and a leaf for `localhost` it signed.
fn pki() -> Pki {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "Flightdeck Load Test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), issuer.pem()).unwrap();

    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = params.signed_by(&key, &issuer).unwrap().der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Pki { ca_file, leaf, key }
}

struct Server {
    url: String,
    /// Requests served over HTTP/2.
    h2: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

/// Serve HTTPS on 127.0.0.1, HTTP/1.1 or HTTP/2 as ALPN decides.
async fn serve(pki: &Pki) -> Server {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![pki.leaf.clone()], pki.key.clone_key())
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let h2 = Arc::new(AtomicU64::new(0));
    let seen = h2.clone();
    let task = tokio::spawn(async move {
        // Ends when the test aborts it (or its runtime shuts down).
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let is_h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        if req.version() == hyper::Version::HTTP_2 {
                            seen.fetch_add(1, Ordering::SeqCst);
                        }
                        async {
                            Ok::<_, Infallible>(hyper::Response::new(http_body_util::Full::new(
                                bytes::Bytes::from_static(b"ok"),
                            )))
                        }
                    },
                );
                let io = hyper_util::rt::TokioIo::new(tls);
                if is_h2 {
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(io, svc)
                    .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await;
                }
            });
        }
    });
    Server {
        url: format!("https://localhost:{port}/hello"),
        h2,
        task,
    }
}

fn cfg(url: &str) -> LoadConfig {
    LoadConfig {
        target: url.to_string(),
        rate: Some(20.0),
        duration_s: Some(1.0),
        timeout_ms: 5_000,
        ..LoadConfig::default()
    }
}

async fn go(cfg: &LoadConfig) -> Summary {
    let plan = LoadPlan::from_config(cfg).expect("valid plan");
    load::run(plan, CancellationToken::new(), |_| {})
        .await
        .expect("run")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_test_ca_every_request_succeeds() {
    let _g = SERIAL.lock().await;
    let pki = pki();
    let server = serve(&pki).await;
    let s = go(&LoadConfig {
        ca_file: Some(pki.ca_file.path().to_path_buf()),
        ..cfg(&server.url)
    })
    .await;
    server.task.abort();
    eprintln!(
        "https: {} requests, p50 {:.2}ms p99 {:.2}ms",
        s.requests, s.latency.p50_ms, s.latency.p99_ms
    );
    assert!((18..=21).contains(&s.requests), "{s:?}");
    assert_eq!(s.errors, 0, "{s:?}");
    assert_eq!(s.status_codes[&200], s.requests);
    assert!(s.tls_error.is_none(), "{s:?}");
    assert!(
        s.latency.p50_ms > 0.0 && s.latency.p50_ms < 200.0,
        "{:?}",
        s.latency
    );
    assert!(s.latency.p50_ms <= s.latency.p99_ms);
    assert!(s.latency.p99_ms <= s.latency.max_ms + 0.01);
    assert_eq!(server.h2.load(Ordering::SeqCst), 0, "HTTP/1.1 unless asked");
    assert_pass_unless_saturated(&s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_every_request_fails_as_tls() {
    let _g = SERIAL.lock().await;
    let pki = pki();
    let server = serve(&pki).await;
    let s = go(&cfg(&server.url)).await;
    server.task.abort();
    assert!(s.requests > 0, "{s:?}");
    assert_eq!(s.errors, s.requests, "{s:?}");
    assert_eq!(s.error_kinds.get("tls"), Some(&s.requests), "{s:?}");
    assert_eq!(s.error_kinds.len(), 1, "{s:?}");
    let msg = s.tls_error.clone().unwrap_or_default();
    assert!(
        msg.contains("localhost") && msg.contains("certificate not trusted"),
        "{msg}"
    );
    let (verdict, _, line) = load::judge(&s, &[], &[], None);
    assert_eq!(verdict, Verdict::Fail, "{line}");
    assert!(
        line.contains("tls") && line.contains("not trusted"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_skips_verification() {
    let _g = SERIAL.lock().await;
    let pki = pki();
    let server = serve(&pki).await;
    let s = go(&LoadConfig {
        insecure: true,
        ..cfg(&server.url)
    })
    .await;
    server.task.abort();
    assert!(s.requests > 10 && s.errors == 0, "{s:?}");
    assert_pass_unless_saturated(&s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_negotiated_by_alpn() {
    let _g = SERIAL.lock().await;
    let pki = pki();
    let server = serve(&pki).await;
    let s = go(&LoadConfig {
        ca_file: Some(pki.ca_file.path().to_path_buf()),
        http2: true,
        ..cfg(&server.url)
    })
    .await;
    server.task.abort();
    assert!(s.requests > 10 && s.errors == 0, "{s:?}");
    assert_eq!(server.h2.load(Ordering::SeqCst), s.requests);
}

#[test]
fn an_unreadable_ca_file_is_refused_before_any_load() {
    let c = LoadConfig {
        ca_file: Some("/nonexistent/flightdeck-ca.pem".into()),
        ..cfg("https://localhost:9/")
    };
    let e = LoadPlan::from_config(&c).unwrap_err().to_string();
    assert!(
        e.contains("load.ca_file") && e.contains("cannot read CA file"),
        "{e}"
    );
}

#[test]
fn the_cli_flags_reach_the_config() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        load: load::LoadArgs,
    }
    let parse = |extra: &[&str]| {
        let mut v = vec!["load", "https://localhost:9/"];
        v.extend_from_slice(extra);
        Cli::try_parse_from(v).unwrap().load.to_config().unwrap()
    };
    let c = parse(&[]);
    assert_eq!((c.ca_file, c.insecure), (None, false));
    let c = parse(&["--ca-file", "/tmp/ca.pem", "--insecure"]);
    assert_eq!(
        c.ca_file.as_deref(),
        Some(std::path::Path::new("/tmp/ca.pem"))
    );
    assert!(c.insecure);
}

/// Pass, unless this shared machine made the generator fall behind (then the
/// honest verdict is inconclusive, never fail).
fn assert_pass_unless_saturated(s: &load::Summary) {
    let v = load::judge(s, &[], &[], None).0;
    if s.saturated_windows == 0 {
        assert_eq!(v, Verdict::Pass, "{s:?}");
    } else {
        assert!(
            matches!(v, Verdict::Pass | Verdict::Warn | Verdict::Inconclusive),
            "{v:?} {s:?}"
        );
    }
}
