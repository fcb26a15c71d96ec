//! The heartbeat writer: its own connection, one insert into
//! `flightdeck_heartbeat(seq, at)` every interval, and a sequence number
//! recorded as acknowledged only once its commit has returned. It stops
//! at its first error (the primary died) or when told.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::core::disaster::Ack;
use crate::pg::PgError;

/// The heartbeat table, created before the backup so every method has it.
pub const TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS flightdeck_heartbeat (seq bigint PRIMARY KEY, at timestamptz NOT NULL)";

/// Most acknowledgements kept (a day at 100 ms is 864k): bounded memory.
const MAX_ACKS: usize = 2_000_000;

/// A running heartbeat.
pub struct Heartbeat {
    acks: Arc<Mutex<Vec<Ack>>>,
    stop: CancellationToken,
    task: JoinHandle<Option<String>>,
    /// When its first write was sent, ms since the drill started.
    pub started_ms: u64,
}

impl Heartbeat {
    /// Connect and start writing. `origin` is the drill's start (the time
    /// base of acknowledgements); `limit` bounds its life.
    pub async fn start(
        url: &str,
        every: Duration,
        origin: Instant,
        limit: Duration,
    ) -> Result<Heartbeat, PgError> {
        let client = crate::pg::cluster::connect(url)
            .await
            .map_err(|e| PgError::Failed(format!("heartbeat: {e}")))?;
        client
            .batch_execute(TABLE_SQL)
            .await
            .map_err(|e| PgError::Failed(format!("heartbeat: create flightdeck_heartbeat: {e}")))?;
        let acks = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let started_ms = ms(origin.elapsed());
        let (a, s) = (acks.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let end = Instant::now() + limit;
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut seq: i64 = 0;
            while Instant::now() < end {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = s.cancelled() => return None,
                }
                seq += 1;
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&seq];
                let write = client.execute(
                    "INSERT INTO flightdeck_heartbeat (seq, at) VALUES ($1, now())",
                    &params,
                );
                let r = tokio::select! {
                    r = write => r,
                    _ = s.cancelled() => return None,
                };
                match r {
                    Ok(_) => {
                        let at_ms = ms(origin.elapsed());
                        if let Ok(mut l) = a.lock()
                            && l.len() < MAX_ACKS
                        {
                            l.push(Ack {
                                seq: seq as u64,
                                at_ms,
                            });
                        }
                    }
                    Err(e) => return Some(e.to_string()),
                }
            }
            None
        });
        Ok(Heartbeat {
            acks,
            stop,
            task,
            started_ms,
        })
    }

    /// The last acknowledged write so far.
    pub fn last(&self) -> Option<Ack> {
        self.acks.lock().ok().and_then(|l| l.last().copied())
    }

    /// Stop writing (a write in flight is abandoned: not acknowledged)
    /// and return every acknowledgement.
    pub async fn stop(self) -> Vec<Ack> {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        self.acks.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
