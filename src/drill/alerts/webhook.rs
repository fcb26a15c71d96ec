//! The webhook receiver Flightdeck serves on 127.0.0.1 for the live
//! alerting drill: Alertmanager POSTs its version 4 JSON here, and each
//! delivery is kept with the moment it arrived and the receiver that
//! Alertmanager's route chose (the payload's `receiver`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tokio::task::JoinHandle;

/// One alert in one delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivered {
    /// When the POST arrived.
    pub at: Instant,
    /// The receiver the route chose.
    pub receiver: String,
    /// `alertname` label.
    pub alertname: String,
    /// `firing` or `resolved`.
    pub status: String,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    version: String,
    receiver: String,
    #[serde(default)]
    alerts: Vec<Alert>,
}

#[derive(Deserialize)]
struct Alert {
    status: String,
    #[serde(default)]
    labels: std::collections::BTreeMap<String, String>,
}

type Log = Arc<Mutex<Vec<Delivered>>>;

/// The running receiver; stops when dropped.
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    log: Log,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Listen on 127.0.0.1, a free port.
    pub async fn start() -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("webhook receiver: cannot listen on 127.0.0.1")?;
        let addr = listener.local_addr().context("webhook receiver: address")?;
        let log: Log = Arc::default();
        let app = Router::new().fallback(receive).with_state(log.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { addr, log, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything delivered so far.
    pub fn deliveries(&self) -> Vec<Delivered> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(log): State<Log>, body: axum::body::Bytes) -> StatusCode {
    let at = Instant::now();
    let Ok(p) = serde_json::from_slice::<Payload>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if !p.version.is_empty() && p.version != "4" {
        tracing::warn!(target: "flightdeck::drill", "webhook payload version {} (expected 4)", p.version);
    }
    if let Ok(mut l) = log.lock() {
        for a in p.alerts {
            l.push(Delivered {
                at,
                receiver: p.receiver.clone(),
                alertname: a.labels.get("alertname").cloned().unwrap_or_default(),
                status: a.status,
            });
        }
    }
    StatusCode::OK
}
