//! The demo target's fault switch, for drills: `POST /admin/fault` makes
//! the variant answer its API with errors (body, optional:
//! `{"error_rate": 1.0, "extra_latency_ms": 0}`), `DELETE /admin/fault`
//! clears the fault, `GET /admin/fault` shows it. The demo listens on
//! 127.0.0.1 only, so only this machine can flip it.

use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::Behaviour;

/// A fault to inject.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fault {
    #[serde(default = "full")]
    error_rate: f64,
    #[serde(default)]
    extra_latency_ms: u64,
}

fn full() -> f64 {
    1.0
}

type Shared = Arc<RwLock<Behaviour>>;

/// The `/admin/fault` routes over a variant's behaviour.
pub fn router(behaviour: Shared) -> Router {
    Router::new()
        .route("/admin/fault", get(show).post(inject).delete(clear))
        .with_state(behaviour)
}

fn state(b: &Behaviour) -> Response {
    Json(serde_json::json!({
        "error_rate": b.error_rate,
        "extra_latency_ms": b.extra_latency_ms,
    }))
    .into_response()
}

async fn show(State(b): State<Shared>) -> Response {
    match b.read() {
        Ok(b) => state(&b),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn inject(State(b): State<Shared>, body: axum::body::Bytes) -> Response {
    let fault = if body.iter().all(u8::is_ascii_whitespace) {
        Fault {
            error_rate: 1.0,
            extra_latency_ms: 0,
        }
    } else {
        match serde_json::from_slice::<Fault>(&body) {
            Ok(f) if (0.0..=1.0).contains(&f.error_rate) => f,
            Ok(_) => {
                return (StatusCode::BAD_REQUEST, "error_rate must be within 0..=1\n")
                    .into_response();
            }
            Err(e) => {
                let msg =
                    format!("body: {e}; send {{\"error_rate\": 1.0, \"extra_latency_ms\": 0}}\n");
                return (StatusCode::BAD_REQUEST, msg).into_response();
            }
        }
    };
    match b.write() {
        Ok(mut b) => {
            b.error_rate = fault.error_rate;
            b.extra_latency_ms = fault.extra_latency_ms;
            state(&b)
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn clear(State(b): State<Shared>) -> Response {
    match b.write() {
        Ok(mut b) => {
            b.error_rate = 0.0;
            b.extra_latency_ms = 0;
            state(&b)
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn call(app: &Router, method: &str, body: &str) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri("/admin/fault")
            .body(Body::from(body.to_string()))
            .expect("request");
        let r = app.clone().oneshot(req).await.expect("infallible");
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn inject_and_clear_a_fault() {
        let b: Shared = Arc::default();
        let app = router(b.clone());
        let (s, _) = call(&app, "POST", "").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b.read().map(|b| b.error_rate).ok(), Some(1.0));
        let (s, _) = call(
            &app,
            "POST",
            r#"{"error_rate": 0.25, "extra_latency_ms": 40}"#,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b.read().map(|b| b.extra_latency_ms).ok(), Some(40));
        let (s, body) = call(&app, "POST", r#"{"error_rate": 3}"#).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, body) = call(&app, "POST", r#"{"rate": 1}"#).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, _) = call(&app, "DELETE", "").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b.read().map(|b| b.error_rate).ok(), Some(0.0));
    }
}
