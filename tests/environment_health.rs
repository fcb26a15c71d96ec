//! Health checks against real HTTP servers on 127.0.0.1: up, down, slow,
//! garbage, wrong version; and the environment stage's verdicts.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use flightdeck::core::event::Event;
use flightdeck::core::verdict::Verdict;
use flightdeck::environment::health::{attempt, check_endpoint, client};
use flightdeck::environment::run_stage;
use flightdeck::environment::{EndpointConfig, EnvironmentSection, HealthSettings};
use flightdeck::record::recorder::{Delivery, Recorder};

async fn server() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/v",
            get(|| async { axum::Json(serde_json::json!({"version": "1.2.3"})) }),
        )
        .route(
            "/garbage",
            get(|| async { "<html>\u{1}\u{2} not a version at all</html>" }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "ok"
            }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/fail",
            get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }),
        );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    format!("http://{addr}")
}

/// A loopback port with nothing listening.
async fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}

fn ep(name: &str, url: String) -> EndpointConfig {
    EndpointConfig {
        name: name.into(),
        url,
        expect_status: 200,
        version_url: None,
        version_field: "version".into(),
        expect_version: None,
        critical: true,
        max_latency_ms: None,
    }
}

fn settings() -> HealthSettings {
    HealthSettings {
        timeout_ms: 1000,
        retries: 1,
        retry_delay_ms: 10,
        max_latency_ms: 200,
    }
}

#[tokio::test]
async fn healthy_endpoint_with_expected_version_passes() {
    let base = server().await;
    let mut e = ep("api", format!("{base}/ok"));
    e.version_url = Some(format!("{base}/v"));
    e.expect_version = Some("1.2.3".into());
    let c = client(&settings()).expect("client");
    let a = attempt(&c, &e, &settings()).await;
    assert_eq!(a.verdict, Verdict::Pass, "{a:?}");
    assert_eq!(a.status, Some(200));
    assert_eq!(a.version.as_deref(), Some("1.2.3"));
}

#[tokio::test]
async fn failure_reasons_are_clear() {
    let base = server().await;
    let s = HealthSettings {
        timeout_ms: 300,
        ..settings()
    };
    let c = client(&s).expect("client");

    let down = attempt(&c, &ep("down", format!("{}/ok", closed_port().await)), &s).await;
    assert_eq!(down.verdict, Verdict::Fail);
    assert!(
        down.reason
            .as_deref()
            .unwrap_or("")
            .contains("cannot connect"),
        "{down:?}"
    );

    let hang = attempt(&c, &ep("hang", format!("{base}/hang")), &s).await;
    assert_eq!(hang.verdict, Verdict::Fail);
    assert!(
        hang.reason
            .as_deref()
            .unwrap_or("")
            .contains("no answer within 300 ms"),
        "{hang:?}"
    );

    let status = attempt(&c, &ep("fail", format!("{base}/fail")), &s).await;
    assert_eq!(status.reason.as_deref(), Some("HTTP 503 (expected 200)"));

    let mut garbage = ep("garbage", format!("{base}/ok"));
    garbage.version_url = Some(format!("{base}/garbage"));
    let g = attempt(&c, &garbage, &s).await;
    assert_eq!(g.verdict, Verdict::Fail);
    assert!(
        g.reason.as_deref().unwrap_or("").contains("not a version"),
        "{g:?}"
    );

    let mut wrong = ep("wrong", format!("{base}/ok"));
    wrong.version_url = Some(format!("{base}/v"));
    wrong.expect_version = Some("2.0.0".into());
    let w = attempt(&c, &wrong, &s).await;
    assert_eq!(w.reason.as_deref(), Some("version 1.2.3 (expected 2.0.0)"));
}

#[tokio::test]
async fn slow_endpoint_warns() {
    let base = server().await;
    let c = client(&settings()).expect("client");
    let a = attempt(&c, &ep("slow", format!("{base}/slow")), &settings()).await;
    assert_eq!(a.verdict, Verdict::Warn, "{a:?}");
    assert!(a.reason.as_deref().unwrap_or("").starts_with("slow:"));
}

#[tokio::test]
async fn retries_emit_one_event_per_attempt() {
    let base = server().await;
    let rec = Recorder::new(None);
    let (_, mut rx) = rec.subscribe();
    let c = client(&settings()).expect("client");
    let a = check_endpoint(
        &c,
        &ep("fail", format!("{base}/fail")),
        &settings(),
        "env",
        &rec,
    )
    .await;
    assert_eq!(a.verdict, Verdict::Fail);
    let mut attempts = Vec::new();
    while let Some(Delivery::Event(env)) = rx.try_recv() {
        if let Event::HealthCheck(h) = env.event {
            attempts.push((h.attempt, h.last));
        }
    }
    assert_eq!(attempts, vec![(1, false), (2, true)]);
}

#[tokio::test]
async fn stage_verdicts_follow_criticality() {
    let base = server().await;
    let down = closed_port().await;
    let mut optional = ep("optional", format!("{down}/ok"));
    optional.critical = false;
    let env = EnvironmentSection {
        health: settings(),
        endpoints: vec![ep("api", format!("{base}/ok")), optional],
        ..EnvironmentSection::default()
    };
    let rec = Recorder::new(None);
    run_stage(&env, "env", &rec).await;
    let st = rec.snapshot();
    let s = st.stage("env").expect("stage recorded");
    assert_eq!(s.verdict, Some(Verdict::Warn), "{}", s.summary);
    assert!(
        s.summary
            .starts_with("1/2 endpoints healthy; optional: cannot connect"),
        "{}",
        s.summary
    );
    assert_eq!(s.evidence.len(), 2);

    let env = EnvironmentSection {
        health: settings(),
        endpoints: vec![ep("api", format!("{down}/ok"))],
        ..EnvironmentSection::default()
    };
    let rec = Recorder::new(None);
    run_stage(&env, "env", &rec).await;
    assert_eq!(
        rec.snapshot().stage("env").and_then(|s| s.verdict),
        Some(Verdict::Fail)
    );

    let rec = Recorder::new(None);
    run_stage(&EnvironmentSection::default(), "env", &rec).await;
    let st = rec.snapshot();
    let s = st.stage("env").expect("stage");
    assert_eq!(
        s.verdict,
        Some(Verdict::Inconclusive),
        "no data is never a pass"
    );
}
