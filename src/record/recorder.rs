//! The recorder: the one place events enter the run. It stamps each event
//! (version, sequence, time), appends it to the journal, folds it into the
//! run state and hands it to every subscriber (TUI, headless reporter,
//! attached viewers).
//!
//! Fan-out is bounded: each subscriber reads from a ring of at most
//! [`FANOUT_CAPACITY`] envelopes. The recorder never waits for a subscriber;
//! one that falls further behind than the ring holds is told so
//! ([`Delivery::Resync`]) and continues from a snapshot of the state, so a
//! viewer on a slow link never slows the run or grows its memory.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use tokio::sync::broadcast;

use crate::core::event::{EVENT_VERSION, Envelope, Event, LogLevel};
use crate::core::narrative;
use crate::core::state::RunState;
use crate::record::journal::Journal;

/// Most envelopes a subscriber may fall behind before it resynchronises.
pub const FANOUT_CAPACITY: usize = 1024;

#[derive(Debug)]
struct Inner {
    journal: Option<Journal>,
    seq: u64,
    state: RunState,
    /// `None` once the run is over: subscribers see the end of the stream.
    fanout: Option<broadcast::Sender<Envelope>>,
    journal_error: Option<String>,
}

/// Shared handle through which stages emit events.
#[derive(Debug, Clone)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new(None)
    }
}

/// What a subscriber receives next.
// Events are the hot path and move by value; the rare resync is the one boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Delivery {
    /// The next event, in journal order.
    Event(Envelope),
    /// The subscriber fell behind and events were dropped for it: this is
    /// the whole state now; fold the events that follow into it.
    Resync(Box<RunState>),
}

/// A bounded subscription to a run's events.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Envelope>,
    rec: Recorder,
}

impl Subscription {
    /// The next delivery; `None` when the run is over and everything was read.
    pub async fn recv(&mut self) -> Option<Delivery> {
        match self.rx.recv().await {
            Ok(env) => Some(Delivery::Event(env)),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(self.resync()),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next delivery if one is ready now.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        match self.rx.try_recv() {
            Ok(env) => Some(Delivery::Event(env)),
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(self.resync()),
            Err(_) => None,
        }
    }

    fn resync(&mut self) -> Delivery {
        let (state, rx) = self.rec.fresh_receiver();
        self.rx = rx;
        Delivery::Resync(Box::new(state))
    }
}

impl Recorder {
    /// A recorder writing to `journal` (or nowhere, for tests and offline tools).
    pub fn new(journal: Option<Journal>) -> Recorder {
        let (tx, _) = broadcast::channel(FANOUT_CAPACITY);
        Recorder {
            inner: Arc::new(Mutex::new(Inner {
                journal,
                seq: 0,
                state: RunState::default(),
                fanout: Some(tx),
                journal_error: None,
            })),
        }
    }

    /// A recorder that continues a journal already written: its state is
    /// the fold of `envelopes` and the next event follows the last one's
    /// sequence number. Nobody subscribes to a finished run's stream.
    pub fn resume(journal: Journal, envelopes: &[Envelope]) -> Recorder {
        let rec = Recorder::new(Some(journal));
        {
            let mut inner = rec.lock();
            inner.state = RunState::from_envelopes(envelopes);
            inner.seq = envelopes.iter().map(|e| e.seq).max().unwrap_or(0);
            inner.fanout = None;
        }
        rec
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock must not lose the journal: keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record one event and return its envelope.
    pub fn emit(&self, event: Event) -> Envelope {
        trace(&event);
        let mut inner = self.lock();
        inner.seq += 1;
        let env = Envelope {
            v: EVENT_VERSION,
            seq: inner.seq,
            ts: Utc::now(),
            event,
        };
        if let Some(j) = inner.journal.as_mut()
            && let Err(e) = j.append(&env)
            && inner.journal_error.is_none()
        {
            let msg = format!("{e:#}");
            tracing::error!(target: "flightdeck::journal", "{msg}");
            inner.journal_error = Some(msg);
        }
        inner.state.apply(&env);
        if let Some(tx) = &inner.fanout {
            // No receiver is not an error: nobody watches a headless test.
            let _ = tx.send(env.clone());
        }
        env
    }

    /// Pass on an event recorded elsewhere, as it was stamped there (an
    /// attached terminal mirrors the run it watches): folded and fanned out
    /// like an emitted one, and journalled only if this recorder has a
    /// journal (a mirror has none).
    pub fn relay(&self, env: Envelope) {
        let mut inner = self.lock();
        inner.seq = inner.seq.max(env.seq);
        if let Some(j) = inner.journal.as_mut()
            && let Err(e) = j.append(&env)
            && inner.journal_error.is_none()
        {
            inner.journal_error = Some(format!("{e:#}"));
        }
        inner.state.apply(&env);
        if let Some(tx) = &inner.fanout {
            let _ = tx.send(env);
        }
    }

    /// Shorthand for a log event.
    pub fn log(&self, level: LogLevel, stage: Option<&str>, message: impl Into<String>) {
        self.emit(Event::Log {
            level,
            stage: stage.map(str::to_string),
            message: message.into(),
        });
    }

    /// Subscribe to every future event, with the state so far.
    pub fn subscribe(&self) -> (RunState, Subscription) {
        let (state, rx) = self.fresh_receiver();
        (
            state,
            Subscription {
                rx,
                rec: self.clone(),
            },
        )
    }

    /// The state and a receiver positioned right after it, taken under one
    /// lock so that no event falls between them.
    fn fresh_receiver(&self) -> (RunState, broadcast::Receiver<Envelope>) {
        let inner = self.lock();
        let rx = match &inner.fanout {
            Some(tx) => tx.subscribe(),
            None => {
                // The run is over: a receiver that reports the end at once.
                let (tx, rx) = broadcast::channel(1);
                drop(tx);
                rx
            }
        };
        (inner.state.clone(), rx)
    }

    /// End the stream for every subscriber (the run is over).
    pub fn close(&self) {
        self.lock().fanout = None;
    }

    /// Read one fact of the run state without copying the state.
    pub fn read<R>(&self, f: impl FnOnce(&RunState) -> R) -> R {
        f(&self.lock().state)
    }

    /// A whole copy of the run state now (for reports at the end of a run;
    /// use [`Recorder::read`] for a single fact).
    pub fn snapshot(&self) -> RunState {
        self.lock().state.clone()
    }

    /// The first journal write error, if any.
    pub fn journal_error(&self) -> Option<String> {
        self.lock().journal_error.clone()
    }
}

/// Mirror an event's narrative into `tracing`, so it reaches the log pane and the log file.
fn trace(event: &Event) {
    let Some(l) = narrative::line(event) else {
        return;
    };
    let stage = l.stage.as_deref().unwrap_or("run");
    let text = &l.text;
    match l.level {
        LogLevel::Debug => tracing::debug!(target: "flightdeck", "{stage}: {text}"),
        LogLevel::Info => tracing::info!(target: "flightdeck", "{stage}: {text}"),
        LogLevel::Warn => tracing::warn!(target: "flightdeck", "{stage}: {text}"),
        LogLevel::Error => tracing::error!(target: "flightdeck", "{stage}: {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(rec: &Recorder, i: usize) {
        rec.log(LogLevel::Info, None, format!("line {i}"));
    }

    #[tokio::test]
    async fn a_subscriber_gets_every_event_in_order_then_the_end() {
        let rec = Recorder::new(None);
        let (state, mut sub) = rec.subscribe();
        assert_eq!(state.events_applied, 0);
        for i in 0..10 {
            log(&rec, i);
        }
        rec.close();
        let mut seqs = Vec::new();
        while let Some(d) = sub.recv().await {
            match d {
                Delivery::Event(env) => seqs.push(env.seq),
                Delivery::Resync(_) => panic!("no resync expected"),
            }
        }
        assert_eq!(seqs, (1..=10).collect::<Vec<u64>>());
    }

    #[tokio::test]
    async fn a_slow_subscriber_resyncs_from_a_snapshot_and_the_recorder_never_waits() {
        let rec = Recorder::new(None);
        let (_, mut slow) = rec.subscribe();
        // Three times what the ring holds, with nobody reading: emit returns
        // every time (it never waits for the subscriber).
        let n = FANOUT_CAPACITY * 3;
        for i in 0..n {
            log(&rec, i);
        }
        let Some(Delivery::Resync(state)) = slow.recv().await else {
            panic!("a lagging subscriber must be told to resync");
        };
        assert_eq!(state.events_applied, n as u64);
        // After the resync it follows live again, from the next event.
        log(&rec, n);
        match slow.recv().await {
            Some(Delivery::Event(env)) => assert_eq!(env.seq, n as u64 + 1),
            other => panic!("expected the next event, got {other:?}"),
        }
    }

    #[test]
    fn read_projects_one_fact_without_a_copy() {
        let rec = Recorder::new(None);
        log(&rec, 1);
        log(&rec, 2);
        assert_eq!(rec.read(|s| s.events_applied), 2);
        assert_eq!(rec.snapshot().logs.len(), 2);
    }
}
