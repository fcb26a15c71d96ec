//! Executing one step: a probe observes a value and judges it against its
//! tolerance (polling until it holds when `poll` is set); an action changes
//! something. Every outcome carries what was seen against what was
//! expected, and the output, capped and redacted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::core::drill::StepOutcome;
use crate::flags::{FileProvider, FlagProvider};
use crate::secrets::Secret;

use super::process::{self, Ran, cap};
use super::spec::{
    Action, CommandSpec, HeaderValue, HttpCall, Probe, Select, Source, Step, StepBody,
};
use super::tolerance::{Tolerance, number, text};

/// How long past a step's timeout the backstop waits for the step's own
/// deadline (which kills a command's process group) to act.
const GRACE: Duration = Duration::from_millis(250);

/// What a step needs from the run around it.
pub struct StepCx {
    /// HTTP client for probes and actions.
    pub client: reqwest::Client,
    /// The canary's flag provider, when the run has one.
    pub flags: Option<Arc<dyn FlagProvider>>,
    /// Cancelled when the drill is aborted (operator, stop condition, timeout).
    pub cancel: CancellationToken,
    /// Every secret resolved so far: scrubbed from outputs.
    secrets: Mutex<Vec<Secret>>,
}

impl StepCx {
    /// A context with this provider and cancel token.
    pub fn new(flags: Option<Arc<dyn FlagProvider>>, cancel: CancellationToken) -> StepCx {
        StepCx {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            flags,
            cancel,
            secrets: Mutex::new(Vec::new()),
        }
    }

    /// Scrub every secret resolved so far out of `text`.
    pub fn redact(&self, text: &str) -> String {
        let list = self.secrets.lock().map(|l| l.clone()).unwrap_or_default();
        list.iter().fold(text.to_string(), |t, s| s.scrub(&t))
    }

    /// Redact this value too from now on (a kind's own resolved secret).
    pub fn redact_also(&self, s: &Secret) {
        if let Ok(mut l) = self.secrets.lock() {
            l.push(s.clone());
        }
    }

    async fn resolve(&self, v: &HeaderValue) -> Result<Secret, String> {
        match v {
            HeaderValue::Plain(s) => Ok(Secret::new(s.clone())),
            HeaderValue::Secret(r) => {
                let s = r.resolve().await.map_err(|e| format!("secret {r}: {e}"))?;
                if let Ok(mut l) = self.secrets.lock() {
                    l.push(s.clone());
                }
                Ok(s)
            }
        }
    }
}

/// How a step went.
#[derive(Clone, Debug)]
pub struct StepResult {
    /// Outcome.
    pub outcome: StepOutcome,
    /// Seen against expected.
    pub detail: String,
    /// Output, capped and redacted.
    pub output: String,
    /// The value a probe observed, when it observed one.
    pub observed: Option<Value>,
    /// How long it took.
    pub elapsed: Duration,
}

/// One observation or action attempt.
struct Attempt {
    outcome: StepOutcome,
    detail: String,
    output: String,
    observed: Option<Value>,
}

impl Attempt {
    fn error(detail: impl Into<String>) -> Attempt {
        Attempt {
            outcome: StepOutcome::Error,
            detail: detail.into(),
            output: String::new(),
            observed: None,
        }
    }
}

/// Run one step to its outcome within its timeout.
pub async fn execute(cx: &StepCx, step: &Step) -> StepResult {
    let start = Instant::now();
    let deadline = start + step.timeout;
    let attempt = match &step.body {
        StepBody::Probe(p) => probe_until(cx, p, deadline).await,
        StepBody::Action(a) => {
            let left = deadline.saturating_duration_since(Instant::now());
            // The inner deadline (a command's, which kills its process
            // group) fires first; this one is the backstop.
            match tokio::time::timeout(left + GRACE, act(cx, a, left)).await {
                Ok(a) => a,
                Err(_) => Attempt {
                    outcome: StepOutcome::TimedOut,
                    detail: format!(
                        "no answer within {}",
                        crate::core::format::duration_text(step.timeout)
                    ),
                    output: String::new(),
                    observed: None,
                },
            }
        }
    };
    StepResult {
        outcome: attempt.outcome,
        detail: cx.redact(&attempt.detail),
        output: cx.redact(&cap(&attempt.output)),
        observed: attempt.observed,
        elapsed: start.elapsed(),
    }
}

async fn probe_until(cx: &StepCx, p: &Probe, deadline: Instant) -> Attempt {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let a = match tokio::time::timeout(left + GRACE, probe_once(cx, p, left)).await {
            Ok(a) => a,
            Err(_) => Attempt {
                outcome: StepOutcome::TimedOut,
                detail: "no answer before the timeout".into(),
                output: String::new(),
                observed: None,
            },
        };
        let Some(every) = p.poll else { return a };
        if a.outcome == StepOutcome::Ok || cx.cancel.is_cancelled() {
            return a;
        }
        if Instant::now() + every >= deadline {
            return Attempt {
                outcome: if a.outcome == StepOutcome::Error {
                    StepOutcome::Error
                } else {
                    StepOutcome::TimedOut
                },
                detail: format!("still {} at the timeout", a.detail),
                ..a
            };
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = cx.cancel.cancelled() => return a,
        }
    }
}

fn judge(tol: &Tolerance, what: &str, observed: Value, output: String) -> Attempt {
    let ok = tol.accepts(&observed);
    Attempt {
        outcome: if ok {
            StepOutcome::Ok
        } else {
            StepOutcome::Failed
        },
        detail: if ok {
            format!("{what} {}", text(&observed))
        } else {
            format!("{what} {}, want {tol}", text(&observed))
        },
        output,
        observed: Some(observed),
    }
}

async fn probe_once(cx: &StepCx, p: &Probe, left: Duration) -> Attempt {
    match &p.source {
        Source::Http(call) => {
            let (status, headers, body) = match send(cx, call, left).await {
                Ok(r) => r,
                Err(e) => return Attempt::error(e),
            };
            if let Some(re) = &call.body_regex
                && !re.is_match(&body)
            {
                return Attempt {
                    outcome: StepOutcome::Failed,
                    detail: format!("body does not match /{}/", re.as_str()),
                    output: body,
                    observed: Some(Value::from(status)),
                };
            }
            let (what, observed) = match &call.select {
                Select::Status => ("status".to_string(), Value::from(status)),
                Select::Body => ("body".to_string(), Value::String(body.clone())),
                Select::Header(h) => (
                    format!("header {h}"),
                    headers
                        .get(h.as_str())
                        .and_then(|v| v.to_str().ok())
                        .map_or(Value::Null, |v| Value::String(v.to_string())),
                ),
                Select::JsonPath(path) => {
                    let doc: Value = match serde_json::from_str(&body) {
                        Ok(d) => d,
                        Err(e) => {
                            return Attempt {
                                outcome: StepOutcome::Failed,
                                detail: format!("status {status}, body is not JSON ({e})"),
                                output: body,
                                observed: None,
                            };
                        }
                    };
                    (
                        path.clone(),
                        json_path(&doc, path).cloned().unwrap_or(Value::Null),
                    )
                }
            };
            judge(&p.tolerance, &what, observed, body)
        }
        Source::Command(c) => match run_command(cx, c, left).await {
            Err(a) => a,
            Ok((code, stdout, stderr)) => {
                let output = if stderr.is_empty() {
                    stdout.clone()
                } else {
                    format!("{stdout}\n{stderr}")
                };
                if let Some(re) = &c.stdout_regex
                    && !re.is_match(&stdout)
                {
                    return Attempt {
                        outcome: StepOutcome::Failed,
                        detail: format!("exit {code}, stdout does not match /{}/", re.as_str()),
                        output,
                        observed: Some(Value::from(code)),
                    };
                }
                if c.judge_stdout {
                    judge(
                        &p.tolerance,
                        "stdout",
                        Value::String(stdout.trim().to_string()),
                        output,
                    )
                } else {
                    judge(&p.tolerance, "exit", Value::from(code), output)
                }
            }
        },
        Source::Promql { url, query } => {
            let q = format!("{}/api/v1/query", url.trim_end_matches('/'));
            let r = cx
                .client
                .get(&q)
                .query(&[("query", query)])
                .timeout(left)
                .send()
                .await;
            let body = match r {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(e) => return Attempt::error(format!("prometheus {url}: {e}")),
            };
            match promql_value(&body) {
                Some(v) => judge(&p.tolerance, "value", Value::from(v), String::new()),
                None => Attempt {
                    outcome: StepOutcome::Error,
                    detail: format!("query `{query}` returned no value"),
                    output: body,
                    observed: None,
                },
            }
        }
        Source::Flag { flag, flags_file } => {
            let provider = match provider(cx, flags_file) {
                Ok(p) => p,
                Err(e) => return Attempt::error(e),
            };
            match provider.read(flag).await {
                Ok(st) => {
                    let share = if st.enabled {
                        st.rollout_percent.unwrap_or(100.0)
                    } else {
                        0.0
                    };
                    judge(
                        &p.tolerance,
                        &format!("{flag} share"),
                        Value::from(share),
                        st.summary,
                    )
                }
                Err(e) => Attempt::error(format!("flag {flag}: {e}")),
            }
        }
    }
}

fn provider(cx: &StepCx, flags_file: &Option<String>) -> Result<Arc<dyn FlagProvider>, String> {
    match (flags_file, &cx.flags) {
        (Some(f), _) => Ok(Arc::new(FileProvider::new(f, None))),
        (None, Some(p)) => Ok(p.clone()),
        (None, None) => Err("no flag provider: set flags_file, or plan a canary".into()),
    }
}

async fn act(cx: &StepCx, a: &Action, left: Duration) -> Attempt {
    match a {
        Action::Wait(d) => {
            tokio::select! {
                _ = tokio::time::sleep(*d) => Attempt { outcome: StepOutcome::Ok, detail: String::new(), output: String::new(), observed: None },
                _ = cx.cancel.cancelled() => Attempt { outcome: StepOutcome::Skipped, detail: "cut short: the drill was stopped".into(), output: String::new(), observed: None },
            }
        }
        Action::Command(c, tol) => match run_command(cx, c, left).await {
            Err(a) => a,
            Ok((code, stdout, stderr)) => {
                let output = if stderr.is_empty() {
                    stdout
                } else {
                    format!("{stdout}\n{stderr}")
                };
                judge(tol, "exit", Value::from(code), output)
            }
        },
        Action::Http(call, tol) => match send(cx, call, left).await {
            Ok((status, _, body)) => judge(tol, "status", Value::from(status), body),
            Err(e) => Attempt::error(e),
        },
        Action::Flag {
            flag,
            percent,
            flags_file,
        } => {
            let provider = match provider(cx, flags_file) {
                Ok(p) => p,
                Err(e) => return Attempt::error(e),
            };
            let r = if *percent <= 0.0 {
                provider.rollback(flag).await
            } else {
                provider.set_rollout(flag, *percent).await
            };
            match r {
                Ok(st) => Attempt {
                    outcome: StepOutcome::Ok,
                    detail: format!("{flag} set to {percent}%: {}", st.summary),
                    output: String::new(),
                    observed: st.rollout_percent.map(Value::from),
                },
                Err(e) => Attempt {
                    outcome: StepOutcome::Failed,
                    detail: format!("{flag} to {percent}%: {e}"),
                    output: String::new(),
                    observed: None,
                },
            }
        }
    }
}

async fn run_command(
    cx: &StepCx,
    c: &CommandSpec,
    left: Duration,
) -> Result<(i32, String, String), Attempt> {
    let mut env = Vec::new();
    for (k, v) in &c.env {
        match cx.resolve(v).await {
            Ok(s) => env.push((k.clone(), s)),
            Err(e) => return Err(Attempt::error(e)),
        }
    }
    match process::run(&c.argv, c.shell, &env, left, &cx.cancel)
        .await
        .0
    {
        Ran::Exited {
            code,
            stdout,
            stderr,
        } => Ok((code, stdout, stderr)),
        Ran::TimedOut { output } => Err(Attempt {
            outcome: StepOutcome::TimedOut,
            detail: "killed at its timeout with its process group".into(),
            output,
            observed: None,
        }),
        Ran::Cancelled => Err(Attempt {
            outcome: StepOutcome::Skipped,
            detail: "killed: the drill was stopped".into(),
            output: String::new(),
            observed: None,
        }),
        Ran::NotStarted(e) => Err(Attempt::error(e)),
    }
}

async fn send(
    cx: &StepCx,
    call: &HttpCall,
    left: Duration,
) -> Result<(u16, reqwest::header::HeaderMap, String), String> {
    let method = reqwest::Method::from_bytes(call.method.as_bytes())
        .map_err(|_| format!("bad method {}", call.method))?;
    let mut req = cx.client.request(method, &call.url).timeout(left);
    for (k, v) in &call.headers {
        let s = cx.resolve(v).await?;
        req = req.header(k, s.expose());
    }
    if let Some(b) = &call.body {
        req = req.body(b.clone());
    }
    let r = req.send().await.map_err(|e| {
        let why = if e.is_connect() {
            "connection refused or unreachable"
        } else if e.is_timeout() {
            "timed out"
        } else {
            "request failed"
        };
        format!("{} {}: {why}", call.method, call.url)
    })?;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.text().await.unwrap_or_default();
    Ok((status, headers, body))
}

/// A dotted path (`data.items.0.version`) into a JSON document.
pub fn json_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(doc, |v, part| match v {
            Value::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
            Value::Object(m) => m.get(part),
            _ => None,
        })
}

/// The first value of a Prometheus instant-query answer (vector or scalar).
pub fn promql_value(body: &str) -> Option<f64> {
    let v: Value = serde_json::from_str(body).ok()?;
    let data = v.get("data")?;
    let value = match data.get("resultType")?.as_str()? {
        "scalar" => data.get("result")?,
        "vector" => data.get("result")?.get(0)?.get("value")?,
        _ => return None,
    };
    number(value.get(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_paths_walk_objects_and_arrays() {
        let d = json!({"data": {"items": [{"version": "2.0.1"}]}});
        assert_eq!(json_path(&d, "data.items.0.version"), Some(&json!("2.0.1")));
        assert_eq!(json_path(&d, "data.missing"), None);
    }

    #[test]
    fn promql_answers_give_their_first_value() {
        let v = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.0,"0.25"]}]}}"#;
        assert_eq!(promql_value(v), Some(0.25));
        let s = r#"{"status":"success","data":{"resultType":"scalar","result":[1.0,"3"]}}"#;
        assert_eq!(promql_value(s), Some(3.0));
        let e = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(promql_value(e), None);
    }
}
