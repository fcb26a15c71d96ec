//! `history calibrate`: how well the checks and the gate predicted what
//! happened in production. Plain counts with their sample sizes; below the
//! minimum sample a rate is "not enough history", never a guess.
//!
//! A check *fires* when its verdict is fail or warn. A production outcome
//! is *bad* when the release was rolled back or caused an incident. A
//! NO-GO run with a recorded outcome went out anyway: an override.

use std::collections::BTreeMap;

use serde::Serialize;

use super::queries::LearningRun;
use crate::core::event::Outcome;
use crate::core::verdict::Verdict;

/// A rate with its numbers, or the honest absence of one.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Rate {
    /// Enough samples: `hits` of `of`.
    Known {
        /// Numerator.
        hits: u64,
        /// Denominator.
        of: u64,
        /// `hits / of`, percent.
        pct: f64,
    },
    /// Fewer samples than the minimum.
    NotEnoughHistory {
        /// Numerator so far.
        hits: u64,
        /// Samples so far.
        of: u64,
        /// Samples needed.
        need: u64,
    },
}

impl Rate {
    fn of(hits: u64, of: u64, need: u64) -> Rate {
        if of >= need && of > 0 {
            Rate::Known {
                hits,
                of,
                pct: hits as f64 * 100.0 / of as f64,
            }
        } else {
            Rate::NotEnoughHistory { hits, of, need }
        }
    }

    /// `40% (2 of 5)` or `not enough history (2 of 5 needed)`.
    pub fn text(&self) -> String {
        match self {
            Rate::Known { hits, of, pct } => format!("{pct:.0}% ({hits} of {of})"),
            Rate::NotEnoughHistory { of: 0, .. } => "no samples yet".to_string(),
            Rate::NotEnoughHistory { of, need, .. } => {
                format!("not enough history ({of} of {need} needed)")
            }
        }
    }
}

/// One check against production outcomes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckCalibration {
    /// Stage id.
    pub stage: String,
    /// Evidence label.
    pub label: String,
    /// Runs with an outcome in which the check ran.
    pub runs: u64,
    /// Of those, runs in which it fired.
    pub fired: u64,
    /// Of those, runs that then went badly.
    pub fired_then_bad: u64,
    /// Precision: of the runs where it fired, how many went badly.
    pub precision: Rate,
    /// Bad outcomes in which it ran and stayed silent.
    pub silent_on_bad: u64,
}

/// The gate's decisions against production outcomes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GateMatrix {
    /// GO, and it held in production.
    pub go_then_success: u64,
    /// GO, then a rollback or an incident (the gate missed it).
    pub go_then_bad: u64,
    /// NO-GO, overridden, and it was fine (a false alarm).
    pub nogo_overridden_success: u64,
    /// NO-GO, overridden, and it went badly (the gate was right).
    pub nogo_overridden_bad: u64,
    /// INCONCLUSIVE, released, fine.
    pub inconclusive_then_success: u64,
    /// INCONCLUSIVE, released, went badly.
    pub inconclusive_then_bad: u64,
}

/// A check that always or never fires, with how often it ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckCount {
    /// Stage id.
    pub stage: String,
    /// Evidence label.
    pub label: String,
    /// Runs in which it ran.
    pub runs: u64,
}

/// The whole calibration report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// Service.
    pub service: String,
    /// Runs of the service in the history.
    pub runs: u64,
    /// Of which with a production outcome.
    pub with_outcome: u64,
    /// Of which went badly.
    pub bad: u64,
    /// Samples a rate needs.
    pub min_sample: u64,
    /// The gate's confusion matrix (runs with an outcome).
    pub gate: GateMatrix,
    /// The gate's miss rate: GO runs that went badly.
    pub gate_missed: Rate,
    /// Bad outcomes that no check fired before.
    pub missed_by_every_check: Rate,
    /// Per check, runs with an outcome only.
    pub checks: Vec<CheckCalibration>,
    /// Checks that never fired over at least `min_sample` runs: candidates
    /// to tighten or retire.
    pub never_fire: Vec<CheckCount>,
    /// Checks that fired on every one of at least `min_sample` runs.
    pub always_fire: Vec<CheckCount>,
}

fn fires(v: Verdict) -> bool {
    matches!(v, Verdict::Fail | Verdict::Warn)
}

/// Calibrate the checks and the gate of `service` over its runs.
pub fn calibrate(service: &str, runs: &[LearningRun], min_sample: u64) -> Calibration {
    #[derive(Default)]
    struct Acc {
        runs: u64,
        fired: u64,
        fired_then_bad: u64,
        silent_on_bad: u64,
        all_runs: u64,
        all_fired: u64,
    }
    let mut per: BTreeMap<(String, String), Acc> = BTreeMap::new();
    let mut gate = GateMatrix::default();
    let (mut with_outcome, mut bad, mut missed) = (0u64, 0u64, 0u64);
    for r in runs {
        // A check appears once per run: its worst verdict stands.
        let mut verdicts: BTreeMap<(String, String), Verdict> = BTreeMap::new();
        for c in &r.checks {
            let k = (c.stage.clone(), c.label.clone());
            let v = verdicts.entry(k).or_insert(c.verdict);
            *v = v.worst(c.verdict);
        }
        for (k, v) in &verdicts {
            let a = per.entry(k.clone()).or_default();
            a.all_runs += 1;
            a.all_fired += u64::from(fires(*v));
        }
        let Some(result) = r.production else {
            continue;
        };
        with_outcome += 1;
        let is_bad = result.is_bad();
        bad += u64::from(is_bad);
        let cell = match (r.run.decision, is_bad) {
            (Some(Outcome::Go), false) => &mut gate.go_then_success,
            (Some(Outcome::Go), true) => &mut gate.go_then_bad,
            (Some(Outcome::NoGo), false) => &mut gate.nogo_overridden_success,
            (Some(Outcome::NoGo), true) => &mut gate.nogo_overridden_bad,
            (_, false) => &mut gate.inconclusive_then_success,
            (_, true) => &mut gate.inconclusive_then_bad,
        };
        *cell += 1;
        if is_bad && !verdicts.values().any(|v| fires(*v)) {
            missed += 1;
        }
        for (k, v) in &verdicts {
            let a = per.entry(k.clone()).or_default();
            a.runs += 1;
            if fires(*v) {
                a.fired += 1;
                a.fired_then_bad += u64::from(is_bad);
            } else if is_bad {
                a.silent_on_bad += 1;
            }
        }
    }
    let mut never_fire = Vec::new();
    let mut always_fire = Vec::new();
    let mut checks = Vec::new();
    for ((stage, label), a) in per {
        if a.all_runs >= min_sample {
            let c = CheckCount {
                stage: stage.clone(),
                label: label.clone(),
                runs: a.all_runs,
            };
            if a.all_fired == 0 {
                never_fire.push(c);
            } else if a.all_fired == a.all_runs {
                always_fire.push(c);
            }
        }
        if a.runs > 0 {
            checks.push(CheckCalibration {
                precision: Rate::of(a.fired_then_bad, a.fired, min_sample),
                stage,
                label,
                runs: a.runs,
                fired: a.fired,
                fired_then_bad: a.fired_then_bad,
                silent_on_bad: a.silent_on_bad,
            });
        }
    }
    let go = gate.go_then_success + gate.go_then_bad;
    Calibration {
        service: service.to_string(),
        runs: runs.len() as u64,
        with_outcome,
        bad,
        min_sample,
        gate_missed: Rate::of(gate.go_then_bad, go, min_sample),
        gate,
        missed_by_every_check: Rate::of(missed, bad, min_sample),
        checks,
        never_fire,
        always_fire,
    }
}
