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
/// [`MAX_LOAD_WINDOWS`] points). A stage that sends traffic in several
/// rounds (a canary, one per step) has them one after the other.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencySeries {
    /// Stage id.
    pub stage: String,
    /// Thresholds as written, for the chart's legend.
    pub thresholds: Vec<String>,
    /// Per second.
    pub points: Vec<LatencyPoint>,
    /// Where the current round's second 0 falls on the stage's clock.
    #[serde(skip)]
    base: u32,
}

/// Fold load starts and windows into one series per stage: each round of
/// traffic continues the stage's curve; a stage that starts again (a
/// rerun) starts its curve again.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::StageStarted { stage } => s.latency.retain(|l| &l.stage != stage),
        Event::LoadStarted {
            stage, thresholds, ..
        } => match s.latency.iter_mut().find(|l| &l.stage == stage) {
            Some(l) => l.base = l.points.last().map_or(0, |p| p.second + 1),
            None => s.latency.push(LatencySeries {
                stage: stage.clone(),
                thresholds: thresholds.clone(),
                points: Vec::new(),
                base: 0,
            }),
        },
        Event::LoadWindow { stage, window } => {
            if let Some(l) = s.latency.iter_mut().find(|l| &l.stage == stage)
                && l.points.len() < MAX_LOAD_WINDOWS
            {
                l.points.push(LatencyPoint {
                    second: l.base + window.second,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::EVENT_VERSION;
    use crate::core::load::{LoadModel, Window};

    fn env(seq: u64, event: Event) -> Envelope {
        Envelope {
            v: EVENT_VERSION,
            seq,
            ts: chrono::DateTime::from_timestamp(1_790_000_000 + seq as i64, 0).unwrap_or_default(),
            event,
        }
    }

    fn started(seq: u64) -> Envelope {
        env(
            seq,
            Event::LoadStarted {
                stage: "canary".into(),
                model: LoadModel::Open,
                duration_s: 2.0,
                connections: 4,
                thresholds: Vec::new(),
            },
        )
    }

    fn window(seq: u64, second: u32) -> Envelope {
        env(
            seq,
            Event::LoadWindow {
                stage: "canary".into(),
                window: Window {
                    second,
                    requests: 10,
                    p99_ms: f64::from(second),
                    ..Window::default()
                },
            },
        )
    }

    #[test]
    fn rounds_of_traffic_continue_the_curve_and_a_rerun_starts_it_again() {
        let envs = [
            started(1),
            window(2, 0),
            window(3, 1),
            started(4),
            window(5, 0),
            window(6, 1),
        ];
        let s = RunState::from_envelopes(&envs);
        let secs: Vec<u32> = s.latency[0].points.iter().map(|p| p.second).collect();
        assert_eq!(secs, [0, 1, 2, 3], "a step's seconds follow the last one's");
        let mut more = envs.to_vec();
        more.push(env(
            7,
            Event::StageStarted {
                stage: "canary".into(),
            },
        ));
        more.push(started(8));
        more.push(window(9, 0));
        let s = RunState::from_envelopes(&more);
        assert_eq!(s.latency[0].points.len(), 1);
    }
}
