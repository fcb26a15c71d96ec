//! Serving a demo router on a random 127.0.0.1 port, in the background:
//! what every demo server (the variants, the rollout fleet, the failover
//! door, the notification receiver) does the same way.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Listen on 127.0.0.1 (a port the system picks) and serve `app` in a task;
/// `name` names it in errors and in the log line if it stops.
pub async fn serve(name: &str, app: Router) -> Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .with_context(|| format!("demo {name}: cannot listen on 127.0.0.1"))?;
    let addr = listener
        .local_addr()
        .with_context(|| format!("demo {name}: local address"))?;
    let name = name.to_string();
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(target: "flightdeck::demo", "demo {name} stopped: {e}");
        }
    });
    Ok((addr, task))
}
