//! The end of a run: the gate decides from the verdicts (through
//! `crate::gate`), the gate stage reports it, and the run finishes; or the
//! run is aborted and ends inconclusive.

use crate::core::event::{Event, Outcome, StageKind};
use crate::core::format::trim_num;
use crate::core::gate::PointsLost;
use crate::core::verdict::{Evidence, Verdict};
use crate::engine::config::Config;
use crate::record::recorder::Recorder;

fn lost_evidence(l: &PointsLost) -> Evidence {
    Evidence {
        label: format!("-{} points", trim_num(l.points)),
        value: l.reason.clone(),
        threshold: None,
        verdict: Verdict::Warn,
    }
}

/// Let the gate decide from the verdicts so far, and finish the run.
pub fn decide(cfg: &Config, rec: &Recorder) -> Outcome {
    let gate_stage = cfg.stages.iter().find(|s| s.kind == StageKind::Gate);
    // A gate that waited for sign-offs has started already.
    if let Some(g) = gate_stage
        && rec.read(|s| {
            s.stage(&g.id)
                .is_none_or(|st| st.status != crate::core::state::StageStatus::Running)
        })
    {
        rec.emit(Event::StageStarted {
            stage: g.id.clone(),
        });
    }
    let Some(decision) = rec.read(crate::gate::decision) else {
        return finish_aborted(rec, "the run never started");
    };
    rec.emit(Event::GateDecision(decision.clone()));
    if let Some(g) = gate_stage {
        let verdict = match decision.outcome {
            Outcome::Go if decision.band == Verdict::Pass => Verdict::Pass,
            Outcome::Go => Verdict::Warn,
            Outcome::NoGo => Verdict::Fail,
            Outcome::Inconclusive => Verdict::Inconclusive,
        };
        rec.emit(Event::StageFinished {
            stage: g.id.clone(),
            verdict,
            summary: decision.rationale.clone(),
            evidence: decision.lost.iter().map(lost_evidence).collect(),
        });
    }
    rec.emit(Event::RunFinished {
        outcome: decision.outcome,
        reason: None,
    });
    decision.outcome
}

/// End the run inconclusive: it was aborted before it could decide.
pub fn finish_aborted(rec: &Recorder, reason: &str) -> Outcome {
    rec.emit(Event::RunFinished {
        outcome: Outcome::Inconclusive,
        reason: Some(format!("aborted: {reason}")),
    });
    Outcome::Inconclusive
}
