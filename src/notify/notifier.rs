//! The live notifier: it follows the run's events through a bounded
//! subscription (like any viewer), turns the moments sinks subscribed to
//! into `notify_queued` events, and delivers them in the background, one
//! queue per sink so that each sink hears the run in order. It never blocks
//! the run (the recorder never waits for a subscriber) and never changes a
//! verdict (it only adds notification events, which no report reads).
//!
//! When the run ends, what is still pending gets a bounded flush; whatever
//! is left after it is journalled as given up, for `flightdeck notify
//! resend`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::core::event::{Envelope, Event};
use crate::core::notify::Notice;
use crate::core::state::RunState;
use crate::core::state::notify::Delivery;
use crate::notify::deliver::{Sink, deliver};
use crate::notify::notice::notice_for;
use crate::notify::payload::{Message, RunContext};
use crate::record::journal;
use crate::record::recorder::{Delivery as Feed, Recorder};

/// One message waiting for its sink.
struct Job {
    id: String,
    notice: Notice,
    at: chrono::DateTime<chrono::Utc>,
    run: Arc<RunContext>,
}

/// The running notifier.
pub struct Notifier {
    task: JoinHandle<()>,
    deadline: watch::Sender<Option<tokio::time::Instant>>,
    rec: Recorder,
    flush: Duration,
}

/// The message id: the run, the triggering event and the sink, so that
/// retries and resends carry the same `webhook-id`.
pub fn message_id(run_id: &str, cause_seq: u64, sink: usize) -> String {
    format!("msg_{run_id}_{cause_seq}_{sink}")
}

/// The run's context for messages, from its folded state.
pub fn run_context(s: &RunState, attach: &str) -> Arc<RunContext> {
    let info = s.info.as_ref();
    let run_id = info.map(|i| i.run_id.clone()).unwrap_or_default();
    Arc::new(RunContext {
        attach: format!("{attach} {run_id}"),
        run_id,
        service: info.map(|i| i.service.clone()).unwrap_or_default(),
        release: info.map(|i| i.release.clone()).unwrap_or_default(),
        environment: info.map(|i| i.environment.clone()).unwrap_or_default(),
    })
}

fn sink_worker(
    rec: Recorder,
    sink: Arc<Sink>,
    deadline: watch::Receiver<Option<tokio::time::Instant>>,
) -> (UnboundedSender<Job>, JoinHandle<()>) {
    let (tx, mut rx) = unbounded_channel::<Job>();
    let task = tokio::spawn(async move {
        let client = reqwest::Client::new();
        while let Some(job) = rx.recv().await {
            let m = Message {
                id: &job.id,
                notice: &job.notice,
                at: job.at,
                run: &job.run,
            };
            deliver(&rec, &client, &sink, &m, deadline.clone()).await;
        }
    });
    (tx, task)
}

impl Notifier {
    /// Start following `rec` (subscribe before the run starts, so that
    /// nothing is missed). `attach` is how a person watches the run, e.g.
    /// `ssh -t host flightdeck attach`; `journal` lets the notifier catch
    /// up on what a lag skipped. `flush` bounds the delivery of what is
    /// still pending when the run ends.
    pub fn start(
        sinks: Vec<Sink>,
        rec: &Recorder,
        attach: String,
        journal_path: Option<PathBuf>,
        flush: Duration,
    ) -> Notifier {
        let (deadline, deadline_rx) = watch::channel(None);
        let (mut state, mut sub) = rec.subscribe();
        let rec2 = rec.clone();
        let task = tokio::spawn(async move {
            let rec = rec2;
            let sinks: Vec<Arc<Sink>> = sinks.into_iter().map(Arc::new).collect();
            let mut workers: Vec<(UnboundedSender<Job>, JoinHandle<()>)> = sinks
                .iter()
                .map(|s| sink_worker(rec.clone(), s.clone(), deadline_rx.clone()))
                .collect();
            let mut last_seq = 0u64;
            while let Some(feed) = sub.recv().await {
                match feed {
                    Feed::Event(env) => {
                        last_seq = env.seq;
                        state.apply(&env);
                        queue(&rec, &sinks, &workers, &state, &env, &attach);
                    }
                    Feed::Resync(now) => {
                        // Catch up from the journal on what the lag skipped,
                        // so that no decision goes unannounced.
                        let upto = now.events_applied;
                        if let Some(back) =
                            journal_path.as_deref().and_then(|p| journal::read(p).ok())
                        {
                            for env in back
                                .envelopes
                                .iter()
                                .filter(|e| e.seq > last_seq && e.seq <= upto)
                            {
                                state.apply(env);
                                queue(&rec, &sinks, &workers, &state, env, &attach);
                            }
                        }
                        state = *now;
                        last_seq = upto;
                    }
                }
            }
            for (tx, task) in workers.drain(..) {
                drop(tx);
                let _ = task.await;
            }
        });
        Notifier {
            task,
            deadline,
            rec: rec.clone(),
            flush,
        }
    }

    /// The run is over: give pending deliveries at most the flush time,
    /// then journal whatever is left as given up. Call after the recorder
    /// was closed (the notifier reads to the end of the run first).
    pub async fn finish(self) {
        let end = tokio::time::Instant::now() + self.flush;
        let _ = self.deadline.send(Some(end));
        let mut task = self.task;
        let margin = Duration::from_millis(500);
        if tokio::time::timeout(self.flush + margin, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        let left: Vec<(String, String, u32)> = self.rec.read(|s| {
            s.notifications
                .iter()
                .filter(|n| matches!(n.delivery, Delivery::Queued | Delivery::Retrying { .. }))
                .map(|n| (n.id.clone(), n.sink.clone(), n.attempts))
                .collect()
        });
        for (id, sink, attempts) in left {
            self.rec.emit(Event::NotifyFailed {
                id,
                sink,
                attempt: attempts,
                status: None,
                error: format!(
                    "not delivered before the run ended (flush {})",
                    crate::core::format::duration_text(self.flush)
                ),
                retry_in_ms: None,
            });
        }
    }
}

/// Queue the notice `env` deserves for every sink that wants it.
fn queue(
    rec: &Recorder,
    sinks: &[Arc<Sink>],
    workers: &[(UnboundedSender<Job>, JoinHandle<()>)],
    state: &RunState,
    env: &Envelope,
    attach: &str,
) {
    let Some(notice) = notice_for(env, state) else {
        return;
    };
    let run = run_context(state, attach);
    for (i, (sink, (tx, _))) in sinks.iter().zip(workers).enumerate() {
        if !sink.cfg.wants(notice.trigger, notice.severity) {
            continue;
        }
        let id = message_id(&run.run_id, env.seq, i);
        let queued = rec.emit(Event::NotifyQueued {
            id: id.clone(),
            sink: sink.cfg.name.clone(),
            kind: sink.cfg.kind,
            cause_seq: env.seq,
            notice: notice.clone(),
        });
        let _ = tx.send(Job {
            id,
            notice: notice.clone(),
            at: queued.ts,
            run: run.clone(),
        });
    }
}
