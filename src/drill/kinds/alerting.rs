//! Alerting drill kind: the offline promtool/amtool checks of
//! `drill::alerts` (rules load, rule unit tests, Alertmanager config,
//! expected routes) and, with `[drill.params.live]`, the live
//! fire/notify/resolve drill against a real Prometheus and Alertmanager on
//! 127.0.0.1. Each tool run is journalled as a method step; the live
//! drill's `time_to_fire_s` and friends are drill measurements, judged by
//! the drill's objectives. Paths are relative to the drill file's folder.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::core::drill::StepPlan;
use crate::drill::alerts::{self, ExpectRoute, LiveSpec, OfflineSpec};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};

use super::{bad, ops_steps};

/// `[drill.params]` of an `alerting` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Prometheus rule files (`promtool check rules`).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Rule unit-test files (`promtool test rules`).
    #[serde(default)]
    pub tests: Vec<String>,
    /// The Alertmanager config (`amtool check-config`).
    #[serde(default)]
    pub alertmanager_config: Option<String>,
    /// Routes that must reach a receiver: `"severity=page,team=shop -> pager"`.
    #[serde(default)]
    pub expect_routes: Vec<String>,
    /// The live drill, when present.
    #[serde(default)]
    pub live: Option<LiveParams>,
}

/// `[drill.params.live]`: fire a real alert through real servers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveParams {
    /// The alert the fault must fire (defined in `rules`).
    pub alert: String,
    /// The receiver it must reach.
    #[serde(default)]
    pub expect_receiver: Option<String>,
    /// The metrics URL Prometheus scrapes (127.0.0.1 or [::1]); absent:
    /// the embedded demo's canary, started for the drill.
    #[serde(default)]
    pub target: Option<String>,
    /// POST injects the fault, DELETE clears it (required with `target`).
    #[serde(default)]
    pub fault_url: Option<String>,
    /// GET at 20 requests/s through the drill, so that rates have traffic.
    #[serde(default)]
    pub traffic_url: Option<String>,
    /// The alert must fire within this of the fault.
    #[serde(default = "sixty")]
    pub fire_within: String,
    /// The alert must resolve within this of the fault's end.
    #[serde(default = "sixty")]
    pub resolve_within: String,
}

fn sixty() -> String {
    "60s".into()
}

const PATHS: &str = "paths are relative to the drill file's folder";

impl Params {
    /// Everything the tools need, resolved against the drill's folder.
    fn offline(&self, drill: &Drill) -> Result<OfflineSpec, SpecError> {
        let files = |key: &str, list: &[String]| -> Result<Vec<PathBuf>, SpecError> {
            list.iter()
                .map(|f| {
                    let p = ops_steps::resolve(&drill.dir, f);
                    if p.is_file() {
                        Ok(p)
                    } else {
                        Err(bad(
                            drill,
                            key,
                            &format!("{}: no such file", p.display()),
                            PATHS,
                        ))
                    }
                })
                .collect()
        };
        let rules = files("rules", &self.rules)?;
        let tests = files("tests", &self.tests)?;
        let alertmanager_config = match &self.alertmanager_config {
            Some(f) => files("alertmanager_config", std::slice::from_ref(f))?.pop(),
            None => None,
        };
        let routes = self
            .expect_routes
            .iter()
            .map(|s| ExpectRoute::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                bad(
                    drill,
                    "expect_routes",
                    &e,
                    "write \"severity=page,team=checkout=oncall-pager\"",
                )
            })?;
        if !routes.is_empty() && alertmanager_config.is_none() {
            return Err(bad(
                drill,
                "expect_routes",
                "needs alertmanager_config",
                "set alertmanager_config = \"alertmanager.yml\"",
            ));
        }
        if rules.is_empty() && tests.is_empty() && alertmanager_config.is_none() {
            return Err(bad(
                drill,
                "rules",
                "nothing to check",
                "set rules, tests or alertmanager_config",
            ));
        }
        Ok(OfflineSpec {
            rules,
            tests,
            alertmanager_config,
            routes,
        })
    }

    /// Check what serde cannot.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        let spec = self.offline(drill)?;
        let Some(live) = &self.live else {
            return Ok(());
        };
        if spec.rules.is_empty() {
            return Err(bad(
                drill,
                "live",
                "needs rules (the rules Prometheus evaluates)",
                "set rules = [\"alert-rules.yml\"]",
            ));
        }
        if spec.alertmanager_config.is_none() {
            return Err(bad(
                drill,
                "live",
                "needs alertmanager_config (how the alert is routed)",
                "set alertmanager_config = \"alertmanager.yml\"",
            ));
        }
        let defined: Vec<String> = spec
            .rules
            .iter()
            .filter_map(|r| std::fs::read_to_string(r).ok())
            .flat_map(|t| alerts::promtool::rule_groups(&t))
            .map(|(_, name)| name)
            .collect();
        if !defined.contains(&live.alert) {
            return Err(bad(
                drill,
                "live.alert",
                &format!("{}: no such alert in the rules", live.alert),
                &format!("name one of: {}", defined.join(", ")),
            ));
        }
        if live.target.is_some() != live.fault_url.is_some() {
            return Err(bad(
                drill,
                "live.fault_url",
                "target and fault_url go together",
                "set both (your service), or neither (the embedded demo)",
            ));
        }
        if let Some(t) = &live.target {
            reqwest::Url::parse(t).map_err(|e| {
                bad(
                    drill,
                    "live.target",
                    &format!("{t}: {e}"),
                    "write http://127.0.0.1:PORT/metrics",
                )
            })?;
        }
        super::duration(drill, "live.fire_within", &live.fire_within)?;
        super::duration(drill, "live.resolve_within", &live.resolve_within)?;
        Ok(())
    }
}

/// The kind's steps come from the tools as they run: no plan ahead.
pub fn plan(_drill: &Drill) -> Vec<StepPlan> {
    Vec::new()
}

/// Build the live spec; the demo it may start lives as long as `demo`.
async fn live_spec(
    drill: &Drill,
    spec: &OfflineSpec,
    l: &LiveParams,
    demo: &mut Option<crate::demo::DemoTargets>,
) -> Result<LiveSpec, String> {
    let am = spec.alertmanager_config.clone().unwrap_or_default();
    let config =
        std::fs::read_to_string(&am).map_err(|e| format!("{}: cannot read: {e}", am.display()))?;
    let (target, fault_url, traffic_url) = match (&l.target, &l.fault_url) {
        (Some(t), Some(f)) => (t.clone(), f.clone(), l.traffic_url.clone()),
        _ => {
            let d = crate::demo::DemoTargets::start(crate::demo::Scenario::Healthy, None)
                .await
                .map_err(|e| format!("cannot start the demo target: {e:#}"))?;
            let c = d.canary_url();
            let urls = (
                format!("{c}/metrics"),
                format!("{c}/admin/fault"),
                Some(l.traffic_url.clone().unwrap_or(format!("{c}/api/cart"))),
            );
            *demo = Some(d);
            urls
        }
    };
    let parsed = reqwest::Url::parse(&target).map_err(|e| format!("target {target}: {e}"))?;
    let d = |key: &str, t: &str| super::duration(drill, key, t).unwrap_or(Duration::from_secs(60));
    let live = LiveSpec {
        rules: spec.rules.clone(),
        alertmanager_config: config,
        alert: l.alert.clone(),
        expect_receiver: l.expect_receiver.clone(),
        scrape_target: format!(
            "{}:{}",
            parsed.host_str().unwrap_or(""),
            parsed.port_or_known_default().unwrap_or(80)
        ),
        metrics_path: parsed.path().to_string(),
        fault_url,
        traffic_url,
        fire_within: d("live.fire_within", &l.fire_within),
        resolve_within: d("live.resolve_within", &l.resolve_within),
    };
    live.validate()?;
    Ok(live)
}

/// Run the checks (and the live drill); the tool runs become method steps.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let drill = run.drill();
    let p: Params = super::params(drill).map_err(|e| MethodStop::Failed(e.to_string()))?;
    let spec = p
        .offline(drill)
        .map_err(|e| MethodStop::Failed(e.to_string()))?;
    let mut demo = None;
    let live = match &p.live {
        Some(l) => Some(
            live_spec(drill, &spec, l, &mut demo)
                .await
                .map_err(|e| MethodStop::Failed(format!("params.live: {e}")))?,
        ),
        None => None,
    };
    let out = alerts::run(&spec, live.as_ref(), ops_steps::cancel_future(run)).await;
    drop(demo);
    ops_steps::journal(run, &out)
}
