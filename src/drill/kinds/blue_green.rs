//! Blue-green switch, in Argo Rollouts' vocabulary: the **active** colour
//! serves, the **preview** waits. Pre-promotion probes check the preview;
//! the switch promotes it; post-promotion probes check the new active, and
//! when they fail the switch goes back at once. Then it holds, and switches
//! back. A constant background load runs all through.
//! Measured: `failed_requests` (during both switches; the goal is 0),
//! `switch_time_s` (until every answer comes from the preview colour),
//! `switch_back_time_s`, `p99_steady_ms`, `p99_switch_ms` and
//! `p99_blip_ms` (the switch's worst per-second p99 over the steady one).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::core::drill::{Phase, StepOutcome, StepPlan};

use super::background::Background;
use super::sample::{Converged, Mark, ask, until_all};
use super::{pause, post, stop_on};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};

/// `[drill.params]` of a `blue_green` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// POSTed `{"active": COLOUR}` to switch.
    pub switch_url: String,
    /// The front door: answers from the active colour.
    pub active_url: String,
    /// The preview colour's own address (pre-promotion probes).
    #[serde(default)]
    pub preview_url: Option<String>,
    /// Response header naming the colour that answered.
    #[serde(default = "color_header")]
    pub color_header: String,
    /// The active colour now.
    #[serde(default = "blue")]
    pub active: String,
    /// The preview colour, promoted by the switch.
    #[serde(default = "green")]
    pub preview: String,
    /// How long the promoted colour serves before switching back.
    #[serde(default = "hold")]
    pub hold: String,
    /// Answers per poll that must all agree.
    #[serde(default = "samples")]
    pub samples: usize,
    /// Post-promotion probes: requests to the front door that must all succeed.
    #[serde(default = "samples")]
    pub post_promotion_checks: usize,
    /// Background load target (default: the front door).
    #[serde(default)]
    pub load_url: Option<String>,
    /// Background load, requests per second.
    #[serde(default = "rate")]
    pub load_rate: f64,
    /// Longest wait for every answer to come from one colour.
    #[serde(default = "converge")]
    pub converge_timeout: String,
}

fn color_header() -> String {
    "x-color".into()
}
fn blue() -> String {
    "blue".into()
}
fn green() -> String {
    "green".into()
}
fn hold() -> String {
    "2s".into()
}
fn samples() -> usize {
    6
}
fn rate() -> f64 {
    20.0
}
fn converge() -> String {
    "15s".into()
}

const POLL: Duration = Duration::from_millis(50);
/// Steady load before the switch, for the p99 it is compared with.
const STEADY: Duration = Duration::from_secs(2);

impl Params {
    /// Check what serde cannot.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        if self.active == self.preview {
            return Err(super::bad(
                drill,
                "preview",
                "equals active",
                "name two colours, e.g. blue and green",
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
        super::duration(drill, "hold", &self.hold)?;
        super::duration(drill, "converge_timeout", &self.converge_timeout).map(|_| ())
    }

    fn converge(&self) -> Duration {
        crate::config::parse_duration(&self.converge_timeout).unwrap_or(Duration::from_secs(15))
    }

    fn hold(&self) -> Duration {
        crate::config::parse_duration(&self.hold).unwrap_or(Duration::from_secs(2))
    }
}

/// The kind's steps, for the plan.
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    let Ok(p) = super::params::<Params>(drill) else {
        return Vec::new();
    };
    let c = p.converge().as_millis() as u64;
    let s = |name: String, timeout_ms: u64| StepPlan {
        name,
        phase: Phase::Method,
        timeout_ms,
    };
    let mut v = Vec::new();
    if p.preview_url.is_some() {
        v.push(s(format!("pre-promotion: {} answers", p.preview), 10_000));
    }
    v.extend([
        s(format!("switch to {}", p.preview), 10_000),
        s(format!("wait until all answers come from {}", p.preview), c),
        s("post-promotion checks".into(), 10_000),
        s(
            format!("hold {}", p.hold),
            p.hold().as_millis() as u64 + 1_000,
        ),
        s(format!("switch back to {}", p.active), 10_000),
        s(format!("wait until all answers come from {}", p.active), c),
    ]);
    v
}

async fn switch(
    run: &Runner<'_>,
    p: &Params,
    to: &str,
    name: &str,
    phase: Phase,
) -> Result<(Instant, Converged), MethodStop> {
    let t0 = Instant::now();
    let r = run
        .custom(
            name,
            phase,
            Duration::from_secs(10),
            post(
                &run.cx.client,
                &p.switch_url,
                serde_json::json!({ "active": to }),
            ),
        )
        .await;
    stop_on(run, name, r.outcome, &r.detail)?;
    let seen = Mutex::new(Converged::default());
    let mark = Mark::Header(p.color_header.to_ascii_lowercase());
    let urls = [p.active_url.clone()];
    let wait = async {
        let c = until_all(
            &run.cx.client,
            &urls,
            &mark,
            to,
            p.samples,
            POLL,
            Instant::now() + p.converge(),
        )
        .await;
        let out = match c.at {
            Some(at) => (
                StepOutcome::Ok,
                format!(
                    "all answers from {to} after {:.3} s",
                    at.duration_since(t0).as_secs_f64()
                ),
                String::new(),
            ),
            None => (
                StepOutcome::TimedOut,
                format!("answers still not all from {to}"),
                c.seen.join(" "),
            ),
        };
        if let Ok(mut s) = seen.lock() {
            *s = c;
        }
        out
    };
    let name = format!("wait until all answers come from {to}");
    let r = run
        .custom(&name, phase, p.converge() + Duration::from_secs(1), wait)
        .await;
    stop_on(run, &name, r.outcome, &r.detail)?;
    Ok((t0, seen.lock().map(|s| s.clone()).unwrap_or_default()))
}

/// The sequence, with the background load through it.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let p: Params = super::params(run.drill()).map_err(|e| MethodStop::Failed(e.to_string()))?;
    let url = p.load_url.clone().unwrap_or_else(|| p.active_url.clone());
    let bg = Background::start(&url, p.load_rate, run.drill().timeout, &p.color_header)
        .map_err(MethodStop::Failed)?;
    let r = sequence(run, &p, &bg).await;
    bg.stop().await;
    r
}

async fn sequence(run: &Runner<'_>, p: &Params, bg: &Background) -> Result<(), MethodStop> {
    let steady_from = Instant::now();
    pause(run, STEADY).await?;
    if let Some(preview) = &p.preview_url {
        let name = format!("pre-promotion: {} answers", p.preview);
        let mark = Mark::Header(p.color_header.to_ascii_lowercase());
        let want = p.preview.clone();
        let check = async {
            let mut seen = Vec::new();
            for k in 0..p.samples.max(1) {
                seen.push(
                    ask(&run.cx.client, preview, &mark, k)
                        .await
                        .unwrap_or_else(|| "failed".into()),
                );
            }
            let ok = seen.iter().all(|s| *s == want);
            (
                if ok {
                    StepOutcome::Ok
                } else {
                    StepOutcome::Failed
                },
                format!("preview answered {}", seen.join(" ")),
                String::new(),
            )
        };
        let r = run
            .custom(&name, Phase::Method, Duration::from_secs(10), check)
            .await;
        stop_on(run, &name, r.outcome, &r.detail)?;
    }
    let steady_to = Instant::now();
    let (t0, up) = switch(
        run,
        p,
        &p.preview,
        &format!("switch to {}", p.preview),
        Phase::Method,
    )
    .await?;
    let t1 = up.at.unwrap_or_else(Instant::now);
    run.measure("switch_time_s", t1.duration_since(t0).as_secs_f64());
    // Post-promotion: the new active must answer; if not, switch back now.
    let checks = async {
        let mark = Mark::Header(p.color_header.to_ascii_lowercase());
        let mut failed = 0;
        for k in 0..p.post_promotion_checks.max(1) {
            if ask(&run.cx.client, &p.active_url, &mark, k)
                .await
                .as_deref()
                != Some(p.preview.as_str())
            {
                failed += 1;
            }
        }
        let n = p.post_promotion_checks.max(1);
        if failed == 0 {
            (
                StepOutcome::Ok,
                format!("{n} of {n} answered from {}", p.preview),
                String::new(),
            )
        } else {
            (
                StepOutcome::Failed,
                format!("{failed} of {n} did not answer from {}", p.preview),
                String::new(),
            )
        }
    };
    let r = run
        .custom(
            "post-promotion checks",
            Phase::Method,
            Duration::from_secs(10),
            checks,
        )
        .await;
    if r.outcome != StepOutcome::Ok && !run.cancelled() {
        let back = format!("post-promotion failure: switch back to {}", p.active);
        let _ = switch(run, p, &p.active, &back, Phase::Method).await;
        return Err(MethodStop::Failed(format!(
            "post-promotion checks failed: {}; switched back to {}",
            r.detail, p.active
        )));
    }
    stop_on(run, "post-promotion checks", r.outcome, &r.detail)?;
    let hold_name = format!("hold {}", p.hold);
    let r = run
        .custom(
            &hold_name,
            Phase::Method,
            p.hold() + Duration::from_secs(1),
            async {
                tokio::time::sleep(p.hold()).await;
                (StepOutcome::Ok, String::new(), String::new())
            },
        )
        .await;
    stop_on(run, &hold_name, r.outcome, &r.detail)?;
    let (t2, down) = switch(
        run,
        p,
        &p.active,
        &format!("switch back to {}", p.active),
        Phase::Method,
    )
    .await?;
    let t3 = down.at.unwrap_or_else(Instant::now);
    run.measure("switch_back_time_s", t3.duration_since(t2).as_secs_f64());
    bg.settle(t3).await;
    let failed = bg.failed(t0, t1) + bg.failed(t2, t3);
    run.measure("failed_requests", failed as f64);
    run.measure("background_requests", bg.requests(steady_from, t3) as f64);
    let steady = bg.median_p99(steady_from, steady_to);
    let during = [bg.max_p99(t0, t1), bg.max_p99(t2, t3)]
        .into_iter()
        .flatten()
        .max_by(f64::total_cmp);
    if let Some(s) = steady {
        run.measure("p99_steady_ms", s);
    }
    if let Some(d) = during {
        run.measure("p99_switch_ms", d);
    }
    if let (Some(s), Some(d)) = (steady, during) {
        run.measure("p99_blip_ms", (d - s).max(0.0));
    }
    Ok(())
}

/// Switch back to the active colour.
pub async fn rollback(run: &Runner<'_>) -> bool {
    let Ok(p) = super::params::<Params>(run.drill()) else {
        return false;
    };
    switch(
        run,
        &p,
        &p.active,
        &format!("restore {} as active", p.active),
        Phase::Rollback,
    )
    .await
    .is_ok()
}
