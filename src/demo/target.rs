//! The demo target service: the routes of its two variants, a baseline and
//! a canary (served on 127.0.0.1 random ports by [`super::fleet`]), and the
//! front door that picks one by the demo flag. The canary can be told to
//! misbehave (latency, errors, failing health) from a given moment on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Version the demo baseline reports (what production runs).
pub const BASELINE_VERSION: &str = "2.13.4";
/// Version the demo canary reports (the release under validation).
pub const CANARY_VERSION: &str = "2.14.0-rc3";

/// How a variant behaves; can change while it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    /// Added to every API response.
    pub extra_latency_ms: u64,
    /// Share of API requests answered 500, 0..=1.
    pub error_rate: f64,
    /// Status of `/healthz`.
    pub health_status: u16,
    /// The behaviour applies only after this long since start.
    pub after: Duration,
    /// Known noise: each API response waits a further random 0..=jitter_ms
    /// (uniform), so that A/A calibration has a noise it can be checked on.
    pub jitter_ms: u64,
    /// A known regression: every API response takes this many percent longer.
    pub slowdown_pct: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            extra_latency_ms: 0,
            error_rate: 0.0,
            health_status: 200,
            after: Duration::ZERO,
            jitter_ms: 0,
            slowdown_pct: 0.0,
        }
    }
}

/// Demo scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// A healthy release: the canary is promoted, GO.
    Healthy,
    /// The canary degrades once it takes traffic (slow, erroring API; health
    /// still green): the judge catches it, rollback, NO-GO.
    Degraded,
    /// The canary is down from the start (health check fails): NO-GO.
    Unhealthy,
    /// A healthy canary, but the blue-green front door drops requests for
    /// a moment after each switch: the drill catches it, NO-GO.
    FlakySwitch,
}

impl Scenario {
    /// The canary's behaviour in this scenario.
    pub fn canary_behaviour(self) -> Behaviour {
        match self {
            Scenario::Healthy | Scenario::FlakySwitch => Behaviour::default(),
            Scenario::Degraded => Behaviour {
                extra_latency_ms: 120,
                error_rate: 0.2,
                health_status: 200,
                ..Behaviour::default()
            },
            Scenario::Unhealthy => Behaviour {
                extra_latency_ms: 250,
                error_rate: 0.2,
                health_status: 503,
                ..Behaviour::default()
            },
        }
    }
}

/// The flag the demo app evaluates per request.
pub const DEMO_FLAG: &str = "checkout-v2";

/// The demo app's front door: evaluates the flag file on every request (so
/// a write to it moves traffic at once) and hands the request to the variant
/// it picks, as a real service evaluating its flag per user would.
#[derive(Clone)]
struct Front {
    flags: Option<std::path::PathBuf>,
    baseline: Router,
    canary: Router,
}

impl Front {
    async fn picks_canary(&self, key: &str) -> bool {
        let Some(path) = &self.flags else {
            return false;
        };
        let Ok(text) = tokio::fs::read_to_string(path).await else {
            return false;
        };
        let ctx = serde_json::json!({ "targetingKey": key });
        crate::flags::evaluate(&text, DEMO_FLAG, &ctx)
            .ok()
            .and_then(|e| e.variant)
            .is_some_and(|v| v == "canary")
    }
}

async fn front(State(f): State<Front>, req: axum::extract::Request) -> Response {
    use tower::ServiceExt;
    let key = req
        .headers()
        .get("x-user-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("anonymous")
        .to_string();
    let target = if f.picks_canary(&key).await {
        f.canary
    } else {
        f.baseline
    };
    match target.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

#[derive(Clone)]
struct Variant {
    name: &'static str,
    version: Arc<str>,
    behaviour: Arc<RwLock<Behaviour>>,
    started: Instant,
    counter: Arc<std::sync::atomic::AtomicU64>,
    metrics: Arc<ApiMetrics>,
}

/// Upper bounds (seconds) of the latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What a variant counts of the API requests it served, for `/metrics`.
#[derive(Default)]
struct ApiMetrics {
    requests: AtomicU64,
    errors: AtomicU64,
    /// Non-cumulative counts per bucket; the last one is +Inf.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_us: AtomicU64,
}

impl ApiMetrics {
    fn observe(&self, took: Duration, error: bool) {
        let s = took.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|le| s <= *le)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        if error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus text exposition format (0.0.4).
    fn render(&self, variant: &str) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let l = format!("variant=\"{variant}\"");
        let _ = writeln!(out, "# HELP demo_requests_total API requests served.");
        let _ = writeln!(out, "# TYPE demo_requests_total counter");
        let _ = writeln!(
            out,
            "demo_requests_total{{{l}}} {}",
            self.requests.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP demo_request_errors_total API requests answered with a 5xx."
        );
        let _ = writeln!(out, "# TYPE demo_request_errors_total counter");
        let _ = writeln!(
            out,
            "demo_request_errors_total{{{l}}} {}",
            self.errors.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP demo_request_duration_seconds API request latency."
        );
        let _ = writeln!(out, "# TYPE demo_request_duration_seconds histogram");
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            let le = LATENCY_BUCKETS
                .get(i)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "+Inf".into());
            let _ = writeln!(
                out,
                "demo_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "demo_request_duration_seconds_sum{{{l}}} {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "demo_request_duration_seconds_count{{{l}}} {cumulative}"
        );
        out
    }
}

impl Variant {
    fn active(&self) -> Behaviour {
        let b = self.behaviour.read().map(|b| b.clone()).unwrap_or_default();
        if self.started.elapsed() >= b.after {
            b
        } else {
            Behaviour::default()
        }
    }

    fn tag(&self, mut r: Response) -> Response {
        r.headers_mut().insert(
            HeaderName::from_static("x-variant"),
            HeaderValue::from_static(self.name),
        );
        r
    }
}

async fn healthz(State(v): State<Variant>) -> Response {
    let b = v.active();
    let status = StatusCode::from_u16(b.health_status).unwrap_or(StatusCode::OK);
    let body = if status.is_success() {
        "ok"
    } else {
        "degraded: dependency timeout"
    };
    v.tag((status, body).into_response())
}

async fn version(State(v): State<Variant>) -> Response {
    let body = serde_json::json!({ "version": &*v.version, "variant": v.name });
    v.tag(axum::Json(body).into_response())
}

async fn metrics(State(v): State<Variant>) -> Response {
    let body = v.metrics.render(v.name);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

async fn api(State(v): State<Variant>, base_ms: u64, body: serde_json::Value) -> Response {
    let started = Instant::now();
    let b = v.active();
    let n = v.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(response_time(base_ms, &b, n)).await;
    // Deterministic error spread: every k-th request fails at rate 1/k.
    let fail = b.error_rate > 0.0 && (n as f64 * b.error_rate).fract() + b.error_rate >= 1.0;
    v.metrics.observe(started.elapsed(), fail);
    if fail {
        return v.tag((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response());
    }
    v.tag(axum::Json(body).into_response())
}

/// How long a response takes: base plus extra latency plus its jitter (a
/// fixed pseudo-random draw per request number), then the slowdown.
fn response_time(base_ms: u64, b: &Behaviour, n: u64) -> Duration {
    let mut us = (base_ms + b.extra_latency_ms) as f64 * 1000.0;
    if b.jitter_ms > 0 {
        // splitmix64 of the request number: uniform, and the same each run.
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        us += (z % (b.jitter_ms * 1000 + 1)) as f64;
    }
    us *= 1.0 + b.slowdown_pct / 100.0;
    Duration::from_micros(us.max(0.0) as u64)
}

fn router(v: Variant) -> Router {
    let fault = super::fault::router(v.behaviour.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/version", get(version))
        .route("/metrics", get(metrics))
        .route(
            "/api/products",
            get(|s| {
                api(
                    s,
                    8,
                    serde_json::json!({"products": ["lamp", "desk", "chair"]}),
                )
            }),
        )
        .route(
            "/api/cart",
            get(|s| api(s, 4, serde_json::json!({"items": 2}))),
        )
        .route(
            "/api/checkout",
            get(|s| api(s, 25, serde_json::json!({"order": "ok"})))
                .post(|s| api(s, 25, serde_json::json!({"order": "ok"}))),
        )
        .with_state(v)
        .merge(fault)
}

/// One healthy instance of the demo API serving `version` (`/healthz`,
/// `/version`, `/api/...`): what `flightdeck demo-instance` serves in a
/// child process for the failover drill.
pub fn instance_router(version: &str) -> Router {
    router(Variant {
        name: "baseline",
        version: version.into(),
        behaviour: Arc::new(RwLock::new(Behaviour::default())),
        started: Instant::now(),
        counter: Arc::default(),
        metrics: Arc::default(),
    })
}

/// The router of one demo variant (`baseline`, `canary`) serving `version`
/// with `behaviour`, its clock started at `started`.
pub(super) fn variant_router(
    name: &'static str,
    version: &str,
    behaviour: Arc<RwLock<Behaviour>>,
    started: Instant,
) -> Router {
    router(Variant {
        name,
        version: version.into(),
        behaviour,
        started,
        counter: Arc::default(),
        metrics: Arc::default(),
    })
}

/// The app's front door: each request to the variant the demo flag in
/// `flags` picks for it (always the baseline without a flag file).
pub(super) fn front_router(
    flags: Option<std::path::PathBuf>,
    baseline: Router,
    canary: Router,
) -> Router {
    Router::new().fallback(front).with_state(Front {
        flags,
        baseline,
        canary,
    })
}
