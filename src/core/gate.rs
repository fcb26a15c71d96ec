//! The gate's decision as data: the score, the band, the outcome and every
//! point lost. The scoring itself lives in `crate::gate`.

use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;

/// Points lost by one stage, with the reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointsLost {
    /// Stage id.
    pub stage: String,
    /// Score points lost (out of 100).
    pub points: f64,
    /// Why, in words.
    pub reason: String,
}

/// The gate's decision, explained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Readiness score 0..=100.
    pub score: f64,
    /// Score band: pass, warn or fail.
    pub band: Verdict,
    /// GO / NO-GO / INCONCLUSIVE.
    pub outcome: Outcome,
    /// Every point lost, stage by stage.
    pub lost: Vec<PointsLost>,
    /// The rule that decided, in one sentence.
    pub rationale: String,
}

/// Final outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Release may go to production.
    Go,
    /// Release must not go.
    NoGo,
    /// Not enough evidence to decide.
    Inconclusive,
}

impl Outcome {
    /// Text badge: GO, NO-GO, INCONCLUSIVE.
    pub fn badge(self) -> &'static str {
        match self {
            Outcome::Go => "GO",
            Outcome::NoGo => "NO-GO",
            Outcome::Inconclusive => "INCONCLUSIVE",
        }
    }

    /// Process exit code for this outcome (0 GO, 1 NO-GO, 3 inconclusive).
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Go => 0,
            Outcome::NoGo => 1,
            Outcome::Inconclusive => 3,
        }
    }
}
