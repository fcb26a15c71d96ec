//! The latency view: per stage that sent traffic (a load stage, a canary's
//! traffic), its p50/p95/p99 per second for the whole stage. The load view
//! keeps only the latest traffic for the live panes; reports draw every
//! stage's curve, so they need this one.

use serde::Serialize;

use crate::core::event::{Envelope, Event};
use crate::core::state::{MAX_LOAD_WINDOWS, RunState};

/// One second of a stage's traffic, as charted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyPoint {
    /// Offset from the start of the stage's traffic, seconds.
    pub second: u32,
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Requests completed in the second.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
}

/// A stage's latency curve, oldest second first (at most
/// [`MAX_LOAD_WINDOWS`] points).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencySeries {
    /// Stage id.
    pub stage: String,
    /// Thresholds as written, for the chart's legend.
    pub thresholds: Vec<String>,
    /// Per second.
    pub points: Vec<LatencyPoint>,
}

/// Fold load starts and windows into one series per stage; a stage that
/// starts its traffic again (a rerun) starts its series again.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::LoadStarted {
            stage, thresholds, ..
        } => {
            let fresh = LatencySeries {
                stage: stage.clone(),
                thresholds: thresholds.clone(),
                points: Vec::new(),
            };
            match s.latency.iter_mut().find(|l| &l.stage == stage) {
                Some(l) => *l = fresh,
                None => s.latency.push(fresh),
            }
        }
        Event::LoadWindow { stage, window } => {
            if let Some(l) = s.latency.iter_mut().find(|l| &l.stage == stage)
                && l.points.len() < MAX_LOAD_WINDOWS
            {
                l.points.push(LatencyPoint {
                    second: window.second,
                    p50_ms: window.p50_ms,
                    p95_ms: window.p95_ms,
                    p99_ms: window.p99_ms,
                    requests: window.requests,
                    errors: window.errors,
                });
            }
        }
        _ => {}
    }
}
