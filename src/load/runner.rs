//! The runner: resolves targets, starts the connection tasks, paces the open
//! model, closes one window per second and returns the [`Summary`].
//!
//! Every run stops by itself: at the planned duration (plus a short drain
//! for requests in flight, bounded by the request timeout and 2 s), at a
//! sustained threshold breach, or at once when the cancellation token fires.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::error::LoadError;
use super::pace::Pacer;
use super::plan::{LoadPlan, Model};
use super::pool::{PoolPacer, closed_worker, open_worker};
use super::stats::Collector;
use super::target;
use super::totals::{Pacing, Totals};
use super::worker::{Shared, Worker};
use crate::core::load::{LoadModel, Summary, Window};
use crate::load::LoadUpdate;

/// Longest wait for requests in flight once the duration is over.
const MAX_DRAIN: Duration = Duration::from_secs(2);
/// Open model: connections per load thread opened before the clock starts.
const WARM_CONNECTIONS: usize = 8;
/// Open model: how long the start waits for those connections at most.
const WARM_TIMEOUT: Duration = Duration::from_secs(2);
/// Most load threads.
const MAX_THREADS: usize = 64;
/// After aborting, how long to wait for the load threads to stop.
const SETTLE: Duration = Duration::from_millis(100);

/// Run `plan`, calling `sink` with [`LoadUpdate::Started`] and then one
/// [`LoadUpdate::Window`] per second, and return the whole-run summary.
/// Cancelling `cancel` stops the load at once (in-flight requests are
/// abandoned) and still returns a summary of what was measured.
///
/// The connections are spread over load threads (one per available core,
/// at most one per connection), each with its own single-threaded runtime,
/// its own share of the arrival schedule and its own recorder: no request
/// crosses a thread. This task only paces the windows.
pub async fn run(
    plan: LoadPlan,
    cancel: CancellationToken,
    mut sink: impl FnMut(LoadUpdate),
) -> Result<Summary, LoadError> {
    let addrs = resolve(&plan).await?;
    let names = plan.endpoint_names.clone();
    let (model_name, conns) = match &plan.model {
        Model::Closed { connections, .. } => (LoadModel::Closed, *connections),
        Model::Open { pool, .. } => (LoadModel::Open, *pool),
    };
    let duration = plan.duration;
    let timeout = plan.timeout;
    let abort_on = plan.abort_on.clone();
    let plan_max_lag_ms = plan.max_lag_ms;
    let profile = match &plan.model {
        Model::Open { profile, .. } => Some(profile.clone()),
        Model::Closed { .. } => None,
    };
    let threads = load_threads(conns);
    let shared = Arc::new(Shared::new(plan, addrs, threads));
    let pacers: Arc<Vec<PoolPacer>> =
        Arc::new((0..threads).map(|_| PoolPacer::default()).collect());
    sink(LoadUpdate::Started {
        model: model_name,
        duration_s: duration.as_secs_f64(),
        connections: conns,
    });

    let stop = cancel.child_token();
    let abort = CancellationToken::new();
    let (start_tx, start_rx) = watch::channel(None::<Instant>);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    for k in 0..threads {
        let t = LoadThread {
            index: k,
            threads,
            shared: shared.clone(),
            pacers: pacers.clone(),
            stop: stop.clone(),
            abort: abort.clone(),
            start: start_rx.clone(),
            ready: ready_tx.clone(),
            done: done_tx.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name(format!("load-{k}"))
            .spawn(move || t.run());
        if let Err(e) = spawned {
            stop.cancel();
            abort.cancel();
            return Err(LoadError::Setup(format!("cannot start a load thread: {e}")));
        }
    }
    drop((ready_tx, done_tx));
    // Every thread has its connection tasks parked before the clock starts,
    // so that starting them does not show up as schedule lag.
    for _ in 0..threads {
        tokio::select! {
            r = ready_rx.recv() => if r.is_none() { break },
            _ = cancel.cancelled() => break,
        }
    }
    // The run's histograms are allocated (and their pages touched) before
    // the clock starts, not on the load's CPU in its first second.
    let mut totals = Totals::new(names.len(), plan_max_lag_ms);
    let mut collector = Collector::new(names.len());
    let start = Instant::now();
    let _ = start_tx.send(Some(start));

    let deadline = start + duration;
    let n_windows = duration.as_secs_f64().ceil().max(1.0) as u32;
    let keep = abort_on.iter().filter_map(|t| t.over_s).max().unwrap_or(0) as usize;
    let mut recent: VecDeque<Window> = VecDeque::new();
    let mut stopped_early = None;
    let mut window_start = start;
    let mut second = 0u32;
    let mut close = |totals: &mut Totals, second: u32, from: Instant, to: Instant| {
        let (acc, variants) = collector.collect(&shared.recorders);
        let (a, b) = (
            (from - start).as_secs_f64(),
            (to - start).as_secs_f64().min(duration.as_secs_f64()),
        );
        let swap = |f: fn(&PoolPacer) -> &AtomicU64| -> u64 {
            pacers.iter().map(|p| f(p).swap(0, Ordering::Relaxed)).sum()
        };
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
            scheduled: swap(|p| &p.scheduled),
            sent: shared.sent.swap(0, Ordering::Relaxed),
            backlog: swap(|p| &p.backlog),
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
    while second + 1 < n_windows && !cancel.is_cancelled() {
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
            let slice = recent.make_contiguous();
            if let Some(reason) = abort_on.iter().find_map(|t| t.sustained_breach(slice)) {
                sink(LoadUpdate::Window(w));
                stopped_early = Some(reason);
                break;
            }
        }
        sink(LoadUpdate::Window(w));
    }
    if cancel.is_cancelled() {
        stopped_early.get_or_insert_with(|| "cancelled".to_string());
    }
    if stopped_early.is_none() {
        tokio::select! {
            _ = sleep_until(deadline) => {}
            _ = cancel.cancelled() => { stopped_early = Some("cancelled".to_string()); }
        }
    }
    stop.cancel();
    let mut finished = 0;
    if !cancel.is_cancelled() {
        let drain = sleep_until(Instant::now() + timeout.min(MAX_DRAIN));
        tokio::pin!(drain);
        while finished < threads {
            tokio::select! {
                r = done_rx.recv() => match r { Some(()) => finished += 1, None => break },
                _ = &mut drain => break,
                _ = cancel.cancelled() => { stopped_early.get_or_insert_with(|| "cancelled".to_string()); break }
            }
        }
    }
    abort.cancel();
    let end = Instant::now();
    // Aborting is immediate; wait a moment for the threads to let go.
    let settle = sleep_until(end + SETTLE);
    tokio::pin!(settle);
    while finished < threads {
        tokio::select! {
            r = done_rx.recv() => match r { Some(()) => finished += 1, None => break },
            _ = &mut settle => break,
        }
    }
    let last = close(&mut totals, second, window_start, end);
    sink(LoadUpdate::Window(last));
    let unsent = pacers
        .iter()
        .map(|p| p.queued() + p.dropped.load(Ordering::Relaxed))
        .sum();
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

/// How many load threads: one per core this process may run on (or
/// `FLIGHTDECK_LOAD_THREADS`), never more than the connections.
fn load_threads(conns: u32) -> usize {
    let cores = std::env::var("FLIGHTDECK_LOAD_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    cores.clamp(1, MAX_THREADS).min((conns as usize).max(1))
}

impl Shared {
    pub(super) fn origins_len(&self) -> usize {
        self.plan.origins.len()
    }
}

/// One load thread: a single-threaded runtime driving its share of the
/// connections (and, in the open model, of the arrivals).
struct LoadThread {
    index: usize,
    threads: usize,
    shared: Arc<Shared>,
    pacers: Arc<Vec<PoolPacer>>,
    stop: CancellationToken,
    abort: CancellationToken,
    start: watch::Receiver<Option<Instant>>,
    ready: mpsc::UnboundedSender<()>,
    done: mpsc::UnboundedSender<()>,
}

impl LoadThread {
    fn run(self) {
        let done = self.done.clone();
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => {
                rt.block_on(self.drive());
                // Connection tasks (HTTP/2 drivers) go with the runtime.
                drop(rt);
            }
            Err(_) => {
                let _ = self.ready.send(());
            }
        }
        let _ = done.send(());
    }

    async fn drive(self) {
        let LoadThread {
            index: k,
            threads: n,
            shared,
            pacers,
            stop,
            abort,
            mut start,
            ready,
            ..
        } = self;
        let mut tasks = JoinSet::new();
        match &shared.plan.model {
            Model::Closed {
                connections,
                think_time,
            } => {
                for id in (k..*connections as usize).step_by(n) {
                    let (shared, stop, think) = (shared.clone(), stop.clone(), *think_time);
                    let mut start = start.clone();
                    tasks.spawn(async move {
                        if start.wait_for(Option::is_some).await.is_err() {
                            return;
                        }
                        closed_worker(id, k, shared, stop, think).await;
                    });
                }
            }
            Model::Open { profile, pool } => {
                let ids: Vec<usize> = (k..*pool as usize).step_by(n).collect();
                let mut senders = Vec::new();
                // The first idle connections are handed out first: open
                // those before the clock starts (bounded, so a large pool
                // at a low rate does not open what it will never use).
                let (warm_tx, mut warm_rx) = mpsc::unbounded_channel::<()>();
                let warm = ids.len().min(WARM_CONNECTIONS);
                for (local, id) in ids.iter().enumerate() {
                    let (tx, rx) = mpsc::unbounded_channel();
                    senders.push(tx);
                    let (shared, stop, pacers) = (shared.clone(), stop.clone(), pacers.clone());
                    let warmed = (local < warm).then(|| warm_tx.clone());
                    let mut w = Worker::new(*id as u64, shared.origins_len(), k);
                    tasks.spawn(async move {
                        if let Some(done) = warmed {
                            tokio::select! {
                                _ = w.warm(&shared) => {},
                                _ = stop.cancelled() => return,
                            }
                            drop(done);
                        }
                        open_worker(w, local, k, shared, stop, pacers, rx).await;
                    });
                }
                drop(warm_tx);
                let _ = tokio::time::timeout(WARM_TIMEOUT, async {
                    while warm_rx.recv().await.is_some() {}
                })
                .await;
                pacers[k].set_idle((0..ids.len()).rev().collect());
                let (profile, stop, pacers) = (profile.clone(), stop.clone(), pacers.clone());
                tasks.spawn(async move {
                    let t0 = match start.wait_for(Option::is_some).await {
                        Ok(at) => *at,
                        Err(_) => None,
                    };
                    let Some(t0) = t0 else { return };
                    let pacer = &pacers[k];
                    let timer = Pacer::new();
                    let mut late = 0u32;
                    // This thread's share: every n-th arrival.
                    for t in profile.arrivals().skip(k).step_by(n) {
                        let at = t0 + Duration::from_secs_f64(t);
                        if at > Instant::now() {
                            late = 0;
                            if pacer.has_idle() {
                                tokio::select! { _ = timer.sleep_until(at) => {}, _ = stop.cancelled() => return }
                            } else {
                                // Every connection is busy: this one will
                                // queue whenever it is due, so a coarse
                                // wait does (its lag still counts from
                                // `at`), and arrivals batch up per tick.
                                tokio::select! { _ = sleep_until(at) => {}, _ = stop.cancelled() => return }
                            }
                        } else if stop.is_cancelled() {
                            return;
                        } else {
                            // Behind schedule: let the connections run now
                            // and then, rather than only queueing.
                            late += 1;
                            if late.is_multiple_of(64) {
                                tokio::task::yield_now().await;
                            }
                        }
                        pacer.dispatch(at, &senders);
                    }
                });
            }
        }
        let _ = ready.send(());
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = abort.cancelled() => {}
        }
        // Let requests in flight finish until the runner aborts.
        loop {
            tokio::select! {
                biased;
                _ = abort.cancelled() => break,
                r = tasks.join_next() => if r.is_none() { break },
            }
        }
        tasks.shutdown().await;
    }
}

/// Resolve each origin once, before any request. A name allowed only because
/// it looks like loopback (`localhost`) must resolve to loopback.
pub(crate) async fn resolve(plan: &LoadPlan) -> Result<Vec<SocketAddr>, LoadError> {
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
