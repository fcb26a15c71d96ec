//! The connections of a load thread: closed-model workers that send back to
//! back, and the open model's hand-out of scheduled requests to idle
//! connections (most recently idle first), with a bounded backlog.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::stats::ErrorKind;
use super::worker::{Shared, Worker};

/// Closed model: pause after a refused connection.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// Most requests queued behind busy connections (per load thread); beyond it
/// they are dropped and counted as unsent, so a hopeless rate cannot grow
/// memory.
const MAX_QUEUE: usize = 1_000_000;

pub(super) async fn closed_worker(
    id: usize,
    slot: usize,
    shared: Arc<Shared>,
    stop: CancellationToken,
    think: Duration,
) {
    let mut w = Worker::new(id as u64, shared.origins_len(), slot);
    // The runner cancels `stop` at the deadline.
    while !stop.is_cancelled() {
        // A refused connection fails at once; pause so a down target does
        // not turn the loop into a spin.
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
}

/// Hands scheduled requests to idle connections, most recently idle first
/// (so a low rate keeps few connections warm), or queues them as backlog.
/// One per load thread; the counters are summed per window.
#[derive(Default)]
pub(super) struct PoolPacer {
    state: Mutex<PoolState>,
    pub(super) scheduled: AtomicU64,
    pub(super) backlog: AtomicU64,
    pub(super) dropped: AtomicU64,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<usize>,
    queue: VecDeque<Instant>,
}

impl PoolPacer {
    pub(super) fn dispatch(&self, at: Instant, senders: &[mpsc::UnboundedSender<Instant>]) {
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

    /// Requests waiting for a free connection now.
    pub(super) fn queued(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .queue
            .len() as u64
    }

    /// Mark these connections idle (all of them, before the clock starts).
    pub(super) fn set_idle(&self, ids: Vec<usize>) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).idle = ids;
    }

    /// Whether a connection is free to send at once.
    pub(super) fn has_idle(&self) -> bool {
        !self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .idle
            .is_empty()
    }

    /// The next queued request, or mark `id` idle.
    pub(super) fn next_or_idle(&self, id: usize) -> Option<Instant> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let next = st.queue.pop_front();
        if next.is_none() {
            st.idle.push(id);
        }
        next
    }
}

pub(super) async fn open_worker(
    mut w: Worker,
    local: usize,
    slot: usize,
    shared: Arc<Shared>,
    stop: CancellationToken,
    pacers: Arc<Vec<PoolPacer>>,
    mut rx: mpsc::UnboundedReceiver<Instant>,
) {
    let pacer = &pacers[slot];
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
            next = pacer.next_or_idle(local);
        }
    }
}
