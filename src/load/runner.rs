//! The runner: resolves targets, starts the connection tasks, paces the open
//! model, closes one window per second and returns the [`Summary`].
//!
//! Every run stops by itself: at the planned duration (plus a short drain
//! for requests in flight, bounded by the request timeout and 2 s), at a
//! sustained threshold breach, or at once when the cancellation token fires.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::error::LoadError;
use super::plan::{LoadPlan, Model};
use super::report::{LoadUpdate, Summary, Window};
use super::stats::{ErrorKind, Recorder, WindowAcc};
use super::target;
use super::totals::{Pacing, Totals};
use super::worker::{Shared, Worker};

/// Longest wait for requests in flight once the duration is over.
const MAX_DRAIN: Duration = Duration::from_secs(2);
/// Closed model: pause after a refused connection.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);
/// Most requests queued behind busy connections; beyond it they are dropped
/// and counted as unsent, so a hopeless rate cannot grow memory.
const MAX_QUEUE: usize = 1_000_000;

/// Run `plan`, calling `sink` with [`LoadUpdate::Started`] and then one
/// [`LoadUpdate::Window`] per second, and return the whole-run summary.
/// Cancelling `cancel` stops the load at once (in-flight requests are
/// abandoned) and still returns a summary of what was measured.
pub async fn run(
    plan: LoadPlan,
    cancel: CancellationToken,
    mut sink: impl FnMut(LoadUpdate),
) -> Result<Summary, LoadError> {
    let addrs = resolve(&plan).await?;
    let names = plan.endpoint_names.clone();
    let cum = plan.cumulative_weights();
    let (model_name, conns) = match &plan.model {
        Model::Closed { connections, .. } => ("closed", *connections),
        Model::Open { pool, .. } => ("open", *pool),
    };
    let duration = plan.duration;
    let timeout = plan.timeout;
    let abort_on = plan.abort_on.clone();
    let plan_max_lag_ms = plan.max_lag_ms;
    let profile = match &plan.model {
        Model::Open { profile, .. } => Some(profile.clone()),
        Model::Closed { .. } => None,
    };
    let shared = Arc::new(Shared {
        recorder: Mutex::new(Recorder::new(names.len())),
        sent: AtomicU64::new(0),
        plan,
        addrs,
        cum,
        tls_error: std::sync::OnceLock::new(),
    });
    sink(LoadUpdate::Started {
        model: model_name.into(),
        duration_s: duration.as_secs_f64(),
        connections: conns,
    });

    let stop = cancel.child_token();
    let mut start = Instant::now();
    let pacer = Arc::new(PoolPacer::default());
    let mut tasks = JoinSet::new();
    match &shared.plan.model {
        Model::Closed {
            connections,
            think_time,
        } => {
            for id in 0..*connections {
                let (shared, stop, think) = (shared.clone(), stop.clone(), *think_time);
                tasks.spawn(async move {
                    let mut w = Worker::new(u64::from(id), shared.origins_len());
                    // The main loop cancels `stop` at the deadline.
                    while !stop.is_cancelled() {
                        // A refused connection fails at once; pause so a
                        // down target does not turn the loop into a spin.
                        let failed = w.exec(&shared, None).await;
                        let refused = matches!(failed, Some(ErrorKind::Connect | ErrorKind::Tls));
                        let pause = if refused {
                            think.max(CONNECT_BACKOFF)
                        } else {
                            think
                        };
                        if !pause.is_zero() {
                            tokio::select! { _ = tokio::time::sleep(pause) => {}, _ = stop.cancelled() => break }
                        }
                    }
                });
            }
        }
        Model::Open { profile, pool } => {
            let mut senders = Vec::new();
            for id in 0..*pool {
                let (tx, rx) = mpsc::unbounded_channel();
                senders.push(tx);
                let (shared, stop, pacer) = (shared.clone(), stop.clone(), pacer.clone());
                tasks.spawn(open_worker(id as usize, shared, stop, pacer, rx));
            }
            pacer.state.lock().unwrap_or_else(|p| p.into_inner()).idle =
                (0..*pool as usize).rev().collect();
            // Let the connection tasks park before the clock starts, so
            // that spawning them does not show up as schedule lag.
            tokio::task::yield_now().await;
            start = Instant::now();
            let (profile, stop, pacer) = (profile.clone(), stop.clone(), pacer.clone());
            tasks.spawn(async move {
                for t in profile.arrivals() {
                    let at = start + Duration::from_secs_f64(t);
                    if at > Instant::now() {
                        tokio::select! { _ = sleep_until(at) => {}, _ = stop.cancelled() => return }
                    } else if stop.is_cancelled() {
                        return;
                    }
                    pacer.dispatch(at, &senders);
                }
            });
        }
    }

    let deadline = start + duration;
    let mut totals = Totals::new(names.len(), plan_max_lag_ms);
    let n_windows = duration.as_secs_f64().ceil().max(1.0) as u32;
    let keep = abort_on.iter().filter_map(|t| t.over_s).max().unwrap_or(0) as usize;
    let mut recent: VecDeque<Window> = VecDeque::new();
    let mut stopped_early = None;
    let mut window_start = start;
    let mut second = 0u32;
    let close = |totals: &mut Totals, second: u32, from: Instant, to: Instant| {
        let fresh = WindowAcc::new(names.len());
        let (acc, variants) = shared
            .recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(fresh);
        let (a, b) = (
            (from - start).as_secs_f64(),
            (to - start).as_secs_f64().min(duration.as_secs_f64()),
        );
        let pacing = Pacing {
            target_rps: profile
                .as_ref()
                .map(|p| {
                    if b > a {
                        p.expected_between(a, b) / (b - a)
                    } else {
                        0.0
                    }
                })
                .unwrap_or(0.0),
            scheduled: pacer.scheduled.swap(0, Ordering::Relaxed),
            sent: shared.sent.swap(0, Ordering::Relaxed),
            backlog: pacer.backlog.swap(0, Ordering::Relaxed),
            open: profile.is_some(),
        };
        totals.close_window(
            acc,
            &names,
            variants,
            second,
            (to - from).as_secs_f64(),
            pacing,
        )
    };
    while second + 1 < n_windows {
        let boundary = start + Duration::from_secs(u64::from(second) + 1);
        tokio::select! {
            _ = sleep_until(boundary) => {}
            _ = cancel.cancelled() => { stopped_early = Some("cancelled".to_string()); break; }
        }
        let w = close(&mut totals, second, window_start, boundary);
        window_start = boundary;
        second += 1;
        if keep > 0 {
            recent.push_back(w.clone());
            if recent.len() > keep {
                recent.pop_front();
            }
            let slice: Vec<Window> = recent.iter().cloned().collect();
            if let Some(reason) = abort_on.iter().find_map(|t| t.sustained_breach(&slice)) {
                sink(LoadUpdate::Window(w));
                stopped_early = Some(reason);
                break;
            }
        }
        sink(LoadUpdate::Window(w));
    }
    if stopped_early.is_none() {
        tokio::select! {
            _ = sleep_until(deadline) => {}
            _ = cancel.cancelled() => { stopped_early = Some("cancelled".to_string()); }
        }
    }
    stop.cancel();
    if !cancel.is_cancelled() {
        let drain = sleep_until(Instant::now() + timeout.min(MAX_DRAIN));
        tokio::pin!(drain);
        loop {
            tokio::select! {
                r = tasks.join_next() => if r.is_none() { break },
                _ = &mut drain => break,
                _ = cancel.cancelled() => { stopped_early.get_or_insert_with(|| "cancelled".to_string()); break }
            }
        }
    }
    tasks.abort_all();
    let end = Instant::now();
    let last = close(&mut totals, second, window_start, end);
    sink(LoadUpdate::Window(last));
    let unsent = pacer
        .state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .queue
        .len() as u64
        + pacer.dropped.load(Ordering::Relaxed);
    let elapsed = (end - start).as_secs_f64();
    let target_rps = profile
        .as_ref()
        .map(|p| p.expected_between(0.0, p.duration_s()) / p.duration_s().max(1e-9))
        .unwrap_or(0.0);
    let mut summary = totals.summary(model_name, &names, elapsed, target_rps, unsent);
    summary.stopped_early = stopped_early;
    summary.tls_error = shared.tls_error.get().cloned();
    Ok(summary)
}

impl Shared {
    fn origins_len(&self) -> usize {
        self.plan.origins.len()
    }
}

/// Hands scheduled requests to idle connections, most recently idle first
/// (so a low rate keeps few connections warm), or queues them as backlog.
#[derive(Default)]
struct PoolPacer {
    state: Mutex<PoolState>,
    scheduled: AtomicU64,
    backlog: AtomicU64,
    dropped: AtomicU64,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<usize>,
    queue: VecDeque<Instant>,
}

impl PoolPacer {
    fn dispatch(&self, at: Instant, senders: &[mpsc::UnboundedSender<Instant>]) {
        self.scheduled.fetch_add(1, Ordering::Relaxed);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = st.idle.pop() {
            drop(st);
            let _ = senders[w].send(at);
        } else {
            self.backlog.fetch_add(1, Ordering::Relaxed);
            if st.queue.len() < MAX_QUEUE {
                st.queue.push_back(at);
            } else {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The next queued request, or mark `id` idle.
    fn next_or_idle(&self, id: usize) -> Option<Instant> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let next = st.queue.pop_front();
        if next.is_none() {
            st.idle.push(id);
        }
        next
    }
}

async fn open_worker(
    id: usize,
    shared: Arc<Shared>,
    stop: CancellationToken,
    pacer: Arc<PoolPacer>,
    mut rx: mpsc::UnboundedReceiver<Instant>,
) {
    let mut w = Worker::new(id as u64, shared.origins_len());
    loop {
        let job = tokio::select! {
            j = rx.recv() => match j { Some(j) => j, None => return },
            _ = stop.cancelled() => return,
        };
        let mut next = Some(job);
        while let Some(at) = next {
            if stop.is_cancelled() {
                return;
            }
            w.exec(&shared, Some(at)).await;
            next = pacer.next_or_idle(id);
        }
    }
}

/// Resolve each origin once, before any request. A name allowed only because
/// it looks like loopback (`localhost`) must resolve to loopback.
async fn resolve(plan: &LoadPlan) -> Result<Vec<SocketAddr>, LoadError> {
    let mut out = Vec::new();
    for o in &plan.origins {
        if let Ok(ip) = o.host.parse::<std::net::IpAddr>() {
            out.push(SocketAddr::new(ip, o.port));
            continue;
        }
        let found: Vec<SocketAddr> = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host((o.host.as_str(), o.port)),
        )
        .await
        .map_err(|_| LoadError::Setup(format!("resolving {} timed out after 5 s", o.host)))?
        .map_err(|e| LoadError::Setup(format!("cannot resolve {}: {e}", o.host)))?
        .collect();
        let explicitly_allowed = !target::is_loopback_host(&o.host)
            || plan
                .allow_hosts
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&o.host));
        let pick = if explicitly_allowed {
            found.first().copied()
        } else {
            found.iter().find(|a| a.ip().is_loopback()).copied()
        };
        match pick {
            Some(a) => out.push(a),
            None => {
                return Err(LoadError::ResolvedOutsideLoopback {
                    host: o.host.clone(),
                    addr: found
                        .first()
                        .map(|a| a.ip().to_string())
                        .unwrap_or_else(|| "nothing".into()),
                });
            }
        }
    }
    Ok(out)
}
