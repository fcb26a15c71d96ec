//! The load view: the latest load traffic (a load stage, or a canary
//! step's traffic) as per-second windows, and the latest finished summary.

use serde::Serialize;

use crate::core::event::{Envelope, Event};
use crate::core::load::{LoadModel, Summary, Window, WorkerPool};
use crate::core::state::RunState;

/// Most load windows kept in memory (one hour at one per second).
pub const MAX_LOAD_WINDOWS: usize = 3_600;

/// The latest load stage as seen so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadView {
    /// Stage id.
    pub stage: String,
    /// Open (arrival rate) or closed (connections).
    pub model: LoadModel,
    /// Planned duration, seconds.
    pub duration_s: f64,
    /// Connections (closed) or pool size (open).
    pub connections: u32,
    /// Thresholds as written.
    pub thresholds: Vec<String>,
    /// Per-second windows, oldest first (at most [`MAX_LOAD_WINDOWS`]).
    pub windows: std::collections::VecDeque<Window>,
    /// The summary, once the load has finished.
    pub summary: Option<Summary>,
    /// A distributed engine's workers (Locust), as last reported.
    pub workers: Option<WorkerPool>,
}

/// Fold load starts, windows and summaries (bounded to [`MAX_LOAD_WINDOWS`]).
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::LoadStarted {
            stage,
            model,
            duration_s,
            connections,
            thresholds,
        } => {
            s.load = Some(LoadView {
                stage: stage.clone(),
                model: *model,
                duration_s: *duration_s,
                connections: *connections,
                thresholds: thresholds.clone(),
                windows: Default::default(),
                summary: None,
                workers: None,
            });
        }
        Event::LoadWindow { stage, window } => match s.load.as_mut() {
            Some(l) if &l.stage == stage => {
                l.windows.push_back(window.clone());
                if l.windows.len() > MAX_LOAD_WINDOWS {
                    l.windows.pop_front();
                }
            }
            _ => s.anomalies.push(format!(
                "event #{}: load window for `{stage}` before its load_started; ignored",
                env.seq
            )),
        },
        Event::LoadWorkers { stage, pool } => match s.load.as_mut() {
            Some(l) if &l.stage == stage => l.workers = Some(pool.clone()),
            _ => s.anomalies.push(format!(
                "event #{}: load workers for `{stage}` before its load_started; ignored",
                env.seq
            )),
        },
        Event::LoadSummary { stage, summary } => match s.load.as_mut() {
            Some(l) if &l.stage == stage => {
                l.summary = Some(summary.clone());
                s.load_summary = Some((stage.clone(), summary.clone()));
            }
            _ => s.anomalies.push(format!(
                "event #{}: load summary for `{stage}` before its load_started; ignored",
                env.seq
            )),
        },
        _ => {}
    }
}
