//! Stage verdicts and the evidence behind them.

use serde::{Deserialize, Serialize};

/// The outcome of one stage. `Inconclusive` is honest: no data, a saturated
/// generator, a missing scanner. It never reads as `Pass`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The stage met every criterion.
    Pass,
    /// The stage met its hard criteria but something deserves attention.
    Warn,
    /// The stage failed a criterion.
    Fail,
    /// The stage could not produce the data needed to judge.
    Inconclusive,
    /// The stage did not run (not applicable or disabled).
    Skipped,
}

impl Verdict {
    /// A short text badge, so that state is never carried by colour alone.
    pub fn badge(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "??",
            Verdict::Skipped => "SKIP",
        }
    }

    /// Lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Skipped => "skipped",
        }
    }

    /// Combine two verdicts, keeping the worse one (fail > inconclusive > warn > pass > skipped).
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    fn severity(self) -> u8 {
        match self {
            Verdict::Skipped => 0,
            Verdict::Pass => 1,
            Verdict::Warn => 2,
            Verdict::Inconclusive => 3,
            Verdict::Fail => 4,
        }
    }
}

/// One piece of evidence behind a verdict: a labelled value, optionally with the
/// threshold it was compared with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was measured or checked, e.g. `api health`.
    pub label: String,
    /// What was found, e.g. `200 in 12 ms, version 2.14.0`.
    pub value: String,
    /// The criterion it was judged against, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// The verdict of this single piece.
    pub verdict: Verdict,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_prefers_fail_then_inconclusive() {
        assert_eq!(Verdict::Pass.worst(Verdict::Warn), Verdict::Warn);
        assert_eq!(
            Verdict::Inconclusive.worst(Verdict::Warn),
            Verdict::Inconclusive
        );
        assert_eq!(Verdict::Inconclusive.worst(Verdict::Fail), Verdict::Fail);
        assert_eq!(Verdict::Skipped.worst(Verdict::Pass), Verdict::Pass);
    }
}
