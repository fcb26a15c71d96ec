//! The embedded demo as a run: its targets started and its placeholders
//! filled, the quick timings, the optional sign-off.

use super::*;

/// Start the demo targets, write the bundled assets into the run directory,
/// and fill the config's `{demo.*}` placeholders.
pub async fn start_demo(
    cfg: &mut Config,
    scenario: Scenario,
    run_dir: &Path,
) -> Result<DemoTargets, Failure> {
    let assets = crate::demo::assets::materialise(&run_dir.join("demo-assets"))
        .map_err(Failure::internal)?;
    let mut t = DemoTargets::start(scenario, Some(assets.join("flags.json")))
        .await
        .map_err(Failure::internal)?;
    // The failover drill's pair: real child processes, so its kill is real.
    let exe = crate::demo::failover::instance_exe().map_err(Failure::internal)?;
    t.start_failover(&exe, run_dir)
        .await
        .map_err(Failure::internal)?;
    let assets = assets.to_string_lossy().into_owned();
    engine::config::map_placeholder_fields(cfg, |s| t.fill(s).replace("{demo.assets}", &assets));
    // The demo's data stage says what it looked for when it has no databases.
    cfg.data.demo = true;
    // A Terraform named by the environment (as CI does) wins over PATH.
    if let (Some(iac), Ok(tf)) = (
        &mut cfg.environment.iac,
        std::env::var("FLIGHTDECK_TERRAFORM"),
    ) && iac.binary.is_none()
        && !tf.is_empty()
    {
        iac.binary = Some(tf);
    }
    Ok(t)
}

/// What the check of files and programs says once the demo has filled its
/// placeholders: warnings only (the demo goes on), named after the config.
pub(super) fn filled_warnings(cfg: &Config, sources: &Sources) -> Vec<Problem> {
    let label = match (&sources.file, &sources.text) {
        (Some(f), _) => f.display().to_string(),
        (None, Some((label, _))) => label.clone(),
        (None, None) => "config".into(),
    };
    engine::config::check_paths(cfg)
        .into_iter()
        .map(|p| Problem {
            source: label.clone(),
            ..p.with_severity(Severity::Warning)
        })
        .collect()
}

/// The demo's optional sign-off: a `release-manager` role that the
/// account running the demo may give.
pub fn add_demo_signoff(cfg: &mut Config) {
    let who = match crate::identity::effective_uid() {
        Some(uid) => crate::share::Account::Uid(uid),
        None => crate::share::Account::Name(crate::identity::operator(None, "").name),
    };
    cfg.gate.signoffs.push(crate::gate::SignoffRole {
        role: "release-manager".into(),
        who: vec![who],
        required: true,
        self_approval: true,
        signature: false,
    });
}

/// Shorten the demo for smoke tests: 3 s of load, 3 s per canary step, and
/// the judge's minimum samples lowered to what 3 s can give.
pub fn quicken(cfg: &mut Config) {
    cfg.load.stages = vec![crate::load::RateStage::Ramp {
        from: 40.0,
        to: 80.0,
        duration_s: 3.0,
    }];
    cfg.canary.hold_s = 3;
    // Smoke runs share the machine with builds and other tests.
    cfg.load.max_lag_ms = cfg.load.max_lag_ms.max(50.0);
    for m in &mut cfg.canary.judge.metrics {
        m.params.min_samples = m.params.min_samples.min(3);
    }
}
