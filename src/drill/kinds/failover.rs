//! Service failover: two instances behind a front door, a constant
//! background load through it, and the **primary killed** with its whole
//! process group (SIGKILL, from a pid file, or a `kill` argv). Measured:
//! `failover_time_s` (from the kill until the first success of a run of
//! `consecutive` successful requests), `failed_requests` (the background
//! load's failures over the failover), `rto_s` (until the survivor also
//! served the expected version and the primary's data), and whether the
//! survivor serves the right version and data (a wrong one fails the
//! drill). The rollback restarts the primary (`restart` argv or
//! `restart_url`). The probing arithmetic lives in [`super::failover_probe`].

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::core::disaster::{DrillRecovery, Mark, TableIntegrity};
use crate::core::drill::{Phase, StepOutcome, StepPlan};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};

use super::background::Background;
use super::failover_probe::{Answer, Recovery, fetch, kill, survivor_version};
use super::{pause, post, stop_on};
use crate::drill::timeline::Timeline;

/// How the primary is killed: exactly one of the two.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kill {
    /// SIGKILL to the process group of the pid in this file (relative to
    /// the drill file's folder).
    #[serde(default)]
    pub pid_file: Option<String>,
    /// Run this argv instead (it must kill the whole group itself).
    #[serde(default)]
    pub argv: Option<Vec<String>>,
}

/// A command to restart the primary.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    /// The command; it must return once the primary is started.
    pub argv: Vec<String>,
}

/// `[drill.params]` of a `failover` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The front door: probed until requests succeed again.
    pub front_url: String,
    /// How the primary dies.
    pub kill: Kill,
    /// Restart the primary in the rollback with this argv...
    #[serde(default)]
    pub restart: Option<Restart>,
    /// ...or by POSTing to this URL.
    #[serde(default)]
    pub restart_url: Option<String>,
    /// The version the survivor must serve.
    #[serde(default)]
    pub expect_version: Option<String>,
    /// Where the version is read (default: `front_url`).
    #[serde(default)]
    pub version_url: Option<String>,
    /// The version is this response header...
    #[serde(default)]
    pub version_header: Option<String>,
    /// ...or this top-level JSON field (default `version`).
    #[serde(default)]
    pub version_field: Option<String>,
    /// Read before the kill and after the failover: the bodies must match
    /// (default: `front_url`).
    #[serde(default)]
    pub data_url: Option<String>,
    /// A response header naming the instance that answered: the door's
    /// switch is seen when it changes.
    #[serde(default)]
    pub instance_header: Option<String>,
    /// Successes in a row that say the service is back.
    #[serde(default = "consecutive")]
    pub consecutive: usize,
    /// Time between two probes.
    #[serde(default = "probe_interval")]
    pub probe_interval: String,
    /// Longest wait for the service to come back.
    #[serde(default = "recover_timeout")]
    pub recover_timeout: String,
    /// Background load target (default: `front_url`).
    #[serde(default)]
    pub load_url: Option<String>,
    /// Background load, requests per second.
    #[serde(default = "rate")]
    pub load_rate: f64,
}

fn consecutive() -> usize {
    5
}
fn probe_interval() -> String {
    "50ms".into()
}
fn recover_timeout() -> String {
    "30s".into()
}
fn rate() -> f64 {
    20.0
}

/// Steady load before the kill.
const STEADY: Duration = Duration::from_secs(1);
/// One probe's own timeout.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

impl Params {
    /// Check what serde cannot.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        if !(1..=1000).contains(&self.consecutive) {
            return Err(super::bad(
                drill,
                "consecutive",
                "is outside 1..=1000",
                "successes in a row that say the service is back, e.g. 5",
            ));
        }
        if !(0.0..=super::background::MAX_RATE).contains(&self.load_rate) {
            return Err(super::bad(
                drill,
                "load_rate",
                "is outside 0..=200",
                "a low constant load, e.g. 20",
            ));
        }
        match (&self.kill.pid_file, &self.kill.argv) {
            (Some(_), None) => {}
            (None, Some(a)) if !a.is_empty() => {}
            (None, Some(_)) => {
                return Err(super::bad(
                    drill,
                    "kill.argv",
                    "is empty",
                    "write the command that kills the primary's process group",
                ));
            }
            _ => {
                return Err(super::bad(
                    drill,
                    "kill",
                    "needs exactly one of pid_file and argv",
                    "write kill = { pid_file = \"primary.pid\" } or kill = { argv = [...] }",
                ));
            }
        }
        if self.version_header.is_some() && self.version_field.is_some() {
            return Err(super::bad(
                drill,
                "version_header",
                "and version_field are both set",
                "read the version from one of them",
            ));
        }
        super::duration(drill, "probe_interval", &self.probe_interval)?;
        super::duration(drill, "recover_timeout", &self.recover_timeout).map(|_| ())
    }

    fn interval(&self) -> Duration {
        crate::config::parse_duration(&self.probe_interval).unwrap_or(Duration::from_millis(50))
    }

    fn recover(&self) -> Duration {
        crate::config::parse_duration(&self.recover_timeout).unwrap_or(Duration::from_secs(30))
    }

    fn data_url(&self) -> &str {
        self.data_url.as_deref().unwrap_or(&self.front_url)
    }
}

/// The kind's steps, for the plan.
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    let Ok(p) = super::params::<Params>(drill) else {
        return Vec::new();
    };
    let s = |name: &str, timeout_ms: u64| StepPlan {
        name: name.to_string(),
        phase: Phase::Method,
        timeout_ms,
    };
    let mut v = vec![
        s("read the primary's data", 10_000),
        s("kill the primary's process group", 10_000),
        s(
            "wait until requests succeed again",
            p.recover().as_millis() as u64 + 1_000,
        ),
    ];
    if let Some(want) = &p.expect_version {
        v.push(s(&format!("survivor serves {want}"), 10_000));
    }
    v.push(s("survivor serves the primary's data", 10_000));
    v
}

/// The sequence, with the background load through it.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let p: Params = super::params(run.drill()).map_err(|e| MethodStop::Failed(e.to_string()))?;
    let url = p.load_url.clone().unwrap_or_else(|| p.front_url.clone());
    let header = p
        .instance_header
        .clone()
        .unwrap_or_else(|| "x-variant".into());
    let bg = Background::start(&url, p.load_rate, run.drill().timeout, &header)
        .map_err(MethodStop::Failed)?;
    let r = sequence(run, &p, &bg).await;
    bg.stop().await;
    r
}

fn answered(a: &Answer, want: &str) -> (StepOutcome, String, String) {
    match &a.status {
        Some(s) if (200..300).contains(s) => (StepOutcome::Ok, want.to_string(), String::new()),
        Some(s) => (
            StepOutcome::Failed,
            format!("answered {s}"),
            String::from_utf8_lossy(&a.body).into_owned(),
        ),
        None => (StepOutcome::Error, "no answer".into(), String::new()),
    }
}

async fn sequence(run: &Runner<'_>, p: &Params, bg: &Background) -> Result<(), MethodStop> {
    let client = &run.cx.client;
    let tl = Timeline::new(run);
    pause(run, STEADY).await?;
    // What the primary serves, to hold the survivor to.
    let before = fetch(
        client,
        p.data_url(),
        p.instance_header.as_deref(),
        PROBE_TIMEOUT,
    )
    .await;
    let name = "read the primary's data";
    let r = run
        .custom(name, Phase::Method, Duration::from_secs(10), async {
            answered(
                &before,
                &format!(
                    "{} bytes from {}{}",
                    before.body.len(),
                    p.data_url(),
                    before
                        .instance
                        .as_deref()
                        .map(|i| format!(" (instance {i})"))
                        .unwrap_or_default()
                ),
            )
        })
        .await;
    stop_on(run, name, r.outcome, &r.detail)?;
    // The disaster.
    let name = "kill the primary's process group";
    let t0 = Instant::now();
    let r = run
        .custom(
            name,
            Phase::Method,
            Duration::from_secs(10),
            kill(run, &p.kill),
        )
        .await;
    tl.mark_at(Mark::Disaster, t0, &r.detail);
    stop_on(run, name, r.outcome, &r.detail)?;
    // Until requests succeed again.
    let name = "wait until requests succeed again";
    let mut rec = Recovery::new(p.consecutive, before.instance.clone());
    let out = run
        .custom(
            name,
            Phase::Method,
            p.recover() + Duration::from_secs(1),
            async {
                let deadline = t0 + p.recover();
                while Instant::now() < deadline {
                    let at = Instant::now();
                    let a = fetch(
                        client,
                        &p.front_url,
                        p.instance_header.as_deref(),
                        PROBE_TIMEOUT,
                    )
                    .await;
                    if rec.observe(at, &a) {
                        break;
                    }
                    tokio::time::sleep(p.interval()).await;
                }
                match rec.back_at() {
                    Some(back) => (
                        StepOutcome::Ok,
                        format!(
                            "{} in a row succeed from {:.3} s after the kill ({} probes failed)",
                            p.consecutive,
                            back.duration_since(t0).as_secs_f64(),
                            rec.failed
                        ),
                        String::new(),
                    ),
                    None => (
                        StepOutcome::TimedOut,
                        format!(
                            "requests did not succeed {} times in a row within {}",
                            p.consecutive, p.recover_timeout
                        ),
                        String::new(),
                    ),
                }
            },
        )
        .await;
    let back = rec.back_at();
    if let Some(start) = rec.restore_started().or(back) {
        tl.mark_at(Mark::RestoreStarted, start, &rec.restore_detail());
    }
    stop_on(run, name, out.outcome, &out.detail)?;
    let Some(back) = back else {
        return Err(MethodStop::Failed(format!("{name}: {}", out.detail)));
    };
    run.measure(
        "failover_time_s",
        back.saturating_duration_since(t0).as_secs_f64(),
    );
    tl.mark_at(
        Mark::ServiceHealthy,
        back,
        &format!("{} requests in a row succeeded", p.consecutive),
    );
    // Verified first (RTO stops at the verified read), then the load's
    // count over the failover, whatever the verification found.
    let verified = verify(run, p, &before).await;
    if verified.is_ok() {
        tl.mark(Mark::DataVerified, "the survivor's version and data match");
        tl.measure_rto();
    }
    bg.settle(back).await;
    run.measure("failed_requests", bg.failed(t0, back) as f64);
    run.measure("failed_probes", rec.failed as f64);
    verified
}

/// The survivor's version and data.
async fn verify(run: &Runner<'_>, p: &Params, before: &Answer) -> Result<(), MethodStop> {
    let client = &run.cx.client;
    // The survivor's version.
    if let Some(want) = &p.expect_version {
        let name = format!("survivor serves {want}");
        let url = p.version_url.as_deref().unwrap_or(&p.front_url);
        let r = run
            .custom(&name, Phase::Method, Duration::from_secs(10), async {
                survivor_version(
                    client,
                    url,
                    p.version_header.as_deref(),
                    p.version_field.as_deref(),
                    want,
                )
                .await
            })
            .await;
        stop_on(run, &name, r.outcome, &r.detail)?;
    }
    // The survivor's data.
    let name = "survivor serves the primary's data";
    let after = fetch(client, p.data_url(), None, PROBE_TIMEOUT).await;
    let sha = |b: &[u8]| super::file_state::sha256_hex(b);
    let ok = after.status.is_some_and(|s| (200..300).contains(&s)) && after.body == before.body;
    run.recovery(DrillRecovery {
        stage: String::new(),
        drill: String::new(),
        method: "failover: SIGKILL of the primary's process group".into(),
        rpo_expectation: "the survivor serves the same data: nothing is lost".into(),
        last_acked: None,
        restored: None,
        integrity: vec![TableIntegrity {
            table: p.data_url().to_string(),
            expected_rows: before.body.len() as i64,
            restored_rows: after.status.map_or(-1, |_| after.body.len() as i64),
            expected_sum: sha(&before.body),
            restored_sum: sha(&after.body),
            ok,
            note: if ok {
                "body identical to the primary's".into()
            } else {
                "the survivor's body differs from the primary's".into()
            },
        }],
    });
    run.measure("integrity_failures", if ok { 0.0 } else { 1.0 });
    let r = run
        .custom(name, Phase::Method, Duration::from_secs(10), async {
            if ok {
                (
                    StepOutcome::Ok,
                    format!("{} bytes, identical to the primary's", after.body.len()),
                    String::new(),
                )
            } else {
                (
                    StepOutcome::Failed,
                    format!(
                        "status {}, {} bytes; the primary served {} bytes",
                        after.status.map_or("none".into(), |s| s.to_string()),
                        after.body.len(),
                        before.body.len()
                    ),
                    String::from_utf8_lossy(&after.body).into_owned(),
                )
            }
        })
        .await;
    stop_on(run, name, r.outcome, &r.detail)?;
    Ok(())
}

/// Restart the primary, when the drill says how.
pub async fn rollback(run: &Runner<'_>) -> bool {
    let Ok(p) = super::params::<Params>(run.drill()) else {
        return false;
    };
    let name = "restart the primary";
    let r = if let Some(r) = &p.restart {
        run.custom(name, Phase::Rollback, Duration::from_secs(60), async {
            super::argv::command(run, &r.argv, Duration::from_secs(60)).await
        })
        .await
    } else if let Some(url) = &p.restart_url {
        run.custom(
            name,
            Phase::Rollback,
            Duration::from_secs(30),
            post(&run.cx.client, url, serde_json::json!({})),
        )
        .await
    } else {
        return true;
    };
    r.outcome == StepOutcome::Ok
}
