//! The demo's deployment targets, for drills: a fleet of three instances
//! behind one address that rolls a new version out one instance at a time
//! (so for a moment both versions answer), and a blue-green front door
//! that switches between a blue and a green instance. Both are driven by
//! real admin endpoints on 127.0.0.1, as a deploy tool or a load balancer
//! API would be. In the `flaky-switch` scenario the front door drops
//! requests (503) for a moment after each switch, which a drill must catch.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::task::JoinHandle;

use super::target::{BASELINE_VERSION, CANARY_VERSION};

/// Instances in the demo fleet.
pub const FLEET_SIZE: usize = 3;
/// Delay between two instances of a rolling deploy.
pub const ROLL_STEP: Duration = Duration::from_millis(300);
/// How long the flaky front door drops requests after a switch.
pub const FLAKY_WINDOW: Duration = Duration::from_millis(1500);

#[derive(Clone, Default)]
struct Fleet {
    versions: Arc<RwLock<Vec<String>>>,
    next: Arc<std::sync::atomic::AtomicUsize>,
    /// Bumped by every deploy, so an older roll stops when a newer starts.
    generation: Arc<std::sync::atomic::AtomicU64>,
}

fn versioned(version: &str, extra: (&'static str, String), body: serde_json::Value) -> Response {
    let mut r = axum::Json(body).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(version) {
        r.headers_mut().insert("x-version", v);
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&extra.1) {
        r.headers_mut().insert(extra.0, v);
    }
    r
}

async fn fleet_serve(State(f): State<Fleet>) -> Response {
    use std::sync::atomic::Ordering;
    let i = f.next.fetch_add(1, Ordering::Relaxed) % FLEET_SIZE;
    let v = f
        .versions
        .read()
        .ok()
        .and_then(|v| v.get(i).cloned())
        .unwrap_or_default();
    versioned(
        &v,
        ("x-instance", i.to_string()),
        serde_json::json!({ "version": v, "instance": i }),
    )
}

#[derive(serde::Deserialize)]
struct Deploy {
    version: String,
}

async fn fleet_deploy(State(f): State<Fleet>, body: axum::Json<Deploy>) -> Response {
    use std::sync::atomic::Ordering;
    let version = body.0.version;
    if version.is_empty() || version.len() > 64 {
        return (StatusCode::BAD_REQUEST, "version must be 1-64 characters").into_response();
    }
    let generation = f.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let v = version.clone();
    tokio::spawn(async move {
        for i in 0..FLEET_SIZE {
            tokio::time::sleep(ROLL_STEP).await;
            if f.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            if let Ok(mut list) = f.versions.write()
                && let Some(slot) = list.get_mut(i)
            {
                *slot = v.clone();
            }
        }
    });
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "deploying": version })),
    )
        .into_response()
}

async fn fleet_state(State(f): State<Fleet>) -> Response {
    let v = f.versions.read().map(|v| v.clone()).unwrap_or_default();
    axum::Json(serde_json::json!({ "instances": v })).into_response()
}

#[derive(Clone)]
struct Door {
    active_green: Arc<RwLock<bool>>,
    flaky: bool,
    dropping_until: Arc<RwLock<Option<Instant>>>,
}

impl Door {
    fn color(&self, preview: bool) -> (&'static str, &'static str) {
        let green = self.active_green.read().map(|g| *g).unwrap_or(false) != preview;
        if green {
            ("green", CANARY_VERSION)
        } else {
            ("blue", BASELINE_VERSION)
        }
    }

    fn dropping(&self) -> bool {
        self.dropping_until
            .read()
            .ok()
            .and_then(|d| *d)
            .is_some_and(|t| Instant::now() < t)
    }
}

fn door_answer(d: &Door, preview: bool) -> Response {
    if !preview && d.dropping() {
        return (StatusCode::SERVICE_UNAVAILABLE, "switch in progress").into_response();
    }
    let (color, version) = d.color(preview);
    versioned(
        version,
        ("x-color", color.to_string()),
        serde_json::json!({ "color": color, "version": version }),
    )
}

async fn door_active(State(d): State<Door>) -> Response {
    door_answer(&d, false)
}

async fn door_preview(State(d): State<Door>) -> Response {
    door_answer(&d, true)
}

#[derive(serde::Deserialize)]
struct Switch {
    active: String,
}

async fn door_switch(State(d): State<Door>, body: axum::Json<Switch>) -> Response {
    let green = match body.0.active.as_str() {
        "green" => true,
        "blue" => false,
        other => {
            return (
                StatusCode::BAD_REQUEST,
                format!("unknown colour `{other}`: use blue or green"),
            )
                .into_response();
        }
    };
    if let Ok(mut a) = d.active_green.write() {
        *a = green;
    }
    if d.flaky
        && let Ok(mut until) = d.dropping_until.write()
    {
        *until = Some(Instant::now() + FLAKY_WINDOW);
    }
    axum::Json(serde_json::json!({ "active": body.0.active })).into_response()
}

/// The running deployment targets.
pub struct RolloutTargets {
    /// The rolling fleet (`/version`, `/api/...`, `POST /admin/deploy`).
    pub deploy: SocketAddr,
    /// The blue-green front door (`/...` active, `/preview/...`,
    /// `POST /admin/switch`).
    pub bluegreen: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl RolloutTargets {
    /// Start both on 127.0.0.1 random ports; `flaky_switch` makes the
    /// front door drop requests after each switch.
    pub async fn start(flaky_switch: bool) -> Result<RolloutTargets> {
        let fleet = Fleet {
            versions: Arc::new(RwLock::new(vec![BASELINE_VERSION.to_string(); FLEET_SIZE])),
            ..Fleet::default()
        };
        let fleet_app = Router::new()
            .route("/admin/deploy", post(fleet_deploy))
            .route("/admin/state", get(fleet_state))
            .fallback(fleet_serve)
            .with_state(fleet);
        let door = Door {
            active_green: Arc::new(RwLock::new(false)),
            flaky: flaky_switch,
            dropping_until: Arc::new(RwLock::new(None)),
        };
        let door_app = Router::new()
            .route("/admin/switch", post(door_switch))
            .route("/preview", get(door_preview))
            .route("/preview/{*rest}", get(door_preview))
            .fallback(door_active)
            .with_state(door);
        let mut tasks = Vec::new();
        let mut addrs = Vec::new();
        for (name, app) in [("deploy fleet", fleet_app), ("blue-green door", door_app)] {
            let (addr, task) = super::listen::serve(name, app).await?;
            addrs.push(addr);
            tasks.push(task);
        }
        Ok(RolloutTargets {
            deploy: addrs[0],
            bluegreen: addrs[1],
            tasks,
        })
    }

    /// Replace `{demo.deploy}` and `{demo.bluegreen}` in a value.
    pub fn fill(&self, s: &str) -> String {
        s.replace("{demo.deploy}", &format!("http://{}", self.deploy))
            .replace("{demo.bluegreen}", &format!("http://{}", self.bluegreen))
    }
}

impl Drop for RolloutTargets {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
