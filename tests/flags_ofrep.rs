//! OFREP provider against a tiny OFREP server on 127.0.0.1 that evaluates the
//! demo flag file with our own evaluator.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::post,
};
use flightdeck::flags::{EvalReason, FlagError, FlagProvider, OfrepProvider, Secret, evaluate};
use serde_json::{Value, json};

#[derive(Clone)]
struct Server {
    flags: String,
    auth_seen: Arc<Mutex<Vec<String>>>,
}

async fn eval(
    State(s): State<Server>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if let Some(a) = headers.get("authorization") {
        s.auth_seen
            .lock()
            .unwrap()
            .push(a.to_str().unwrap_or("").to_string());
        if a != "Bearer good-token" {
            return (
                StatusCode::UNAUTHORIZED,
                Json(
                    json!({"key": key, "errorCode": "UNAUTHORIZED", "errorDetails": "token good-token expected, got ..."}),
                ),
            );
        }
    }
    match evaluate(&s.flags, &key, &body["context"]) {
        Ok(e) => (
            StatusCode::OK,
            Json(
                json!({"key": key, "value": e.value, "variant": e.variant, "reason": e.reason, "metadata": {}}),
            ),
        ),
        Err(FlagError::FlagNotFound { .. }) => (
            StatusCode::NOT_FOUND,
            Json(json!({"key": key, "errorCode": "FLAG_NOT_FOUND"})),
        ),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"key": key, "errorCode": "PARSE_ERROR", "errorDetails": e.to_string()})),
        ),
    }
}

async fn start() -> (String, Server) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/demo/flags.json"
    ))
    .unwrap();
    let mut f = flightdeck::flags::FlagFile::parse(&text, "demo").unwrap();
    f.set_canary_percent("checkout-v2", None, 50.0).unwrap();
    let server = Server {
        flags: f.to_pretty(),
        auth_seen: Arc::default(),
    };
    let app = Router::new()
        .route("/ofrep/v1/evaluate/flags/{key}", post(eval))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), server)
}

#[tokio::test]
async fn evaluates_remotely_and_is_read_only() {
    let (url, _) = start().await;
    let p = OfrepProvider::new(&url, json!({"targetingKey": "user-1"}), None);
    let mut variants = std::collections::BTreeSet::new();
    for i in 0..200 {
        let ctx = json!({"targetingKey": format!("user-{i}")});
        let e = p.evaluate("checkout-v2", &ctx).await.unwrap();
        assert_eq!(e.reason, EvalReason::TargetingMatch);
        assert_eq!(e.value, json!(e.variant.clone().unwrap()));
        variants.insert(e.variant.unwrap());
    }
    assert_eq!(
        variants.len(),
        2,
        "a 50% split over 200 keys serves both variants"
    );
    let staff = p
        .evaluate("search-v5", &json!({"email": "sam@flightdeck.dev"}))
        .await
        .unwrap();
    assert_eq!(
        (staff.value, staff.variant.as_deref()),
        (json!(true), Some("on"))
    );
    let s = p.read("checkout-v2").await.unwrap();
    assert!(s.enabled && s.rollout_percent.is_none());
    assert!(matches!(
        p.read("nope").await,
        Err(FlagError::FlagNotFound { .. })
    ));
    let e = p
        .set_rollout("checkout-v2", 5.0)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("OFREP is read-only"), "{e}");
    let e = p.rollback("checkout-v2").await.unwrap_err().to_string();
    assert!(e.contains("OFREP is read-only"), "{e}");
}

#[tokio::test]
async fn token_is_sent_but_never_shown() {
    let (url, server) = start().await;
    let ok = OfrepProvider::new(&url, json!({}), Some(Secret::new("good-token")));
    ok.evaluate("checkout-v2", &json!({"targetingKey": "a"}))
        .await
        .unwrap();
    assert_eq!(
        server.auth_seen.lock().unwrap().as_slice(),
        ["Bearer good-token"]
    );
    assert!(!format!("{ok:?}").contains("good-token"), "{ok:?}");
    // the server echoes the expected token in its error; a wrong token must
    // not leak either value through our error
    let bad = OfrepProvider::new(&url, json!({}), Some(Secret::new("good-token-not")));
    let e = bad.evaluate("checkout-v2", &json!({})).await.unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(
        shown.contains("401") && !shown.contains("good-token-not"),
        "{shown}"
    );
}

/// OFREP evaluation errors resolve to the caller's default with their code,
/// as an OpenFeature OFREP provider does; the type check is the caller's.
#[tokio::test]
async fn resolution_details_over_ofrep() {
    use flightdeck::flags::ErrorCode;
    let (url, _) = start().await;
    let p = OfrepProvider::new(&url, json!({}), None);
    let ctx = json!({"targetingKey": "user-1"});
    let ok = p
        .resolve("checkout-v2", &ctx, &json!("baseline"))
        .await
        .unwrap();
    assert_eq!(
        (ok.reason, ok.error_code),
        (EvalReason::TargetingMatch, None)
    );
    assert_eq!(ok.value, json!(ok.variant.clone().unwrap()));
    let missing = p.resolve("nope", &ctx, &json!("x")).await.unwrap();
    assert_eq!(
        (missing.value, missing.reason, missing.error_code),
        (json!("x"), EvalReason::Error, Some(ErrorCode::FlagNotFound))
    );
    // the test server answers 400 PARSE_ERROR when our evaluator fails
    let bad = p
        .resolve("checkout-v2", &json!("not an object"), &json!("b"))
        .await
        .unwrap();
    assert_eq!(
        (bad.value, bad.error_code),
        (json!("b"), Some(ErrorCode::ParseError))
    );
    assert!(bad.error_message.unwrap().contains("JSON object"));
    let typed = p.resolve("checkout-v2", &ctx, &json!(false)).await.unwrap();
    assert_eq!(
        (typed.value, typed.error_code),
        (json!(false), Some(ErrorCode::TypeMismatch))
    );
}
