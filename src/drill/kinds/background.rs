//! The low constant background load a kind runs through its whole
//! sequence, on the load engine (loopback only: the engine refuses other
//! hosts without `load.allow_hosts`, which a drill never sets), bounded in
//! rate and time. Its one-second windows tell how many requests failed in
//! an interval and how the p99 moved.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::core::load::Window;
use crate::load::{LoadConfig, LoadPlan, LoadUpdate};

/// Longest a background load runs, whatever the drill says.
pub const MAX_BACKGROUND: Duration = Duration::from_secs(300);
/// Highest background rate a drill may ask for.
pub const MAX_RATE: f64 = 200.0;

/// A running background load.
pub struct Background {
    windows: Arc<Mutex<Vec<Window>>>,
    start: Arc<Mutex<Option<Instant>>>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Background {
    /// Start `rate` requests per second to `url` for at most `max`.
    pub fn start(
        url: &str,
        rate: f64,
        max: Duration,
        variant_header: &str,
    ) -> Result<Background, String> {
        let cfg = LoadConfig {
            target: url.to_string(),
            rate: Some(rate.clamp(1.0, MAX_RATE)),
            // A small pool: the background load must not take the CPU a
            // load stage running beside it measures with.
            connections: Some(4),
            duration_s: Some(max.min(MAX_BACKGROUND).as_secs_f64().max(1.0)),
            timeout_ms: 2_000,
            variant_header: variant_header.to_string(),
            max_duration_s: MAX_BACKGROUND.as_secs_f64(),
            ..LoadConfig::default()
        };
        let plan = LoadPlan::from_config(&cfg).map_err(|e| format!("background load: {e}"))?;
        let windows = Arc::new(Mutex::new(Vec::new()));
        let start = Arc::new(Mutex::new(None));
        let stop = CancellationToken::new();
        let (w, s, token) = (windows.clone(), start.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let _ = crate::load::run(plan, token, |u| match u {
                LoadUpdate::Started { .. } => {
                    if let Ok(mut s) = s.lock() {
                        *s = Some(Instant::now());
                    }
                }
                LoadUpdate::Window(win) => {
                    if let Ok(mut w) = w.lock() {
                        w.push(win);
                    }
                }
            })
            .await;
        });
        Ok(Background {
            windows,
            start,
            stop,
            task,
        })
    }

    /// The windows that overlap `from..to`.
    fn during(&self, from: Instant, to: Instant) -> Vec<Window> {
        let Some(start) = self.start.lock().ok().and_then(|s| *s) else {
            return Vec::new();
        };
        let first = from.saturating_duration_since(start).as_secs();
        let last = to.saturating_duration_since(start).as_secs();
        self.windows
            .lock()
            .map(|w| {
                w.iter()
                    .filter(|w| u64::from(w.second) >= first && u64::from(w.second) <= last)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Requests that failed (transport errors and statuses >= 400) in the
    /// windows overlapping `from..to`.
    pub fn failed(&self, from: Instant, to: Instant) -> u64 {
        self.during(from, to).iter().map(|w| w.errors).sum()
    }

    /// Requests completed in the windows overlapping `from..to`.
    pub fn requests(&self, from: Instant, to: Instant) -> u64 {
        self.during(from, to).iter().map(|w| w.requests).sum()
    }

    /// The median per-second p99 over `from..to` (the steady state).
    pub fn median_p99(&self, from: Instant, to: Instant) -> Option<f64> {
        let mut v: Vec<f64> = self
            .during(from, to)
            .iter()
            .filter(|w| w.requests > 0)
            .map(|w| w.p99_ms)
            .collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    }

    /// The highest per-second p99 over `from..to`.
    pub fn max_p99(&self, from: Instant, to: Instant) -> Option<f64> {
        self.during(from, to)
            .iter()
            .filter(|w| w.requests > 0)
            .map(|w| w.p99_ms)
            .max_by(f64::total_cmp)
    }

    /// Wait until the window holding `t` has closed.
    pub async fn settle(&self, t: Instant) {
        let Some(start) = self.start.lock().ok().and_then(|s| *s) else {
            return;
        };
        let second = t.saturating_duration_since(start).as_secs();
        for _ in 0..40 {
            let have = self
                .windows
                .lock()
                .map(|w| w.iter().any(|w| u64::from(w.second) > second))
                .unwrap_or(true);
            if have || self.task.is_finished() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stop the load (it also stops by itself at its duration).
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}
