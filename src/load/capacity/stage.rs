//! The load stage when `[load.capacity]` is set: the search, journalled as
//! it goes (`load_started`, every second as `load_window`, every judged
//! step as `capacity_step`, then `capacity_result`), judged on headroom.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio_util::sync::CancellationToken;

use super::cli::{run_search, step_line};
use super::config::CapacityConfig;
use crate::core::event::Event;
use crate::core::load::LoadModel;
use crate::core::verdict::{Evidence, Verdict};
use crate::load::LoadConfig;
use crate::record::recorder::Recorder;

/// Run the capacity search of `cap` as stage `stage`.
pub async fn run(
    cfg: &LoadConfig,
    cap: &CapacityConfig,
    stage: &str,
    rec: &Recorder,
    cancel: CancellationToken,
) {
    let load = match cfg.with_mix_file() {
        Ok(c) => c,
        Err(p) => {
            return finish(
                rec,
                stage,
                Verdict::Inconclusive,
                format!("{}: {} ({})", p.key, p.message, p.hint),
                Vec::new(),
            );
        }
    };
    let planned_s = f64::from(cap.max_steps) * cap.step_s;
    rec.emit(Event::LoadStarted {
        stage: stage.to_string(),
        model: LoadModel::Open,
        duration_s: planned_s,
        connections: load.max_connections,
        thresholds: cap.slo.clone(),
    });
    // Windows restart at 0 with each step; the journal numbers them on.
    let offset = Arc::new(AtomicU32::new(0));
    let on_window = {
        let offset = offset.clone();
        let stage = stage.to_string();
        move |w: &crate::core::load::Window| {
            let mut w = w.clone();
            w.second += offset.load(Ordering::Relaxed);
            rec.emit(Event::LoadWindow {
                stage: stage.clone(),
                window: w,
            });
        }
    };
    let result = run_search(
        &load,
        cap,
        cancel,
        |s| {
            offset.fetch_add(cap.step_s.ceil() as u32, Ordering::Relaxed);
            rec.emit(Event::CapacityStep(crate::core::capacity::StepEvent {
                stage: stage.to_string(),
                required_rps: cap.required_rps,
                step: s.clone(),
            }));
        },
        on_window,
    )
    .await;
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            return finish(rec, stage, Verdict::Inconclusive, e.to_string(), Vec::new());
        }
    };
    rec.emit(Event::CapacityResult(crate::core::capacity::ResultEvent {
        stage: stage.to_string(),
        result: result.clone(),
    }));
    let fig = |x: Option<f64>| x.map_or("none".to_string(), |v| format!("{v:.0}/s"));
    let mut evidence = vec![Evidence {
        label: "capacity".into(),
        value: format!(
            "sustainable {}{}, knee {}, required {:.0}/s: {}",
            fig(result.sustainable_rps),
            if result.bounded_by_max_rate {
                " (at max_rate)"
            } else {
                ""
            },
            fig(result.knee_rps),
            result.required_rps,
            result.reason
        ),
        threshold: Some(format!(
            "sustainable >= {:.0}/s (required x {:.2}) within {}",
            result.required_rps * result.headroom,
            result.headroom,
            result.slo.join(", ")
        )),
        verdict: result.verdict,
    }];
    // The whole curve, as information.
    evidence.extend(result.curve.iter().map(|s| Evidence {
        label: format!("capacity step {}", s.index),
        value: step_line(s),
        threshold: None,
        verdict: Verdict::Skipped,
    }));
    evidence.extend(crate::load::plan::coverage_evidence(cfg));
    finish(rec, stage, result.verdict, result.reason.clone(), evidence);
}

fn finish(rec: &Recorder, stage: &str, verdict: Verdict, summary: String, evidence: Vec<Evidence>) {
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence,
    });
}
