//! `[gate]`: the score thresholds of the readiness gate.

use serde::{Deserialize, Serialize};

use crate::config::Problem;

/// `[gate]`: score thresholds.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct GateSection {
    /// Score at or above which the run is GO.
    pub pass_score: f64,
    /// Score at or above which the run is GO with warnings; below, NO-GO.
    pub warn_score: f64,
}

impl Default for GateSection {
    fn default() -> Self {
        GateSection {
            pass_score: 90.0,
            warn_score: 70.0,
        }
    }
}

impl GateSection {
    /// Every problem in `[gate]`, keys from the top.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (k, v) in [
            ("gate.pass_score", self.pass_score),
            ("gate.warn_score", self.warn_score),
        ] {
            if !(0.0..=100.0).contains(&v) {
                out.push(Problem::at(
                    k,
                    format!("{v} is outside 0..=100"),
                    "use a score between 0 and 100",
                ));
            }
        }
        if self.warn_score > self.pass_score {
            out.push(Problem::at(
                "gate.warn_score",
                format!(
                    "warn_score {} is above pass_score {}",
                    self.warn_score, self.pass_score
                ),
                "warn_score must be at most pass_score",
            ));
        }
        out
    }
}
