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
