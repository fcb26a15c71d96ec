//! Delivering one message to one sink, with retries: backoff with jitter,
//! `Retry-After` on 429, the same `webhook-id` on every attempt, and a stop
//! for good on 410 Gone. Every attempt's outcome is journalled
//! (`notify_sent`, `notify_failed`); errors name the sink, never its URL or
//! secret.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use crate::core::event::Event;
use crate::core::notify::SinkKind;
use crate::notify::config::SinkConfig;
use crate::notify::payload::{self, Message};
use crate::notify::sign;
use crate::record::recorder::Recorder;
use crate::secrets::{Provided, Secret};

/// The longest backoff between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// A sink ready to deliver: its config and its resolved URL and key.
pub struct Sink {
    /// The config entry.
    pub cfg: SinkConfig,
    url: Option<Secret>,
    key: Option<Vec<u8>>,
    /// It answered 410 Gone: nothing more goes to it in this process.
    gone: AtomicBool,
}

impl Sink {
    /// Resolve the sink's references. The error names the sink and the
    /// reference, never a value.
    pub async fn resolve(cfg: &SinkConfig, provided: &Provided) -> Result<Sink, String> {
        let url = match &cfg.url {
            Some(r) => Some(
                provided
                    .resolve(r)
                    .await
                    .map_err(|e| format!("notify sink {}: url: {e}", cfg.name))?,
            ),
            None => None,
        };
        let key = match &cfg.secret {
            Some(r) => {
                let s = provided
                    .resolve(r)
                    .await
                    .map_err(|e| format!("notify sink {}: secret: {e}", cfg.name))?;
                Some(sign::signing_key(&s).map_err(|e| format!("notify sink {}: {e}", cfg.name))?)
            }
            None => None,
        };
        Ok(Sink {
            cfg: cfg.clone(),
            url,
            key,
            gone: AtomicBool::new(false),
        })
    }

    /// The body this sink gets for a message (the same on every attempt).
    pub fn body(&self, m: &Message<'_>) -> Vec<u8> {
        let v = match self.cfg.kind {
            SinkKind::Slack => payload::slack(m),
            SinkKind::Teams => payload::teams(m),
            SinkKind::Webhook | SinkKind::Command => payload::generic(m),
        };
        serde_json::to_vec(&v).unwrap_or_default()
    }
}

/// How one attempt went.
#[derive(Debug, PartialEq)]
enum Attempt {
    Sent(Option<u16>),
    /// Worth another try; `after` is the sink's own `Retry-After`.
    Retry {
        status: Option<u16>,
        error: String,
        after: Option<Duration>,
    },
    /// No use trying again; `gone` on 410.
    Fatal {
        status: Option<u16>,
        error: String,
        gone: bool,
    },
}

/// `Retry-After` as seconds or an HTTP date, capped.
fn retry_after(v: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let d = match v.trim().parse::<u64>() {
        Ok(s) => Duration::from_secs(s),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(v.trim()).ok()?;
            (at.with_timezone(&chrono::Utc) - now)
                .to_std()
                .unwrap_or_default()
        }
    };
    Some(d.min(MAX_RETRY_AFTER))
}

/// The delay before attempt `n + 1`: `base x 2^(n-1)`, at most 30 s, times
/// a jitter factor in [0.5, 1.5) so that many runs do not retry in step.
pub fn backoff(base: Duration, n: u32, jitter: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << n.saturating_sub(1).min(16));
    exp.min(MAX_BACKOFF).mul_f64(0.5 + jitter.clamp(0.0, 1.0))
}

fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0
}

fn classify_status(status: u16, retry: Option<Duration>) -> Attempt {
    let s = Some(status);
    match status {
        200..=299 => Attempt::Sent(s),
        410 => Attempt::Fatal {
            status: s,
            error: "HTTP 410 Gone: the endpoint was removed; nothing more is sent to this sink (fix or remove it in [[notify]])".into(),
            gone: true,
        },
        429 => Attempt::Retry {
            status: s,
            error: "HTTP 429 Too Many Requests".into(),
            after: retry,
        },
        408 | 425 | 500..=599 => Attempt::Retry {
            status: s,
            error: format!("HTTP {status}"),
            after: retry,
        },
        _ => Attempt::Fatal {
            status: s,
            error: format!("HTTP {status}: the sink refused the message (check its URL and credentials)"),
            gone: false,
        },
    }
}

async fn http_attempt(sink: &Sink, client: &reqwest::Client, id: &str, body: &[u8]) -> Attempt {
    let Some(url) = &sink.url else {
        return Attempt::Fatal {
            status: None,
            error: "no URL".into(),
            gone: false,
        };
    };
    let mut req = client
        .post(url.expose())
        .timeout(sink.cfg.timeout.get())
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(key) = &sink.key {
        let ts = chrono::Utc::now().timestamp();
        req = req
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sign::signature(key, id, ts, body));
    }
    match req.send().await {
        Ok(resp) => {
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, chrono::Utc::now()));
            classify_status(resp.status().as_u16(), after)
        }
        Err(e) => {
            let error = if e.is_timeout() {
                format!("no answer within {}", sink.cfg.timeout)
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else {
                // reqwest puts the URL in its messages; the URL is a secret.
                e.without_url().to_string()
            };
            Attempt::Retry {
                status: None,
                error,
                after: None,
            }
        }
    }
}

async fn command_attempt(sink: &Sink, body: &[u8]) -> Attempt {
    let argv = &sink.cfg.argv;
    let Some((prog, args)) = argv.split_first() else {
        return Attempt::Fatal {
            status: None,
            error: "no argv".into(),
            gone: false,
        };
    };
    let spawned = tokio::process::Command::new(prog)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return Attempt::Fatal {
                status: None,
                error: format!("cannot start `{prog}`: {e}"),
                gone: false,
            };
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(body).await;
    }
    match tokio::time::timeout(sink.cfg.timeout.get(), child.wait()).await {
        Ok(Ok(st)) if st.success() => Attempt::Sent(None),
        Ok(Ok(st)) => Attempt::Retry {
            status: None,
            error: format!("`{prog}` exited with {st}"),
            after: None,
        },
        Ok(Err(e)) => Attempt::Retry {
            status: None,
            error: format!("`{prog}`: {e}"),
            after: None,
        },
        Err(_) => {
            // Stopped by its PID (kill_on_drop also covers a dropped future).
            let _ = child.kill().await;
            Attempt::Retry {
                status: None,
                error: format!("`{prog}` did not finish within {}", sink.cfg.timeout),
                after: None,
            }
        }
    }
}

/// When delivery must stop: `None` while the run is live; the end of the
/// flush once it has ended.
pub type Deadline = watch::Receiver<Option<tokio::time::Instant>>;

/// Deliver one message, retrying as the sink allows, journalling every
/// attempt. Returns whether it was sent.
pub async fn deliver(
    rec: &Recorder,
    client: &reqwest::Client,
    sink: &Sink,
    m: &Message<'_>,
    mut deadline: Deadline,
) -> bool {
    let body = sink.body(m);
    let name = &sink.cfg.name;
    let failed = |attempt, status, error: String, retry: Option<Duration>| {
        rec.emit(Event::NotifyFailed {
            id: m.id.to_string(),
            sink: name.clone(),
            attempt,
            status,
            error,
            retry_in_ms: retry.map(|d| d.as_millis() as u64),
        });
    };
    for attempt in 1..=sink.cfg.max_attempts.max(1) {
        if sink.gone.load(Ordering::Relaxed) {
            failed(
                attempt,
                Some(410),
                "the sink answered 410 Gone earlier in this run; nothing more is sent to it".into(),
                None,
            );
            return false;
        }
        let start = Instant::now();
        let outcome = match sink.cfg.kind {
            SinkKind::Command => command_attempt(sink, &body).await,
            _ => http_attempt(sink, client, m.id, &body).await,
        };
        match outcome {
            Attempt::Sent(status) => {
                rec.emit(Event::NotifySent {
                    id: m.id.to_string(),
                    sink: name.clone(),
                    attempt,
                    status,
                    elapsed_ms: (start.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
                });
                return true;
            }
            Attempt::Fatal {
                status,
                error,
                gone,
            } => {
                if gone {
                    sink.gone.store(true, Ordering::Relaxed);
                }
                failed(attempt, status, error, None);
                return false;
            }
            Attempt::Retry {
                status,
                error,
                after,
            } => {
                if attempt >= sink.cfg.max_attempts {
                    failed(attempt, status, format!("{error}; no attempt left"), None);
                    return false;
                }
                let delay =
                    after.unwrap_or_else(|| backoff(sink.cfg.retry_base.get(), attempt, jitter()));
                let until = tokio::time::Instant::now() + delay;
                if deadline.borrow().is_some_and(|d| until > d) {
                    failed(
                        attempt,
                        status,
                        format!(
                            "{error}; the run has ended and the next attempt would come after the flush"
                        ),
                        None,
                    );
                    return false;
                }
                failed(attempt, status, error, Some(delay));
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep_until(until) => break,
                        changed = deadline.changed() => {
                            let cut = changed.is_err() || deadline.borrow().is_some_and(|d| until > d);
                            if cut {
                                failed(attempt, None, "the run ended before the next attempt (flush deadline)".into(), None);
                                return false;
                            }
                        }
                    }
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff(base, 1, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(base, 3, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(base, 3, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(base, 30, 0.5), MAX_BACKOFF);
    }

    #[test]
    fn statuses_decide_retry_stop_or_gone() {
        assert_eq!(classify_status(204, None), Attempt::Sent(Some(204)));
        assert!(matches!(
            classify_status(429, Some(Duration::from_secs(2))),
            Attempt::Retry { after: Some(d), .. } if d == Duration::from_secs(2)
        ));
        assert!(matches!(classify_status(503, None), Attempt::Retry { .. }));
        assert!(matches!(
            classify_status(410, None),
            Attempt::Fatal { gone: true, .. }
        ));
        assert!(matches!(
            classify_status(404, None),
            Attempt::Fatal { gone: false, .. }
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2026 07:28:00 GMT")
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2026 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(retry_after("99999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("soon", now), None);
    }
}
