//! `flightdeck load calibrate`: run the `[load]` scenario as an A/A pair
//! (two runs back to back, or one run split in halves), report per scope
//! the run-to-run noise and the smallest regression the baseline
//! comparison can detect, and store it in history, where the next run's
//! comparison reads it. Exit codes: 0 calibrated, 2 usage, 3 too few
//! windows to calibrate anything, 4 the store could not be used.

use std::fmt::Write as _;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::prepare::{location, with_store};
use super::{EXIT_INTERNAL, Failure, load_config};
use crate::cli::CalibrateArgs;
use crate::config::{OverrideValue, Sources};
use crate::core::format::trim_num;
use crate::core::history::{CalibrationMethod, NoiseCalibration};
use crate::load::calibrate::{ScopeCalibration, calibrate, sides};
use crate::output::OutputFormat;

#[derive(Serialize)]
struct Report<'a> {
    service: &'a str,
    scenario: &'a str,
    method: CalibrationMethod,
    target: &'a str,
    duration_s: f64,
    alpha: f64,
    max_rise_pct: f64,
    scopes: Vec<ScopeOut<'a>>,
    stored: Option<String>,
}

#[derive(Serialize)]
struct ScopeOut<'a> {
    #[serde(flatten)]
    calibration: &'a NoiseCalibration,
    false_alarm_pct: f64,
}

/// Removes the demo's assets however the command ends.
struct Cleanup(std::path::PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run the calibration and store it.
pub async fn run(a: CalibrateArgs) -> Result<(String, i32), Failure> {
    let mut sources = Sources::from_process(Some(a.config.clone()));
    if let Some(d) = &a.state_dir {
        sources.set("state_dir", OverrideValue::Str(d.display().to_string()));
    }
    let mut cfg = load_config(&sources)?;
    // The demo's assets go in the state directory, removed at the end.
    let assets = cfg
        .state_dir
        .join(format!("calibrate-demo-{}", std::process::id()));
    let _cleanup = a.demo.then(|| Cleanup(assets.clone()));
    let _demo = if a.demo {
        Some(super::start_demo(&mut cfg, crate::demo::Scenario::Healthy, &assets).await?)
    } else {
        if crate::engine::config::uses_demo_placeholders(&cfg) {
            return Err(Failure::usage(
                "error: the config uses {demo.*} placeholders (hint: pass --demo to calibrate against the embedded demo target, or put the real target in load.target)",
            ));
        }
        None
    };
    let mut load = cfg.load.clone();
    if let Some(r) = a.rate {
        load.rate = Some(r);
        load.stages.clear();
    }
    if let Some(d) = a.duration {
        load.duration_s = Some(d.as_secs_f64());
        load.stages.clear();
        if load.rate.is_none() && load.connections.is_none() {
            load.connections = Some(10);
        }
    }
    let problems = load.validate();
    if !problems.is_empty() {
        let text: Vec<String> = problems.iter().map(|p| format!("error: {p}")).collect();
        return Err(Failure::usage(text.join("\n")));
    }
    let method = if a.split {
        CalibrationMethod::SplitHalves
    } else {
        CalibrationMethod::TwoRuns
    };
    let scenario = if load.baseline.scenario.is_empty() {
        "default".to_string()
    } else {
        load.baseline.scenario.clone()
    };
    let cancel = CancellationToken::new();
    let (side_a, side_b) = sides(&load, method, cancel)
        .await
        .map_err(|e| Failure::usage(format!("error: {e}")))?;
    let per_side = match method {
        CalibrationMethod::TwoRuns => load.effective_duration_s(),
        CalibrationMethod::SplitHalves => load.effective_duration_s() / 2.0,
    };
    let scopes = calibrate(
        &cfg.run.service,
        &scenario,
        method,
        &side_a,
        &side_b,
        per_side,
        load.baseline.alpha,
        a.seed,
    );
    let mut stored = None;
    if !a.no_store && !scopes.is_empty() {
        match location(&cfg).await {
            Ok(Some(at)) => {
                let label = at.label();
                let rows: Vec<NoiseCalibration> =
                    scopes.iter().map(|s| s.calibration.clone()).collect();
                with_store(at, move |s| {
                    s.write(|c| crate::history::calibrations::save(c, &rows))
                })
                .await
                .map_err(|e| Failure {
                    code: EXIT_INTERNAL,
                    message: format!("error: calibration measured but not stored: {e}"),
                })?;
                stored = Some(label);
            }
            Ok(None) => {}
            Err(e) => return Err(Failure::usage(format!("error: {e}"))),
        }
    }
    let report = Report {
        service: &cfg.run.service,
        scenario: &scenario,
        method,
        target: &load.target,
        duration_s: per_side,
        alpha: load.baseline.alpha,
        max_rise_pct: load.baseline.max_rise_pct,
        scopes: scopes
            .iter()
            .map(|s| ScopeOut {
                calibration: &s.calibration,
                false_alarm_pct: s.false_alarm_pct,
            })
            .collect(),
        stored,
    };
    let code = if scopes.is_empty() { 3 } else { 0 };
    let out = match a.output {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
            s.push('\n');
            s
        }
        OutputFormat::Text => text(&report, &scopes),
    };
    Ok((out, code))
}

fn text(r: &Report<'_>, scopes: &[ScopeCalibration]) -> String {
    let how = match r.method {
        CalibrationMethod::TwoRuns => {
            format!("two runs of {} s back to back", trim_num(r.duration_s))
        }
        CalibrationMethod::SplitHalves => {
            format!("one run split into halves of {} s", trim_num(r.duration_s))
        }
    };
    let mut out = format!(
        "A/A calibration of {} scenario \"{}\": {how} against {}; alpha {}, power 80%\n",
        r.service, r.scenario, r.target, r.alpha
    );
    if scopes.is_empty() {
        out.push_str(
            "no scope had 5 one-second windows on both sides: nothing calibrated (hint: run longer, e.g. -z 20s)\n",
        );
        return out;
    }
    let _ = writeln!(
        out,
        "\n{:<14} {:>7} {:>9} {:>9} {:>9} {:>12} {:>11} {:>10}",
        "scope",
        "windows",
        "p50 noise",
        "p95 noise",
        "p99 noise",
        "errors noise",
        "detectable",
        "A/A alarms"
    );
    for s in scopes {
        let k = &s.calibration;
        let _ = writeln!(
            out,
            "{:<14} {:>7} {:>8}% {:>8}% {:>8}% {:>9.2} pp {:>10}% {:>9.0}%",
            k.endpoint,
            k.windows,
            trim_num(k.p50_noise_pct),
            trim_num(k.p95_noise_pct),
            trim_num(k.p99_noise_pct),
            k.error_rate_noise_pct,
            trim_num(k.detectable_pct),
            s.false_alarm_pct
        );
    }
    let tight: Vec<&str> = scopes
        .iter()
        .filter(|s| r.max_rise_pct < s.calibration.detectable_pct)
        .map(|s| s.calibration.endpoint.as_str())
        .collect();
    let _ = writeln!(
        out,
        "\nload.baseline.max_rise_pct = {}%: {}",
        trim_num(r.max_rise_pct),
        if tight.is_empty() {
            "every scope can detect it".to_string()
        } else {
            format!(
                "tighter than this setup can detect for {} (the comparison will say so; raise it or run longer)",
                tight.join(", ")
            )
        }
    );
    match &r.stored {
        Some(at) => {
            let _ = writeln!(
                out,
                "stored in {at}: the baseline comparison of {}/{} will not call a regression below these thresholds",
                r.service, r.scenario
            );
        }
        None => out.push_str("not stored (--no-store or history disabled)\n"),
    }
    out
}
