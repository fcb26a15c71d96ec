//! Flag kill switch: turn the flag fully on through the real provider, wait
//! until the target serves the flagged variant, then turn it off and time
//! how long until the TARGET stops serving it, as its response header says,
//! not how long the provider took to acknowledge. A provider that lies
//! about propagation shows up as the gap between the two.
//! Measured: `on_time_s`, `kill_ack_s` (the provider's answer),
//! `kill_time_s` (the target's).

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::core::drill::{Phase, StepOutcome, StepPlan};
use crate::flags::{FileProvider, FlagProvider};

use super::sample::{Mark, until_all};
use super::stop_on;
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};

/// `[drill.params]` of a `kill_switch` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Flag key.
    pub flag: String,
    /// A flagd file; absent: the run's canary provider.
    #[serde(default)]
    pub flags_file: Option<String>,
    /// The target's URL, answering with the variant header.
    pub probe_url: String,
    /// Response header naming the variant served.
    #[serde(default = "variant_header")]
    pub variant_header: String,
    /// The variant the flag turns on.
    #[serde(default = "flagged")]
    pub flagged_variant: String,
    /// The variant served with the flag off.
    #[serde(default = "fallback")]
    pub off_variant: String,
    /// Answers per poll (each with its own targeting key).
    #[serde(default = "samples")]
    pub samples: usize,
    /// Longest wait for the target to follow the flag.
    #[serde(default = "converge")]
    pub converge_timeout: String,
}

fn variant_header() -> String {
    "x-variant".into()
}
fn flagged() -> String {
    "canary".into()
}
fn fallback() -> String {
    "baseline".into()
}
fn samples() -> usize {
    10
}
fn converge() -> String {
    "15s".into()
}

const POLL: Duration = Duration::from_millis(20);

impl Params {
    /// Check what serde cannot.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        if self.flagged_variant == self.off_variant {
            return Err(super::bad(
                drill,
                "off_variant",
                "equals flagged_variant",
                "name the variant served with the flag off",
            ));
        }
        super::duration(drill, "converge_timeout", &self.converge_timeout).map(|_| ())
    }

    fn converge(&self) -> Duration {
        crate::config::parse_duration(&self.converge_timeout).unwrap_or(Duration::from_secs(15))
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
    vec![
        s(format!("{} fully on", p.flag), 10_000),
        s(
            format!("wait until the target serves {}", p.flagged_variant),
            c,
        ),
        s(format!("{} off (kill switch)", p.flag), 10_000),
        s(
            format!("wait until the target stops serving {}", p.flagged_variant),
            c,
        ),
    ]
}

fn provider(run: &Runner<'_>, p: &Params) -> Result<std::sync::Arc<dyn FlagProvider>, String> {
    match (&p.flags_file, &run.cx.flags) {
        (Some(f), _) => Ok(std::sync::Arc::new(FileProvider::new(f, None))),
        (None, Some(fp)) => Ok(fp.clone()),
        (None, None) => Err("no flag provider: set params.flags_file, or plan a canary".into()),
    }
}

async fn set(
    run: &Runner<'_>,
    p: &Params,
    on: bool,
    name: &str,
    phase: Phase,
) -> (StepOutcome, Duration) {
    let fp = match provider(run, p) {
        Ok(fp) => fp,
        Err(e) => {
            let r = run
                .custom(name, phase, Duration::from_secs(1), async {
                    (StepOutcome::Error, e, String::new())
                })
                .await;
            return (r.outcome, r.elapsed);
        }
    };
    let r = run
        .custom(name, phase, Duration::from_secs(10), async {
            let r = if on {
                fp.set_rollout(&p.flag, 100.0).await
            } else {
                fp.rollback(&p.flag).await
            };
            match r {
                Ok(st) => (
                    StepOutcome::Ok,
                    format!("provider acknowledged: {}", st.summary),
                    String::new(),
                ),
                Err(e) => (StepOutcome::Failed, format!("provider: {e}"), String::new()),
            }
        })
        .await;
    (r.outcome, r.elapsed)
}

async fn follow(
    run: &Runner<'_>,
    p: &Params,
    want: &str,
    name: &str,
    phase: Phase,
    t0: Instant,
) -> (StepOutcome, Option<Instant>, String) {
    let mark = Mark::Header(p.variant_header.to_ascii_lowercase());
    let urls = [p.probe_url.clone()];
    let at = std::sync::Mutex::new(None);
    let wait = async {
        let c = until_all(
            &run.cx.client,
            &urls,
            &mark,
            want,
            p.samples,
            POLL,
            Instant::now() + p.converge(),
        )
        .await;
        if let Ok(mut a) = at.lock() {
            *a = c.at;
        }
        match c.at {
            Some(t) => (
                StepOutcome::Ok,
                format!(
                    "every answer is {want} after {:.3} s",
                    t.duration_since(t0).as_secs_f64()
                ),
                String::new(),
            ),
            None => (
                StepOutcome::TimedOut,
                format!("the target still does not serve only {want}"),
                c.seen.join(" "),
            ),
        }
    };
    let r = run
        .custom(name, phase, p.converge() + Duration::from_secs(1), wait)
        .await;
    (r.outcome, at.lock().ok().and_then(|a| *a), r.detail)
}

/// The sequence.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let p: Params = super::params(run.drill()).map_err(|e| MethodStop::Failed(e.to_string()))?;
    let on = format!("{} fully on", p.flag);
    let t0 = Instant::now();
    let (o, _) = set(run, &p, true, &on, Phase::Method).await;
    stop_on(run, &on, o, "the provider refused")?;
    let name = format!("wait until the target serves {}", p.flagged_variant);
    let (o, at, detail) = follow(run, &p, &p.flagged_variant, &name, Phase::Method, t0).await;
    stop_on(run, &name, o, &detail)?;
    if let Some(at) = at {
        run.measure("on_time_s", at.duration_since(t0).as_secs_f64());
    }
    let off = format!("{} off (kill switch)", p.flag);
    let t1 = Instant::now();
    let (o, ack) = set(run, &p, false, &off, Phase::Method).await;
    stop_on(run, &off, o, "the provider refused")?;
    run.measure("kill_ack_s", ack.as_secs_f64());
    let name = format!("wait until the target stops serving {}", p.flagged_variant);
    let (o, at, detail) = follow(run, &p, &p.off_variant, &name, Phase::Method, t1).await;
    stop_on(run, &name, o, &detail)?;
    if let Some(at) = at {
        run.measure("kill_time_s", at.duration_since(t1).as_secs_f64());
    }
    Ok(())
}

/// Turn the flag off.
pub async fn rollback(run: &Runner<'_>) -> bool {
    let Ok(p) = super::params::<Params>(run.drill()) else {
        return false;
    };
    set(run, &p, false, &format!("{} off", p.flag), Phase::Rollback)
        .await
        .0
        == StepOutcome::Ok
}
