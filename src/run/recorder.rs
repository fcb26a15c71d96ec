//! The recorder: the one place events enter the run. It stamps each event
//! (version, sequence, time), appends it to the journal, folds it into the
//! run state and hands it to every subscriber (TUI, headless reporter).

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::run::event::{EVENT_VERSION, Envelope, Event, LogLevel};
use crate::run::journal::Journal;
use crate::run::state::RunState;

#[derive(Debug, Default)]
struct Inner {
    journal: Option<Journal>,
    seq: u64,
    state: RunState,
    subscribers: Vec<UnboundedSender<Envelope>>,
    journal_error: Option<String>,
}

/// Shared handle through which stages emit events.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
}

impl Recorder {
    /// A recorder writing to `journal` (or nowhere, for tests and offline tools).
    pub fn new(journal: Option<Journal>) -> Recorder {
        Recorder {
            inner: Arc::new(Mutex::new(Inner {
                journal,
                ..Inner::default()
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock must not lose the journal: keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record one event and return its envelope.
    pub fn emit(&self, event: Event) -> Envelope {
        crate::run::narrative::trace(&event);
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
        inner.subscribers.retain(|s| s.send(env.clone()).is_ok());
        env
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
    pub fn subscribe(&self) -> (RunState, UnboundedReceiver<Envelope>) {
        let (tx, rx) = unbounded_channel();
        let mut inner = self.lock();
        inner.subscribers.push(tx);
        (inner.state.clone(), rx)
    }

    /// Drop all subscribers, closing their channels (the run is over).
    pub fn close(&self) {
        self.lock().subscribers.clear();
    }

    /// A copy of the run state now.
    pub fn state(&self) -> RunState {
        self.lock().state.clone()
    }

    /// The first journal write error, if any.
    pub fn journal_error(&self) -> Option<String> {
        self.lock().journal_error.clone()
    }
}
