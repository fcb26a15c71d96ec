//! The demo's own notification receiver: a Standard Webhooks endpoint on
//! 127.0.0.1 that checks each delivery's signature and says what it got in
//! the log (the Log pane while the TUI runs). The demo config's
//! `[[notify]]` webhook names its URL and secret as
//! `{ env = "FLIGHTDECK_DEMO_WEBHOOK_URL" }` and
//! `{ env = "FLIGHTDECK_DEMO_WEBHOOK_SECRET" }`; the demo provides both
//! ([`DemoReceiver::provided`]) without touching the process environment.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use tokio::task::JoinHandle;

use crate::notify::sign;
use crate::secrets::{Provided, Secret};

/// The env-reference name of the demo receiver's URL.
pub const URL_REF: &str = "FLIGHTDECK_DEMO_WEBHOOK_URL";
/// The env-reference name of the demo receiver's signing secret.
pub const SECRET_REF: &str = "FLIGHTDECK_DEMO_WEBHOOK_SECRET";

/// The running receiver.
pub struct DemoReceiver {
    /// Where it listens.
    pub addr: SocketAddr,
    secret: Secret,
    task: JoinHandle<()>,
}

/// Check one delivery: its headers and its signature under `key`.
pub fn verify(key: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let get = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("no {h} header"))
    };
    let id = get("webhook-id")?;
    let ts: i64 = get("webhook-timestamp")?
        .parse()
        .map_err(|_| "webhook-timestamp is not a number".to_string())?;
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return Err("webhook-timestamp is more than 5 minutes off".into());
    }
    let want = sign::signature(key, id, ts, body);
    let given = get("webhook-signature")?;
    // The header may carry several space-separated signatures.
    if given.split(' ').any(|s| s == want) {
        Ok(())
    } else {
        Err("signature does not match".into())
    }
}

async fn hook(State(key): State<Arc<Vec<u8>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    match verify(&key, &headers, &body) {
        Ok(()) => {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            tracing::info!(
                target: "flightdeck::demo",
                "demo receiver: {} (signature ok): {}",
                v["type"].as_str().unwrap_or("?"),
                v["data"]["title"].as_str().unwrap_or("?")
            );
            StatusCode::NO_CONTENT
        }
        Err(e) => {
            tracing::warn!(target: "flightdeck::demo", "demo receiver refused a delivery: {e}");
            StatusCode::UNAUTHORIZED
        }
    }
}

impl DemoReceiver {
    /// Start on a random port of 127.0.0.1 with a fresh secret.
    pub async fn start() -> Result<DemoReceiver> {
        let raw = uuid::Uuid::new_v4().as_bytes().to_vec();
        let secret = Secret::new(format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(&raw)
        ));
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(Arc::new(raw));
        let (addr, task) = super::listen::serve("receiver", app).await?;
        Ok(DemoReceiver { addr, secret, task })
    }

    /// The URL and secret for the demo config's references.
    pub fn provided(&self) -> Provided {
        let mut p = Provided::default();
        p.insert(URL_REF, Secret::new(format!("http://{}/hook", self.addr)));
        p.insert(SECRET_REF, self.secret.clone());
        p
    }
}

impl Drop for DemoReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
