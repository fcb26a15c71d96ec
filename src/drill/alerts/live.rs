//! The live alerting drill: a real Prometheus scrapes the target every
//! second and evaluates the rules, a real Alertmanager routes what fires to
//! Flightdeck's webhook receiver, a fault is injected into the target, and
//! the drill measures how long the alert takes to fire at Prometheus, to be
//! delivered by the webhook, and to resolve once the fault is cleared.
//!
//! The Alertmanager config is the team's own: every webhook URL in it that
//! starts with [`PLACEHOLDER`] is pointed at Flightdeck's receiver, so the
//! `receiver` in each delivery tells which route the alert took. An alert
//! that does not fire within `fire_within`, or that reaches another receiver
//! than the expected one, fails the drill. The fault is cleared on every
//! path once injected; the servers are stopped by PID and their temp dir
//! removed on every path.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::observe::{Traffic, alert_state, fault, is_loopback_url, scraped, wait_for, wait_until};
use super::servers::{self, Server, TempDir};
use super::webhook::{Delivered, Receiver};
use crate::core::drill_ops::{OpsFinding, OpsMeasurement, OpsStep, OpsStepOutcome};

/// The base URL of webhook receivers that Flightdeck replaces with its own
/// (`.invalid` never resolves: the file used as is sends nothing anywhere).
pub const PLACEHOLDER: &str = "http://flightdeck.invalid";

/// Longest wait for a server to start, and for the first scrape.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// What the live drill runs against.
#[derive(Clone, Debug)]
pub struct LiveSpec {
    /// Rule files Prometheus evaluates.
    pub rules: Vec<PathBuf>,
    /// The Alertmanager config's text (with [`PLACEHOLDER`] receivers).
    pub alertmanager_config: String,
    /// The alert the fault must fire.
    pub alert: String,
    /// The receiver it must reach, if checked.
    pub expect_receiver: Option<String>,
    /// `127.0.0.1:PORT` Prometheus scrapes.
    pub scrape_target: String,
    /// Its metrics path.
    pub metrics_path: String,
    /// POST injects the fault, DELETE clears it.
    pub fault_url: String,
    /// GET at a low constant rate throughout, so that rates have traffic.
    pub traffic_url: Option<String>,
    /// Objective: fired (at Prometheus) within this of the fault.
    pub fire_within: Duration,
    /// Objective: resolved (at Prometheus) within this of the fault's end.
    pub resolve_within: Duration,
}

impl LiveSpec {
    /// Loopback only, and a config that routes to Flightdeck.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for (what, url) in [
            ("fault URL", Some(&self.fault_url)),
            ("traffic URL", self.traffic_url.as_ref()),
        ] {
            if let Some(u) = url
                && !is_loopback_url(u)
            {
                problems.push(format!(
                    "{what} {u}: drills send traffic to 127.0.0.1 or [::1] only"
                ));
            }
        }
        if !is_loopback_url(&format!("http://{}", self.scrape_target)) {
            problems.push(format!(
                "target {}: must be on 127.0.0.1 or [::1]",
                self.scrape_target
            ));
        }
        if !self.alertmanager_config.contains(PLACEHOLDER) {
            problems.push(format!(
                "the Alertmanager config has no webhook receiver at {PLACEHOLDER}/...: point the \
                 receivers to drill at it (Flightdeck serves them during the drill)"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

/// Steps and measurements, in order; `t0` is the drill's start.
struct Record {
    t0: Instant,
    steps: Vec<OpsStep>,
    measurements: Vec<OpsMeasurement>,
    findings: Vec<OpsFinding>,
    /// The fault is injected and not cleared yet.
    faulted: bool,
}

impl Record {
    fn ms(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.t0).as_millis() as u64
    }
    fn step(
        &mut self,
        name: &str,
        started: Instant,
        outcome: OpsStepOutcome,
        reason: Option<String>,
    ) -> bool {
        self.steps.push(OpsStep {
            name: name.to_string(),
            start_ms: self.ms(started),
            end_ms: self.ms(Instant::now()),
            outcome,
            reason,
            output: String::new(),
        });
        outcome == OpsStepOutcome::Pass
    }
    fn measure(&mut self, name: &str, value: Option<Duration>, bound: Option<Duration>) {
        self.measurements.push(OpsMeasurement {
            name: name.into(),
            value: value.map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0),
            bound: bound.map(|b| format!("<= {}", b.as_secs_f64())),
        });
    }
}

/// What the live drill did.
pub struct LiveResult {
    /// Steps in order.
    pub steps: Vec<OpsStep>,
    /// `time_to_fire_s`, `time_to_notify_s`, `time_to_resolve_s`,
    /// `time_to_resolve_notify_s` (`None` when never reached).
    pub measurements: Vec<OpsMeasurement>,
    /// A misroute, named.
    pub findings: Vec<OpsFinding>,
}

/// Run the live drill; `t0` is the drill's start. When `cancel` completes
/// first (the operator's abort, a signal) with its reason, the drill stops
/// where it is, and still clears the fault and stops what it started.
pub async fn run_at(
    spec: &LiveSpec,
    t0: Instant,
    cancel: impl std::future::Future<Output = String>,
) -> LiveResult {
    let mut rec = Record {
        t0,
        steps: Vec::new(),
        measurements: Vec::new(),
        findings: Vec::new(),
        faulted: false,
    };
    let mut started: Vec<Server> = Vec::new();
    let dir = TempDir::new();
    if let Ok(dir) = &dir {
        let aborted = {
            let work = drive(spec, dir, &mut rec, &mut started);
            tokio::select! {
                () = work => None,
                why = cancel => Some(why),
            }
        };
        if let Some(why) = aborted {
            let now = Instant::now();
            rec.step("aborted", now, OpsStepOutcome::Error, Some(why));
            if rec.faulted {
                clear(spec, &mut rec).await;
            }
        }
    } else if let Err(e) = &dir {
        rec.step(
            "prepare",
            rec.t0,
            OpsStepOutcome::Error,
            Some(format!("{e:#}")),
        );
    }
    let t = Instant::now();
    for s in &mut started {
        s.stop().await;
    }
    if !started.is_empty() {
        rec.step(
            "stop prometheus and alertmanager",
            t,
            OpsStepOutcome::Pass,
            None,
        );
    }
    drop(dir);
    LiveResult {
        steps: rec.steps,
        measurements: rec.measurements,
        findings: rec.findings,
    }
}

async fn drive(spec: &LiveSpec, dir: &TempDir, rec: &mut Record, started: &mut Vec<Server>) {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(3))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            rec.step(
                "prepare",
                rec.t0,
                OpsStepOutcome::Error,
                Some(format!("HTTP client: {e}")),
            );
            return;
        }
    };
    // Servers up: failures here leave nothing checked (inconclusive).
    let t = Instant::now();
    let receiver = match Receiver::start().await {
        Ok(r) => r,
        Err(e) => {
            rec.step(
                "start webhook receiver",
                t,
                OpsStepOutcome::Error,
                Some(format!("{e:#}")),
            );
            return;
        }
    };
    let am_config = spec
        .alertmanager_config
        .replace(PLACEHOLDER, &receiver.base_url());
    let t = Instant::now();
    match servers::start_alertmanager(dir.path(), &am_config) {
        Ok(s) => started.push(s),
        Err(e) => {
            rec.step(
                "start alertmanager",
                t,
                OpsStepOutcome::Error,
                Some(format!("{e:#}")),
            );
            return;
        }
    }
    let am_url = started[0].url.clone();
    match servers::start_prometheus(
        dir.path(),
        &spec.rules,
        &spec.scrape_target,
        &spec.metrics_path,
        &am_url,
    ) {
        Ok(s) => started.push(s),
        Err(e) => {
            rec.step(
                "start prometheus",
                t,
                OpsStepOutcome::Error,
                Some(format!("{e:#}")),
            );
            return;
        }
    }
    for s in started.iter_mut() {
        if let Err(e) = servers::wait_ready(&client, s, START_TIMEOUT).await {
            rec.step(
                &format!("start {}", s.name),
                t,
                OpsStepOutcome::Error,
                Some(format!("{e:#}")),
            );
            return;
        }
    }
    rec.step(
        "start alertmanager and prometheus",
        t,
        OpsStepOutcome::Pass,
        None,
    );
    let prom = started[1].url.clone();
    let _traffic = spec
        .traffic_url
        .clone()
        .map(|u| Traffic::start(client.clone(), u));
    let t = Instant::now();
    if !wait_until(START_TIMEOUT, || scraped(&client, &prom)).await {
        let why = format!(
            "Prometheus could not scrape {}{} within {}s",
            spec.scrape_target,
            spec.metrics_path,
            START_TIMEOUT.as_secs()
        );
        rec.step(
            "first scrape of the target",
            t,
            OpsStepOutcome::Error,
            Some(why),
        );
        return;
    }
    rec.step("first scrape of the target", t, OpsStepOutcome::Pass, None);
    // Steady state: the alert must not already be up.
    let t = Instant::now();
    if alert_state(&client, &prom, &spec.alert).await.is_some() {
        let why = format!(
            "{} is already pending or firing before the fault",
            spec.alert
        );
        rec.step(
            "steady state: alert quiet",
            t,
            OpsStepOutcome::Error,
            Some(why),
        );
        return;
    }
    rec.step("steady state: alert quiet", t, OpsStepOutcome::Pass, None);
    let fault_at = Instant::now();
    if let Err(e) = fault(&client, &spec.fault_url, true).await {
        rec.step("inject fault", fault_at, OpsStepOutcome::Error, Some(e));
        return;
    }
    rec.step("inject fault", fault_at, OpsStepOutcome::Pass, None);
    rec.faulted = true;
    let fired = observe_fault(spec, &client, &prom, &receiver, rec, fault_at).await;
    // The fault goes on every path once injected: a drill never leaves the
    // target faulted.
    let cleared_at = Instant::now();
    clear(spec, rec).await;
    if fired {
        observe_resolve(spec, &client, &prom, &receiver, rec, cleared_at).await;
    }
}

/// Clear the fault (DELETE), as a step; a failure says the target may
/// still be faulted.
async fn clear(spec: &LiveSpec, rec: &mut Record) {
    let t = Instant::now();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    match fault(&client, &spec.fault_url, false).await {
        Ok(()) => {
            rec.faulted = false;
            rec.step("clear fault", t, OpsStepOutcome::Pass, None)
        }
        Err(e) => rec.step(
            "clear fault",
            t,
            OpsStepOutcome::Fail,
            Some(format!("{e}; the target may still be faulted")),
        ),
    };
}

/// Fire at Prometheus, then delivery to the right receiver. Whether it fired.
async fn observe_fault(
    spec: &LiveSpec,
    client: &reqwest::Client,
    prom: &str,
    receiver: &Receiver,
    rec: &mut Record,
    at: Instant,
) -> bool {
    let name = format!("{} fires at Prometheus", spec.alert);
    let fired = wait_until(spec.fire_within, || async {
        alert_state(client, prom, &spec.alert).await.as_deref() == Some("firing")
    })
    .await;
    let took = fired.then(|| at.elapsed());
    rec.measure("time_to_fire_s", took, Some(spec.fire_within));
    if !fired {
        let why = format!(
            "did not fire within {}s of the fault",
            spec.fire_within.as_secs_f64()
        );
        rec.step(&name, at, OpsStepOutcome::Fail, Some(why));
        return false;
    }
    rec.step(&name, at, OpsStepOutcome::Pass, None);
    let t = Instant::now();
    let left = spec
        .fire_within
        .saturating_sub(at.elapsed())
        .max(Duration::from_secs(5));
    let got = wait_for(left, || first(receiver, &spec.alert, "firing")).await;
    rec.measure(
        "time_to_notify_s",
        got.as_ref().map(|d| d.at.saturating_duration_since(at)),
        None,
    );
    let step = "webhook delivers it";
    match (got, &spec.expect_receiver) {
        (None, _) => rec.step(
            step,
            t,
            OpsStepOutcome::Fail,
            Some(format!(
                "Alertmanager did not deliver {} to the webhook within {}s",
                spec.alert,
                left.as_secs()
            )),
        ),
        (Some(d), Some(want)) if &d.receiver != want => {
            let message = format!(
                "{} was routed to receiver {}, expected {want}",
                spec.alert, d.receiver
            );
            rec.findings.push(OpsFinding {
                tool: "alertmanager".into(),
                file: "alertmanager config".into(),
                group: None,
                subject: Some(spec.alert.clone()),
                message: message.clone(),
                expected: Some(want.clone()),
                got: Some(d.receiver.clone()),
            });
            rec.step(step, t, OpsStepOutcome::Fail, Some(message))
        }
        (Some(_), _) => rec.step(step, t, OpsStepOutcome::Pass, None),
    };
    true
}

async fn observe_resolve(
    spec: &LiveSpec,
    client: &reqwest::Client,
    prom: &str,
    receiver: &Receiver,
    rec: &mut Record,
    at: Instant,
) {
    let name = format!("{} resolves at Prometheus", spec.alert);
    let gone = wait_until(spec.resolve_within, || async {
        alert_state(client, prom, &spec.alert).await.is_none()
    })
    .await;
    rec.measure(
        "time_to_resolve_s",
        gone.then(|| at.elapsed()),
        Some(spec.resolve_within),
    );
    if !gone {
        let why = format!(
            "still active {}s after the fault was cleared",
            spec.resolve_within.as_secs_f64()
        );
        rec.step(&name, at, OpsStepOutcome::Fail, Some(why));
        return;
    }
    rec.step(&name, at, OpsStepOutcome::Pass, None);
    let t = Instant::now();
    let left = spec
        .resolve_within
        .saturating_sub(at.elapsed())
        .max(Duration::from_secs(5));
    let got = wait_for(left, || first(receiver, &spec.alert, "resolved")).await;
    rec.measure(
        "time_to_resolve_notify_s",
        got.as_ref().map(|d| d.at.saturating_duration_since(at)),
        None,
    );
    match got {
        Some(_) => rec.step(
            "webhook delivers the resolution",
            t,
            OpsStepOutcome::Pass,
            None,
        ),
        None => rec.step(
            "webhook delivers the resolution",
            t,
            OpsStepOutcome::Fail,
            Some(format!(
                "no resolved notification within {}s (send_resolved: false?)",
                left.as_secs()
            )),
        ),
    };
}

fn first(r: &Receiver, alert: &str, status: &str) -> Option<Delivered> {
    r.deliveries()
        .into_iter()
        .find(|d| d.alertname == alert && d.status == status)
}
