//! The capacity view: each search's steps as they are judged (the live
//! curve) and its result, per stage. Kept apart from the load view, which
//! canary traffic replaces, so the reports and history still see it.

use serde::Serialize;

use crate::core::capacity::{CapacityResult, CapacityStep};
use crate::core::event::{Envelope, Event};
use crate::core::state::RunState;

/// Most steps kept per search (the search itself is bounded by `max_steps`).
pub const MAX_CAPACITY_STEPS: usize = 200;

/// One stage's capacity search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityView {
    /// Stage id.
    pub stage: String,
    /// The required peak, requests per second.
    pub required_rps: f64,
    /// Steps so far, in the order run.
    pub steps: Vec<CapacityStep>,
    /// The result, once the search ended.
    pub result: Option<CapacityResult>,
}

impl RunState {
    /// The search of `stage`, if it ran one.
    pub fn capacity_of(&self, stage: &str) -> Option<&CapacityView> {
        self.capacity.iter().find(|c| c.stage == stage)
    }
}

fn view<'a>(s: &'a mut RunState, stage: &str, required_rps: f64) -> &'a mut CapacityView {
    let i = match s.capacity.iter().position(|c| c.stage == stage) {
        Some(i) => i,
        None => {
            s.capacity.push(CapacityView {
                stage: stage.to_string(),
                required_rps,
                steps: Vec::new(),
                result: None,
            });
            s.capacity.len() - 1
        }
    };
    &mut s.capacity[i]
}

/// Fold capacity steps and results.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::CapacityStep(crate::core::capacity::StepEvent {
            stage,
            required_rps,
            step,
        }) => {
            let v = view(s, stage, *required_rps);
            // A rerun of the stage starts a new curve.
            if v.result.is_some() {
                v.steps.clear();
                v.result = None;
            }
            if v.steps.len() < MAX_CAPACITY_STEPS {
                v.steps.push(step.clone());
            }
        }
        Event::CapacityResult(crate::core::capacity::ResultEvent { stage, result }) => {
            let v = view(s, stage, result.required_rps);
            v.steps = result.curve.clone();
            v.result = Some(result.clone());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::capacity::StepOutcome;
    use crate::core::verdict::Verdict;

    fn env(seq: u64, event: Event) -> Envelope {
        Envelope {
            v: crate::core::event::EVENT_VERSION,
            seq,
            ts: chrono::DateTime::from_timestamp(1_800_000_000 + seq as i64, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn steps_fold_into_a_curve_and_the_result_settles_it() {
        let mut s = RunState::default();
        for (i, r) in [100.0, 150.0].iter().enumerate() {
            s.apply(&env(
                i as u64,
                Event::CapacityStep(crate::core::capacity::StepEvent {
                    stage: "load".into(),
                    required_rps: 120.0,
                    step: CapacityStep {
                        index: i as u32 + 1,
                        rate_rps: *r,
                        outcome: Some(StepOutcome::WithinSlo),
                        ..CapacityStep::default()
                    },
                }),
            ));
        }
        let v = s.capacity_of("load").unwrap();
        assert_eq!(v.steps.len(), 2);
        assert_eq!(v.required_rps, 120.0);
        assert!(v.result.is_none());
        s.apply(&env(
            3,
            Event::CapacityResult(crate::core::capacity::ResultEvent {
                stage: "load".into(),
                result: CapacityResult {
                    sustainable_rps: Some(150.0),
                    knee_rps: None,
                    required_rps: 120.0,
                    headroom: 1.3,
                    headroom_achieved: Some(1.25),
                    bounded_by_max_rate: true,
                    slo: vec!["p99 < 300ms".into()],
                    verdict: Verdict::Inconclusive,
                    reason: "r".into(),
                    curve: s.capacity_of("load").unwrap().steps.clone(),
                },
            }),
        ));
        let v = s.capacity_of("load").unwrap();
        assert_eq!(v.result.as_ref().unwrap().sustainable_rps, Some(150.0));
        assert_eq!(v.steps.len(), 2);
    }
}
