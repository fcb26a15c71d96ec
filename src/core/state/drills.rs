//! The drills view: one row per drill with its steps, measurements and
//! objectives, folded from `drill_started`, `drill_step`,
//! `drill_measurement` and `drill_finished`. The Drills pane, the reports
//! and `flightdeck drill run --output json` all read it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::disaster::{DrillRecovery, MarkAt};
use crate::core::drill::{
    DrillEnd, DrillKind, Objective, ObjectiveResult, Phase, StepOutcome, StepPlan,
};
use crate::core::event::{Envelope, Event};
use crate::core::state::RunState;
use crate::core::verdict::Verdict;

/// Most steps kept per drill (a drill polling forever stays bounded).
pub const MAX_STEPS: usize = 500;

/// One step as seen so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepView {
    /// Step name.
    pub name: String,
    /// Where it runs.
    pub phase: Phase,
    /// Its timeout, milliseconds.
    pub timeout_ms: u64,
    /// When it started, once it has.
    pub started_at: Option<DateTime<Utc>>,
    /// How it ended; `None` while it runs (or before).
    pub outcome: Option<StepOutcome>,
    /// How long it took, milliseconds.
    pub elapsed_ms: u64,
    /// Seen against expected.
    pub detail: String,
    /// Trimmed, redacted output.
    pub output: String,
}

/// A measured value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measured {
    /// Measurement name, e.g. `deploy_time_s`.
    pub name: String,
    /// The latest value.
    pub value: f64,
}

/// One drill as seen so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrillView {
    /// Stage id.
    pub stage: String,
    /// Drill name.
    pub name: String,
    /// Its kind.
    pub kind: DrillKind,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished, once it has.
    pub finished_at: Option<DateTime<Utc>>,
    /// The drill's timeout, milliseconds.
    pub timeout_ms: u64,
    /// Steps: the planned ones first, then any a kind adds, in start order.
    pub steps: Vec<StepView>,
    /// Measured values, latest per name, in first-seen order.
    pub measurements: Vec<Measured>,
    /// Declared objectives.
    pub objectives: Vec<Objective>,
    /// Judged objectives, once finished.
    pub results: Vec<ObjectiveResult>,
    /// Verdict, once finished.
    pub verdict: Option<Verdict>,
    /// How it ended, once finished.
    pub end: Option<DrillEnd>,
    /// Why, once finished.
    pub summary: String,
    /// Rollbacks ran.
    pub rolled_back: bool,
    /// A rollback failed or hung.
    pub rollback_failed: bool,
    /// A recovery drill's timeline, in the order reached.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<MarkAt>,
    /// A recovery drill's evidence, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<DrillRecovery>,
}

impl DrillView {
    /// The step running now, if any.
    pub fn current(&self) -> Option<&StepView> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.started_at.is_some() && s.outcome.is_none())
    }

    /// The latest value of a measurement.
    pub fn measured(&self, name: &str) -> Option<f64> {
        self.measurements
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// RTO in seconds, once the timeline measured it.
    pub fn rto_s(&self) -> Option<f64> {
        crate::core::disaster::rto_s(&self.marks)
    }

    /// Whether it is still running.
    pub fn running(&self) -> bool {
        self.finished_at.is_none()
    }
}

fn find<'a>(s: &'a mut RunState, stage: &str, drill: &str) -> Option<&'a mut DrillView> {
    s.drills
        .iter_mut()
        .rev()
        .find(|d| d.stage == stage && d.name == drill)
}

fn planned(p: &StepPlan) -> StepView {
    StepView {
        name: p.name.clone(),
        phase: p.phase,
        timeout_ms: p.timeout_ms,
        started_at: None,
        outcome: None,
        elapsed_ms: 0,
        detail: String::new(),
        output: String::new(),
    }
}

/// Fold the drill events.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::StageStarted { stage } => s.drills.retain(|d| &d.stage != stage),
        Event::DrillStarted(d) => {
            s.drills
                .retain(|v| !(v.stage == d.stage && v.name == d.drill));
            s.drills.push(DrillView {
                stage: d.stage.clone(),
                name: d.drill.clone(),
                kind: d.kind,
                started_at: env.ts,
                finished_at: None,
                timeout_ms: d.timeout_ms,
                steps: d.steps.iter().map(planned).collect(),
                measurements: Vec::new(),
                objectives: d.objectives.clone(),
                results: Vec::new(),
                verdict: None,
                end: None,
                summary: String::new(),
                rolled_back: false,
                rollback_failed: false,
                marks: Vec::new(),
                recovery: None,
            });
        }
        Event::DrillStep(st) => {
            let Some(d) = find(s, &st.stage, &st.drill) else {
                return;
            };
            // A planned step not started yet takes this one; else a new row
            // (a kind's own steps, a stop condition, a step polled again).
            let slot = d.steps.iter().position(|v| {
                v.name == st.step
                    && v.phase == st.phase
                    && if st.outcome.is_none() {
                        v.started_at.is_none()
                    } else {
                        v.started_at.is_some() && v.outcome.is_none()
                    }
            });
            let i = match slot {
                Some(i) => i,
                None => {
                    if d.steps.len() >= MAX_STEPS {
                        return;
                    }
                    d.steps.push(StepView {
                        name: st.step.clone(),
                        phase: st.phase,
                        timeout_ms: st.timeout_ms,
                        started_at: Some(env.ts),
                        outcome: None,
                        elapsed_ms: 0,
                        detail: String::new(),
                        output: String::new(),
                    });
                    d.steps.len() - 1
                }
            };
            let v = &mut d.steps[i];
            v.timeout_ms = st.timeout_ms;
            if st.outcome.is_none() {
                v.started_at = Some(env.ts);
            } else {
                v.started_at.get_or_insert(env.ts);
                v.outcome = st.outcome;
                v.elapsed_ms = st.elapsed_ms;
                v.detail = st.detail.clone();
                v.output = st.output.clone();
                if st.phase == Phase::Rollback {
                    d.rolled_back = true;
                    if st.outcome != Some(StepOutcome::Ok) {
                        d.rollback_failed = true;
                    }
                }
            }
        }
        Event::DrillMeasurement(m) => {
            let Some(d) = find(s, &m.stage, &m.drill) else {
                return;
            };
            match d.measurements.iter_mut().find(|x| x.name == m.name) {
                Some(slot) => slot.value = m.value,
                None => d.measurements.push(Measured {
                    name: m.name.clone(),
                    value: m.value,
                }),
            }
        }
        Event::DrillMark(mk) => {
            let Some(d) = find(s, &mk.stage, &mk.drill) else {
                return;
            };
            if d.marks.len() < MAX_STEPS {
                d.marks.push(MarkAt {
                    mark: mk.mark,
                    at_ms: mk.at_ms,
                    detail: mk.detail.clone(),
                });
            }
        }
        Event::DrillRecovery(r) => {
            let Some(d) = find(s, &r.stage, &r.drill) else {
                return;
            };
            d.recovery = Some(r.clone());
        }
        Event::DrillFinished(f) => {
            let Some(d) = find(s, &f.stage, &f.drill) else {
                return;
            };
            d.finished_at = Some(env.ts);
            d.verdict = Some(f.verdict);
            d.end = Some(f.end);
            d.summary = f.summary.clone();
            d.results = f.objectives.clone();
            d.rolled_back |= f.rolled_back;
            d.rollback_failed |= f.rollback_failed;
            for st in &mut d.steps {
                if st.started_at.is_none() && st.outcome.is_none() {
                    st.outcome = Some(StepOutcome::Skipped);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::disaster::{Ack, DrillMark, DrillRecovery, Mark, TableIntegrity};
    use crate::core::drill::{DrillKind, DrillStarted};
    use crate::core::event::EVENT_VERSION;

    fn env(seq: u64, event: Event) -> Envelope {
        Envelope {
            v: EVENT_VERSION,
            seq,
            ts: DateTime::<Utc>::default(),
            event,
        }
    }

    fn mark(mark: Mark, at_ms: u64) -> Event {
        Event::DrillMark(DrillMark {
            stage: "dr".into(),
            drill: "pg".into(),
            mark,
            at_ms,
            detail: String::new(),
        })
    }

    #[test]
    fn a_recovery_drill_folds_its_timeline_and_evidence() {
        let mut s = RunState::default();
        let events = [
            Event::DrillStarted(DrillStarted {
                stage: "dr".into(),
                drill: "pg".into(),
                kind: DrillKind::Experiment,
                steps: Vec::new(),
                objectives: Vec::new(),
                timeout_ms: 60_000,
            }),
            mark(Mark::Disaster, 2_000),
            mark(Mark::RestoreStarted, 2_050),
            mark(Mark::DataVerified, 4_100),
        ];
        for (i, e) in events.into_iter().enumerate() {
            apply(&mut s, &env(i as u64 + 1, e));
        }
        // Verified but not yet healthy: RTO not measured yet.
        assert_eq!(s.drills[0].rto_s(), None);
        apply(&mut s, &env(5, mark(Mark::ServiceHealthy, 4_600)));
        apply(
            &mut s,
            &env(
                6,
                Event::DrillRecovery(DrillRecovery {
                    stage: "dr".into(),
                    drill: "pg".into(),
                    method: "pg_basebackup -X stream".into(),
                    rpo_expectation: String::new(),
                    last_acked: Some(Ack {
                        seq: 9,
                        at_ms: 1_900,
                    }),
                    restored: Some(Ack {
                        seq: 9,
                        at_ms: 1_900,
                    }),
                    integrity: vec![TableIntegrity {
                        table: "public.orders".into(),
                        expected_rows: 10,
                        restored_rows: 10,
                        expected_sum: "55".into(),
                        restored_sum: "55".into(),
                        ok: true,
                        note: String::new(),
                    }],
                }),
            ),
        );
        let d = &s.drills[0];
        assert_eq!(d.marks.len(), 4);
        assert_eq!(d.rto_s(), Some(2.6));
        let r = d.recovery.as_ref().expect("recovery folded");
        assert_eq!(r.integrity[0].table, "public.orders");
    }
}
