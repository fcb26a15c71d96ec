//! The stages view: each planned stage's life (pending, running, finished),
//! progress, verdict and evidence. Several stages may run at once when the
//! stage graph allows it.

use chrono::{DateTime, Utc};

use crate::core::event::{Envelope, Event, StageKind, StagePlan};
use crate::core::state::{RunState, StageState, StageStatus};
use crate::core::verdict::Verdict;

fn pending(plan: StagePlan) -> StageState {
    StageState {
        plan,
        status: StageStatus::Pending,
        started_at: None,
        finished_at: None,
        progress: None,
        fraction: None,
        verdict: None,
        summary: String::new(),
        evidence: Vec::new(),
        runs: 0,
    }
}

/// The stage with this id; an event for a stage that is not in the plan
/// adds it (recorded as an anomaly) rather than being lost.
fn stage_mut<'s>(s: &'s mut RunState, id: &str, ts: DateTime<Utc>) -> &'s mut StageState {
    if let Some(i) = s.stages.iter().position(|st| st.plan.id == id) {
        return &mut s.stages[i];
    }
    s.anomalies.push(format!(
        "{ts}: event for stage `{id}` that is not in the plan"
    ));
    s.stages.push(pending(StagePlan {
        id: id.to_string(),
        kind: StageKind::Environment,
        weight: 0.0,
        hard: false,
    }));
    let last = s.stages.len() - 1;
    &mut s.stages[last]
}

/// Fold the events that change a stage's life.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    let ts = env.ts;
    match &env.event {
        Event::RunStarted { stages, .. } => {
            // Keep stages that arrived before the plan (out of order), in plan order.
            let early = std::mem::take(&mut s.stages);
            for p in stages {
                let mut st = early
                    .iter()
                    .find(|e| e.plan.id == p.id)
                    .cloned()
                    .unwrap_or_else(|| pending(p.clone()));
                st.plan = p.clone();
                s.stages.push(st);
            }
            for e in early {
                if !stages.iter().any(|p| p.id == e.plan.id) {
                    s.stages.push(e);
                }
            }
        }
        Event::StageStarted { stage } => {
            let st = stage_mut(s, stage, ts);
            st.status = StageStatus::Running;
            st.started_at = Some(ts);
            st.finished_at = None;
            st.verdict = None;
            st.summary.clear();
            st.evidence.clear();
            st.progress = None;
            st.fraction = None;
            st.runs += 1;
        }
        Event::StageProgress {
            stage,
            message,
            fraction,
        } => {
            let st = stage_mut(s, stage, ts);
            st.progress = Some(message.clone());
            if fraction.is_some() {
                st.fraction = *fraction;
            }
        }
        Event::StageFinished {
            stage,
            verdict,
            summary,
            evidence,
        } => {
            let st = stage_mut(s, stage, ts);
            if st.status == StageStatus::Pending {
                st.runs += 1;
            }
            st.status = StageStatus::Finished;
            st.finished_at = Some(ts);
            st.verdict = Some(*verdict);
            st.summary = summary.clone();
            st.evidence = evidence.clone();
            st.fraction = Some(1.0);
        }
        Event::RunFinished { .. } => {
            for st in &mut s.stages {
                if st.status == StageStatus::Running {
                    st.status = StageStatus::Finished;
                    st.verdict = Some(Verdict::Inconclusive);
                    st.summary = "interrupted before it finished".to_string();
                    st.finished_at = Some(ts);
                }
            }
        }
        _ => {}
    }
}
