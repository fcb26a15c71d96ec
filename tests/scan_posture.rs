//! HTTP posture checks against in-process axum servers on 127.0.0.1.

use axum::Router;
use axum::http::header::{HeaderName, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use flightdeck::scan::Severity;
use flightdeck::scan::posture::{PostureOptions, TOOL, check_posture, judge_headers};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}/")
}

fn headers(pairs: &[(&'static str, &'static str)]) -> axum::http::HeaderMap {
    let mut h = axum::http::HeaderMap::new();
    for (k, v) in pairs {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    h
}

fn rules(fs: &[flightdeck::scan::Finding]) -> Vec<&str> {
    let mut r: Vec<&str> = fs.iter().map(|f| f.rule_id.as_str()).collect();
    r.sort();
    r
}

#[tokio::test]
async fn bare_server_gets_every_header_finding() {
    async fn bare() -> impl IntoResponse {
        (
            [("server", "nginx/1.2.3"), ("x-powered-by", "PHP/8.1.0")],
            "hello",
        )
    }
    let url = serve(Router::new().route("/", get(bare))).await;
    let fs = check_posture(&url, &PostureOptions::default())
        .await
        .unwrap();
    assert_eq!(
        rules(&fs),
        vec![
            "posture/clickjacking",
            "posture/csp-missing",
            "posture/nosniff-missing",
            "posture/server-version-disclosure",
            "posture/x-powered-by"
        ]
    );
    let server = fs
        .iter()
        .find(|f| f.rule_id == "posture/server-version-disclosure")
        .unwrap();
    assert_eq!(server.message, "Server: nginx/1.2.3");
    assert_eq!(server.tool, TOOL);
    assert_eq!(server.location.path, url);
    assert!(
        !rules(&fs).contains(&"posture/hsts-missing"),
        "HSTS only applies to https"
    );
}

#[tokio::test]
async fn hardened_server_is_clean() {
    async fn hardened() -> impl IntoResponse {
        (
            [
                ("server", "nginx"),
                (
                    "content-security-policy",
                    "default-src 'self'; frame-ancestors 'none'",
                ),
                ("x-content-type-options", "nosniff"),
            ],
            "hello",
        )
    }
    let url = serve(Router::new().route("/", get(hardened))).await;
    let fs = check_posture(&url, &PostureOptions::default())
        .await
        .unwrap();
    assert!(fs.is_empty(), "{fs:#?}");
}

#[tokio::test]
async fn unreachable_url_is_an_error_not_a_clean_result() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let opts = PostureOptions {
        timeout_ms: 2000,
        ..PostureOptions::default()
    };
    let e = check_posture(&url, &opts).await.unwrap_err();
    assert!(e.to_string().contains(&url), "{e}");
}

#[test]
fn https_hsts_rules_and_frame_options() {
    let opts = PostureOptions::default();
    let url = "https://shop.example.com/";
    let base = [
        ("content-security-policy", "default-src 'self'"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ];
    let fs = judge_headers(url, &headers(&base), &opts);
    assert_eq!(rules(&fs), vec!["posture/hsts-missing"]);
    assert_eq!(fs[0].severity, Severity::Medium);
    let mut weak = base.to_vec();
    weak.push(("strict-transport-security", "max-age=300"));
    assert_eq!(
        rules(&judge_headers(url, &headers(&weak), &opts)),
        vec!["posture/hsts-weak"]
    );
    let mut good = base.to_vec();
    good.push((
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ));
    assert!(judge_headers(url, &headers(&good), &opts).is_empty());
    let sniff = [
        ("content-security-policy", "default-src 'self'"),
        ("x-frame-options", "ALLOW-FROM https://example.com"),
        ("x-content-type-options", "sniff"),
    ];
    let fs = judge_headers("http://127.0.0.1/", &headers(&sniff), &opts);
    assert_eq!(
        rules(&fs),
        vec!["posture/clickjacking", "posture/nosniff-missing"]
    );
}
