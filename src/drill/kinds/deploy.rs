//! Deployment and rollback: deploy version N+1 through the deploy
//! endpoint, wait until every probe sees it, roll back to N, wait until
//! every probe sees N, with a constant background load all through.
//! Measured: `deploy_time_s`, `rollback_time_s`, `failed_requests_deploy`,
//! `failed_requests_rollback`, `failed_requests` (both), and
//! `mixed_window_s` (how long both versions answered during the deploy).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::core::drill::{Phase, StepOutcome, StepPlan};

use super::background::Background;
use super::sample::{Converged, Mark, until_all};
use super::{pause, post, stop_on};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};

/// `[drill.params]` of a `deployment_rollback` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// POSTed `{"version": V}` to deploy V.
    pub deploy_url: String,
    /// Each must show the version (in `version_field`) on every sample.
    pub probe_urls: Vec<String>,
    /// JSON field naming the version in a probe's answer.
    #[serde(default = "version_field")]
    pub version_field: String,
    /// N: what runs now, and what the rollback restores.
    pub from_version: String,
    /// N+1: what is deployed.
    pub to_version: String,
    /// Answers per probe URL per poll that must all agree.
    #[serde(default = "samples")]
    pub samples: usize,
    /// Background load target (default: the first probe URL).
    #[serde(default)]
    pub load_url: Option<String>,
    /// Background load, requests per second.
    #[serde(default = "rate")]
    pub load_rate: f64,
    /// Longest wait for every probe to see a version.
    #[serde(default = "converge")]
    pub converge_timeout: String,
}

fn version_field() -> String {
    "version".into()
}
fn samples() -> usize {
    6
}
fn rate() -> f64 {
    20.0
}
fn converge() -> String {
    "30s".into()
}

/// Poll interval while waiting for a version.
const POLL: Duration = Duration::from_millis(50);
/// Steady load before the deploy.
const STEADY: Duration = Duration::from_secs(1);

impl Params {
    /// Check what serde cannot.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        if self.probe_urls.is_empty() {
            return Err(super::bad(
                drill,
                "probe_urls",
                "is empty",
                "list the URLs that answer with the version",
            ));
        }
        if self.from_version == self.to_version {
            return Err(super::bad(
                drill,
                "to_version",
                "equals from_version",
                "deploy a different version",
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
        super::duration(drill, "converge_timeout", &self.converge_timeout).map(|_| ())
    }

    fn converge(&self) -> Duration {
        crate::config::parse_duration(&self.converge_timeout).unwrap_or(Duration::from_secs(30))
    }
}

/// The kind's steps, for the plan.
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    let Ok(p) = super::params::<Params>(drill) else {
        return Vec::new();
    };
    let c = p.converge().as_millis() as u64;
    vec![
        step(format!("deploy {}", p.to_version), 10_000),
        step(format!("wait until every probe sees {}", p.to_version), c),
        step(format!("roll back to {}", p.from_version), 10_000),
        step(format!("wait until every probe sees {}", p.from_version), c),
    ]
}

fn step(name: String, timeout_ms: u64) -> StepPlan {
    StepPlan {
        name,
        phase: Phase::Method,
        timeout_ms,
    }
}

/// Deploy to `version` and wait until every probe sees it; returns when
/// the deploy was asked and what the wait saw.
async fn roll(
    run: &Runner<'_>,
    p: &Params,
    version: &str,
    deploy_name: &str,
) -> Result<(Instant, Converged), MethodStop> {
    let t0 = Instant::now();
    let r = run
        .custom(
            deploy_name,
            Phase::Method,
            Duration::from_secs(10),
            post(
                &run.cx.client,
                &p.deploy_url,
                serde_json::json!({ "version": version }),
            ),
        )
        .await;
    stop_on(run, deploy_name, r.outcome, &r.detail)?;
    let seen = Mutex::new(Converged::default());
    let name = format!("wait until every probe sees {version}");
    let mark = Mark::Field(p.version_field.clone());
    let wait = async {
        let c = until_all(
            &run.cx.client,
            &p.probe_urls,
            &mark,
            version,
            p.samples,
            POLL,
            Instant::now() + p.converge(),
        )
        .await;
        let out = (
            if c.at.is_some() {
                StepOutcome::Ok
            } else {
                StepOutcome::TimedOut
            },
            match c.at {
                Some(at) => format!(
                    "every probe sees {version} after {:.3} s",
                    at.duration_since(t0).as_secs_f64()
                ),
                None => format!("not every probe sees {version}"),
            },
            c.seen.join(" "),
        );
        if let Ok(mut s) = seen.lock() {
            *s = c;
        }
        out
    };
    let r = run
        .custom(
            &name,
            Phase::Method,
            p.converge() + Duration::from_secs(1),
            wait,
        )
        .await;
    stop_on(run, &name, r.outcome, &r.detail)?;
    let c = seen.lock().map(|s| s.clone()).unwrap_or_default();
    Ok((t0, c))
}

/// The sequence, with the background load through it.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let p: Params = super::params(run.drill()).map_err(|e| MethodStop::Failed(e.to_string()))?;
    let url = p
        .load_url
        .clone()
        .unwrap_or_else(|| p.probe_urls[0].clone());
    let bg = Background::start(&url, p.load_rate, run.drill().timeout, "x-version")
        .map_err(MethodStop::Failed)?;
    let r = sequence(run, &p, &bg).await;
    bg.stop().await;
    r
}

async fn sequence(run: &Runner<'_>, p: &Params, bg: &Background) -> Result<(), MethodStop> {
    pause(run, STEADY).await?;
    let (t0, up) = roll(run, p, &p.to_version, &format!("deploy {}", p.to_version)).await?;
    let t1 = up.at.unwrap_or_else(Instant::now);
    run.measure("deploy_time_s", t1.duration_since(t0).as_secs_f64());
    let mixed = match (up.first_seen, up.last_other) {
        (Some(a), Some(b)) if b > a => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    run.measure("mixed_window_s", mixed);
    let (t2, down) = roll(
        run,
        p,
        &p.from_version,
        &format!("roll back to {}", p.from_version),
    )
    .await?;
    let t3 = down.at.unwrap_or_else(Instant::now);
    run.measure("rollback_time_s", t3.duration_since(t2).as_secs_f64());
    bg.settle(t3).await;
    let (fd, fr) = (bg.failed(t0, t1), bg.failed(t2, t3));
    run.measure("failed_requests_deploy", fd as f64);
    run.measure("failed_requests_rollback", fr as f64);
    run.measure("failed_requests", (fd + fr) as f64);
    run.measure("background_requests", bg.requests(t0, t3) as f64);
    Ok(())
}

/// Restore N: deploy it and wait until every probe sees it.
pub async fn rollback(run: &Runner<'_>) -> bool {
    let Ok(p) = super::params::<Params>(run.drill()) else {
        return false;
    };
    let name = format!("restore {}", p.from_version);
    let r = run
        .custom(
            &name,
            Phase::Rollback,
            Duration::from_secs(10),
            post(
                &run.cx.client,
                &p.deploy_url,
                serde_json::json!({ "version": p.from_version }),
            ),
        )
        .await;
    if r.outcome != StepOutcome::Ok {
        return false;
    }
    let mark = Mark::Field(p.version_field.clone());
    let wait = async {
        let c = until_all(
            &run.cx.client,
            &p.probe_urls,
            &mark,
            &p.from_version,
            p.samples,
            POLL,
            Instant::now() + p.converge(),
        )
        .await;
        match c.at {
            Some(_) => (
                StepOutcome::Ok,
                format!("every probe sees {}", p.from_version),
                String::new(),
            ),
            None => (
                StepOutcome::TimedOut,
                format!("not every probe sees {}", p.from_version),
                c.seen.join(" "),
            ),
        }
    };
    let r = run
        .custom(
            &format!("wait until every probe sees {}", p.from_version),
            Phase::Rollback,
            p.converge() + Duration::from_secs(1),
            wait,
        )
        .await;
    r.outcome == StepOutcome::Ok
}
