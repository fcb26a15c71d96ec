//! The gate's decision as data: the score, the band, the outcome and every
//! point lost. The scoring itself lives in `crate::gate`.

use serde::{Deserialize, Serialize};

use crate::core::event::Outcome;
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
