//! The demo's running targets: the baseline and the canary behind the
//! app's front door, the deployment fleet the rollout drills switch, and
//! the failover pair; and the `{demo.*}` placeholders they fill in URLs.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use anyhow::Result;
use tokio::task::JoinHandle;

use super::failover::FailoverDemo;
use super::rollout::RolloutTargets;
use super::target::{
    BASELINE_VERSION, Behaviour, CANARY_VERSION, Scenario, front_router, variant_router,
};

/// The running demo targets.
pub struct DemoTargets {
    /// Baseline listener address.
    pub baseline: SocketAddr,
    /// Canary listener address.
    pub canary: SocketAddr,
    /// The app's front door: routes each request by the demo flag.
    pub app: SocketAddr,
    /// Change the canary's behaviour live.
    pub canary_behaviour: Arc<RwLock<Behaviour>>,
    /// Change the baseline's behaviour live (noise for calibration tests).
    pub baseline_behaviour: Arc<RwLock<Behaviour>>,
    /// The deployment targets drills switch (`{demo.deploy}`, `{demo.bluegreen}`).
    pub rollout: RolloutTargets,
    /// The failover pair behind its front door (`{demo.failover}`), once
    /// started with [`DemoTargets::start_failover`].
    pub failover: Option<FailoverDemo>,
    tasks: Vec<JoinHandle<()>>,
}

impl DemoTargets {
    /// Start the baseline, the canary and the app front door (which routes by
    /// the flag file `flags`, or always to the baseline without one) on
    /// 127.0.0.1 random ports.
    pub async fn start(
        scenario: Scenario,
        flags: Option<std::path::PathBuf>,
    ) -> Result<DemoTargets> {
        let canary_behaviour = Arc::new(RwLock::new(scenario.canary_behaviour()));
        let baseline_behaviour = Arc::new(RwLock::new(Behaviour::default()));
        let started = Instant::now();
        let mut tasks = Vec::new();
        let mut addrs = Vec::new();
        let mut routers = Vec::new();
        for (name, version, behaviour) in [
            ("baseline", BASELINE_VERSION, baseline_behaviour.clone()),
            ("canary", CANARY_VERSION, canary_behaviour.clone()),
        ] {
            routers.push(variant_router(name, version, behaviour, started));
        }
        let app = front_router(flags, routers[0].clone(), routers[1].clone());
        routers.push(app);
        for (name, app) in ["baseline", "canary", "app"].into_iter().zip(routers) {
            let (addr, task) = super::listen::serve(name, app).await?;
            addrs.push(addr);
            tasks.push(task);
        }
        let rollout = RolloutTargets::start(scenario == Scenario::FlakySwitch).await?;
        Ok(DemoTargets {
            rollout,
            baseline: addrs[0],
            canary: addrs[1],
            app: addrs[2],
            canary_behaviour,
            baseline_behaviour,
            failover: None,
            tasks,
        })
    }

    /// Start the failover pair: two instances of the demo API as child
    /// processes of `exe` (`flightdeck demo-instance`) behind a
    /// health-checked front door; the primary's pid file goes into `dir`.
    pub async fn start_failover(
        &mut self,
        exe: &std::path::Path,
        dir: &std::path::Path,
    ) -> Result<()> {
        self.failover =
            Some(FailoverDemo::start(exe, dir, BASELINE_VERSION, BASELINE_VERSION).await?);
        Ok(())
    }

    /// `http://127.0.0.1:PORT` of the baseline.
    pub fn baseline_url(&self) -> String {
        format!("http://{}", self.baseline)
    }

    /// `http://127.0.0.1:PORT` of the canary.
    pub fn canary_url(&self) -> String {
        format!("http://{}", self.canary)
    }

    /// Replace demo placeholders in a URL.
    pub fn fill(&self, url: &str) -> String {
        let url = url
            .replace("{demo.baseline}", &self.baseline_url())
            .replace("{demo.canary}", &self.canary_url())
            .replace("{demo.app}", &format!("http://{}", self.app))
            .replace("{demo.deploy}", &format!("http://{}", self.rollout.deploy))
            .replace(
                "{demo.bluegreen}",
                &format!("http://{}", self.rollout.bluegreen),
            );
        match &self.failover {
            Some(f) => f.fill(&url),
            None => url,
        }
    }
}

impl Drop for DemoTargets {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
