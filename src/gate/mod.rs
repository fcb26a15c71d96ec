//! The readiness gate: combines stage verdicts into a score and a GO / NO-GO /
//! INCONCLUSIVE decision, explaining every point lost.
//!
//! Scoring: each scored stage contributes `weight x factor`, where the factor is
//! 1 for pass, 0.5 for warn and 0 for fail or inconclusive; skipped stages leave
//! the total. The score is `100 x earned / total`.
//!
//! Decision, in order:
//! 1. a hard stage that failed is NO-GO, whatever the score;
//! 2. a hard stage that is inconclusive or unfinished is INCONCLUSIVE;
//! 3. if the missing data could change the band (inconclusive stages counted as
//!    pass would land in another band than counted as fail), INCONCLUSIVE;
//! 4. otherwise the band decides: `score >= pass_score` GO, `score >= warn_score`
//!    GO with warnings, below that NO-GO. Nothing scored at all is INCONCLUSIVE.
//!
//! An operator override (a canary promoted over a held automatic rollback)
//! never reads as a clean GO: the band is at most warn, and the rationale
//! names the override, whatever the weights.

mod config;
pub mod signoff;

pub use config::{GateSection, SignoffRole};

use crate::core::event::{Outcome, StagePlan};
use crate::core::format::trim_num;
pub use crate::core::gate::{Decision, PointsLost};
use crate::core::state::RunState;
use crate::core::verdict::Verdict;

/// Score thresholds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// At or above: GO.
    pub pass_score: f64,
    /// At or above (and below pass): GO with warnings. Below: NO-GO.
    pub warn_score: f64,
}

/// One stage's verdict as the gate sees it (`None` = not finished).
#[derive(Clone, Debug)]
pub struct StageInput<'a> {
    /// The planned stage.
    pub plan: &'a StagePlan,
    /// Its verdict, if finished.
    pub verdict: Option<Verdict>,
    /// Its one-line summary, quoted in explanations.
    pub summary: &'a str,
    /// An operator overrode the stage's safety net (e.g. promoted a canary
    /// over a held automatic rollback); the note says how.
    pub overridden: Option<String>,
}

fn factor(v: Verdict) -> f64 {
    match v {
        Verdict::Pass => 1.0,
        Verdict::Warn => 0.5,
        _ => 0.0,
    }
}

fn band(score: f64, t: Thresholds) -> Verdict {
    if score >= t.pass_score {
        Verdict::Pass
    } else if score >= t.warn_score {
        Verdict::Warn
    } else {
        Verdict::Fail
    }
}

/// Round to one decimal, so that reports are stable and readable.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Decide. Pure: same inputs, same decision.
pub fn decide(stages: &[StageInput<'_>], t: Thresholds) -> Decision {
    let scored: Vec<&StageInput<'_>> = stages
        .iter()
        .filter(|s| s.plan.kind != crate::core::event::StageKind::Gate)
        .filter(|s| s.verdict != Some(Verdict::Skipped))
        .filter(|s| s.plan.weight > 0.0)
        .collect();
    let total: f64 = scored.iter().map(|s| s.plan.weight).sum();

    let mut earned = 0.0;
    let mut optimistic = 0.0;
    let mut lost = Vec::new();
    for s in &scored {
        let f = s.verdict.map(factor).unwrap_or(0.0);
        earned += s.plan.weight * f;
        let unknown = matches!(s.verdict, None | Some(Verdict::Inconclusive));
        optimistic += s.plan.weight * if unknown { 1.0 } else { f };
        if f < 1.0 && total > 0.0 {
            let points = round1(100.0 * s.plan.weight * (1.0 - f) / total);
            let verdict = s.verdict.map(|v| v.as_str()).unwrap_or("not finished");
            let detail = if s.summary.is_empty() {
                String::new()
            } else {
                format!(": {}", s.summary)
            };
            lost.push(PointsLost {
                stage: s.plan.id.clone(),
                points,
                reason: format!(
                    "{} {verdict} (weight {} of {}){detail}",
                    s.plan.id,
                    trim_num(s.plan.weight),
                    trim_num(total)
                ),
            });
        }
    }
    let score = if total > 0.0 {
        round1(100.0 * earned / total)
    } else {
        0.0
    };
    let best = if total > 0.0 {
        100.0 * optimistic / total
    } else {
        0.0
    };
    let band_now = band(score, t);

    let hard_failed: Vec<&str> = scored
        .iter()
        .filter(|s| s.plan.hard && s.verdict == Some(Verdict::Fail))
        .map(|s| s.plan.id.as_str())
        .collect();
    let hard_unknown: Vec<&str> = scored
        .iter()
        .filter(|s| s.plan.hard && matches!(s.verdict, None | Some(Verdict::Inconclusive)))
        .map(|s| s.plan.id.as_str())
        .collect();

    let (outcome, rationale) = if !hard_failed.is_empty() {
        (
            Outcome::NoGo,
            format!("hard gate failed: {}", hard_failed.join(", ")),
        )
    } else if !hard_unknown.is_empty() {
        (
            Outcome::Inconclusive,
            format!(
                "hard gate without a conclusive verdict: {}",
                hard_unknown.join(", ")
            ),
        )
    } else if total <= 0.0 {
        (Outcome::Inconclusive, "no stage was scored".to_string())
    } else if band(best, t) != band_now {
        (
            Outcome::Inconclusive,
            format!(
                "score {} is {} but inconclusive stages could make it {}",
                trim_num(score),
                band_now.as_str(),
                band(best, t).as_str()
            ),
        )
    } else {
        match band_now {
            Verdict::Pass => (
                Outcome::Go,
                format!(
                    "score {} >= pass threshold {}",
                    trim_num(score),
                    trim_num(t.pass_score)
                ),
            ),
            Verdict::Warn => (
                Outcome::Go,
                format!(
                    "score {} is below pass threshold {} but >= warn threshold {}: GO with warnings",
                    trim_num(score),
                    trim_num(t.pass_score),
                    trim_num(t.warn_score)
                ),
            ),
            _ => (
                Outcome::NoGo,
                format!(
                    "score {} < warn threshold {}",
                    trim_num(score),
                    trim_num(t.warn_score)
                ),
            ),
        }
    };
    let overrides: Vec<String> = stages
        .iter()
        .filter_map(|s| s.overridden.as_ref().map(|n| format!("{}: {n}", s.plan.id)))
        .collect();
    let (band, rationale) = if overrides.is_empty() {
        (band_now, rationale)
    } else {
        let note = format!("operator override on {}", overrides.join("; "));
        match outcome {
            Outcome::Go => (
                band_now.worst(Verdict::Warn),
                format!("GO with warnings: {note} ({rationale})"),
            ),
            _ => (band_now, format!("{rationale}; {note}")),
        }
    };
    Decision {
        score,
        band,
        outcome,
        lost,
        rationale,
    }
}

/// The score the gate would give now, from the stages finished so far
/// (stages still pending or running are left out, not counted as lost).
pub fn provisional(state: &RunState) -> Option<Decision> {
    let info = state.info.as_ref()?;
    let inputs: Vec<StageInput<'_>> = state
        .stages
        .iter()
        .filter(|s| s.verdict.is_some())
        .map(|s| StageInput {
            plan: &s.plan,
            verdict: s.verdict,
            summary: &s.summary,
            overridden: state
                .canary
                .as_ref()
                .filter(|c| c.stage == s.plan.id)
                .and_then(|c| c.auto.as_ref())
                .and_then(|a| a.override_note()),
        })
        .collect();
    Some(decide(
        &inputs,
        Thresholds {
            pass_score: info.pass_score,
            warn_score: info.warn_score,
        },
    ))
}

/// The gate's decision now: the provisional one, with what the sign-offs
/// (if any were asked for) do to it.
pub fn decision(state: &RunState) -> Option<Decision> {
    let d = provisional(state)?;
    Some(match &state.signoffs {
        Some(v) => signoff::apply(d, v),
        None => d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::StageKind;

    fn plan(id: &str, weight: f64, hard: bool) -> StagePlan {
        StagePlan {
            id: id.into(),
            kind: StageKind::Environment,
            weight,
            hard,
        }
    }
    const T: Thresholds = Thresholds {
        pass_score: 90.0,
        warn_score: 70.0,
    };

    fn inputs<'a>(v: &'a [(StagePlan, Option<Verdict>)]) -> Vec<StageInput<'a>> {
        v.iter()
            .map(|(p, verdict)| StageInput {
                plan: p,
                verdict: *verdict,
                summary: "",
                overridden: None,
            })
            .collect()
    }

    #[test]
    fn all_pass_is_go_with_full_score() {
        let s = [
            (plan("a", 1.0, true), Some(Verdict::Pass)),
            (plan("b", 3.0, false), Some(Verdict::Pass)),
        ];
        let d = decide(&inputs(&s), T);
        assert_eq!(d.score, 100.0);
        assert_eq!(d.outcome, Outcome::Go);
        assert!(d.lost.is_empty());
    }

    #[test]
    fn failed_hard_gate_is_no_go_whatever_the_score() {
        let s = [
            (plan("a", 1.0, true), Some(Verdict::Fail)),
            (plan("b", 99.0, false), Some(Verdict::Pass)),
        ];
        let d = decide(&inputs(&s), T);
        assert_eq!(d.score, 99.0);
        assert_eq!(d.outcome, Outcome::NoGo);
        assert!(d.rationale.contains("hard gate failed: a"));
        assert_eq!(d.lost.len(), 1);
        assert_eq!(d.lost[0].points, 1.0);
    }

    #[test]
    fn warn_band_is_go_with_warnings_and_explains_points() {
        let s = [
            (plan("a", 1.0, false), Some(Verdict::Warn)),
            (plan("b", 3.0, false), Some(Verdict::Pass)),
        ];
        let d = decide(&inputs(&s), T);
        assert_eq!(d.score, 87.5);
        assert_eq!(d.band, Verdict::Warn);
        assert_eq!(d.outcome, Outcome::Go);
        assert_eq!(d.lost[0].points, 12.5);
        assert!(
            d.lost[0].reason.contains("a warn (weight 1 of 4)"),
            "{}",
            d.lost[0].reason
        );
    }

    #[test]
    fn inconclusive_that_could_change_the_band_is_inconclusive() {
        let s = [
            (plan("a", 1.0, false), Some(Verdict::Inconclusive)),
            (plan("b", 1.0, false), Some(Verdict::Pass)),
        ];
        let d = decide(&inputs(&s), T);
        assert_eq!(d.score, 50.0);
        assert_eq!(d.outcome, Outcome::Inconclusive);
    }

    #[test]
    fn inconclusive_that_cannot_change_the_band_decides() {
        let s = [
            (plan("a", 1.0, false), Some(Verdict::Inconclusive)),
            (plan("b", 10.0, false), Some(Verdict::Fail)),
        ];
        let d = decide(&inputs(&s), T);
        assert_eq!(d.outcome, Outcome::NoGo);
    }

    #[test]
    fn hard_inconclusive_or_unfinished_is_inconclusive() {
        let s = [
            (plan("a", 1.0, true), None),
            (plan("b", 1.0, false), Some(Verdict::Pass)),
        ];
        let d = decide(&inputs(&s), T);
        assert_eq!(d.outcome, Outcome::Inconclusive);
        assert!(d.lost[0].reason.contains("not finished"));
    }

    #[test]
    fn an_operator_override_is_never_a_clean_go() {
        let s = [
            (plan("canary", 1.0, true), Some(Verdict::Warn)),
            (plan("b", 99.0, false), Some(Verdict::Pass)),
        ];
        let mut i = inputs(&s);
        i[0].overridden = Some("promoted by sam over a held automatic rollback".into());
        let d = decide(&i, T);
        assert_eq!(d.score, 99.5, "the score alone is in the pass band");
        assert_eq!(d.outcome, Outcome::Go);
        assert_eq!(d.band, Verdict::Warn);
        assert!(
            d.rationale
                .starts_with("GO with warnings: operator override on canary: promoted by sam"),
            "{}",
            d.rationale
        );
    }

    #[test]
    fn skipped_stages_leave_the_total_and_nothing_scored_is_inconclusive() {
        let s = [(plan("a", 1.0, false), Some(Verdict::Skipped))];
        let d = decide(&inputs(&s), T);
        assert_eq!(d.outcome, Outcome::Inconclusive);
        assert_eq!(d.rationale, "no stage was scored");
    }
}
