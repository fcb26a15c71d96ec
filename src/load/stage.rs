//! The load stage: run the configured load, emit one event per second window
//! and a summary, compare with the stored baseline, and judge.

use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::core::event::{Event, LogLevel};
use crate::core::verdict::Verdict;
use crate::load::{
    Baseline, LoadConfig, LoadPlan, LoadUpdate, Threshold, Window, compare_calibrated, judge,
};
use crate::record::recorder::Recorder;

fn finish(rec: &Recorder, stage: &str, verdict: Verdict, summary: String) {
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence: Vec::new(),
    });
}

/// Run the load stage. `cancel` is the kill switch: it stops the load at once
/// and the stage ends inconclusive with what was measured.
pub async fn run_stage(
    cfg: &LoadConfig,
    service: &str,
    state_dir: &Path,
    stage: &str,
    rec: &Recorder,
    cancel: CancellationToken,
) {
    rec.emit(Event::StageStarted {
        stage: stage.to_string(),
    });
    if let Some(cap) = &cfg.capacity {
        return crate::load::capacity::stage::run(cfg, cap, stage, rec, cancel).await;
    }
    let thresholds = match Threshold::parse_all("load.thresholds", &cfg.thresholds) {
        Ok(t) => t,
        Err(e) => return finish(rec, stage, Verdict::Inconclusive, e),
    };
    let plan = match LoadPlan::from_config(cfg) {
        Ok(p) => p,
        Err(e) => return finish(rec, stage, Verdict::Inconclusive, e.to_string()),
    };
    let scenario = cfg.baseline.scenario.clone();
    let previous = if scenario.is_empty() {
        None
    } else {
        match Baseline::load(state_dir, service, &scenario) {
            Ok(b) => Some(b),
            Err(e) => {
                rec.log(
                    LogLevel::Warn,
                    Some(stage),
                    format!("load baseline unreadable: {e}"),
                );
                None
            }
        }
    };
    let mut windows: Vec<Window> = Vec::new();
    let result = crate::load::run_configured(cfg, plan, cancel, |u| match u {
        LoadUpdate::Started {
            model,
            duration_s,
            connections,
        } => {
            rec.emit(Event::LoadStarted {
                stage: stage.to_string(),
                model,
                duration_s,
                connections,
                thresholds: cfg.thresholds.clone(),
            });
        }
        LoadUpdate::Window(w) => {
            rec.emit(Event::StageProgress {
                stage: stage.to_string(),
                message: format!("{} s: {:.0} req/s", w.second + 1, w.achieved_rps),
                fraction: Some(
                    (f64::from(w.second + 1) / cfg.effective_duration_s().max(1.0)).min(1.0),
                ),
            });
            rec.emit(Event::LoadWindow {
                stage: stage.to_string(),
                window: w.clone(),
            });
            windows.push(w);
        }
        LoadUpdate::Workers(pool) => {
            rec.emit(Event::LoadWorkers {
                stage: stage.to_string(),
                pool,
            });
        }
    })
    .await;
    let summary = match result {
        Ok(s) => s,
        Err(e) => return finish(rec, stage, Verdict::Inconclusive, e.to_string()),
    };
    rec.emit(Event::LoadSummary {
        stage: stage.to_string(),
        summary: summary.clone(),
    });
    let current = Baseline::from_run(service, &scenario, &summary, &windows);
    // What this setup can detect, from the A/A calibrations history handed
    // the run (journalled, so a replay judges alike).
    let calibrations = rec.read(|s| {
        s.history
            .as_ref()
            .map(|h| h.calibrations.clone())
            .unwrap_or_default()
    });
    let comparison =
        previous.map(|p| compare_calibrated(p.as_ref(), &current, &cfg.baseline, &calibrations));
    let (verdict, mut evidence, line) = judge(&summary, &windows, &thresholds, comparison.as_ref());
    evidence.extend(crate::load::plan::coverage_evidence(cfg));
    if cfg.baseline.save && !scenario.is_empty() && matches!(verdict, Verdict::Pass | Verdict::Warn)
    {
        match Baseline::save(state_dir, service, &scenario, &summary, &windows) {
            Ok(p) => rec.log(
                LogLevel::Info,
                Some(stage),
                format!("saved as the `{scenario}` baseline: {}", p.display()),
            ),
            Err(e) => rec.log(
                LogLevel::Warn,
                Some(stage),
                format!("baseline not saved: {e}"),
            ),
        }
    }
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary: line,
        evidence,
    });
}
