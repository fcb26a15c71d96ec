//! What the operational drill kinds (alerting, runbook) hand back to the
//! drill core: the steps they ran with their timing and trimmed output, the
//! findings of the tools they ran, and the measurements the core judges
//! against a drill's objectives. Plain data: the logic lives in
//! `drill::alerts` and `drill::runbook`.

use serde::{Deserialize, Serialize};

use super::verdict::Verdict;

/// The outcome of one step of an operational drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpsStepOutcome {
    /// It ran and its check held.
    Pass,
    /// It ran and its check failed (wrong output, wrong exit code, wrong receiver).
    Fail,
    /// It could not run at all (binary missing, server not reachable).
    Error,
    /// It hit its timeout and was killed.
    TimedOut,
    /// Not run (a dry run, or an earlier step failed).
    Skipped,
}

impl OpsStepOutcome {
    /// A short text badge.
    pub fn badge(self) -> &'static str {
        match self {
            OpsStepOutcome::Pass => "PASS",
            OpsStepOutcome::Fail => "FAIL",
            OpsStepOutcome::Error => "ERR",
            OpsStepOutcome::TimedOut => "TIMEOUT",
            OpsStepOutcome::Skipped => "SKIP",
        }
    }
}

/// One step: a tool invocation, a runbook block, a live-drill phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpsStep {
    /// Step name (`promtool test rules tests.yml`, the runbook's `step="..."`).
    pub name: String,
    /// Milliseconds from the start of the drill to the start of the step.
    pub start_ms: u64,
    /// Milliseconds from the start of the drill to the end of the step.
    pub end_ms: u64,
    /// How it went.
    pub outcome: OpsStepOutcome,
    /// Why, in one line, when it did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What it printed, size-capped and redacted.
    #[serde(default)]
    pub output: String,
}

impl OpsStep {
    /// Seconds the step took.
    pub fn duration_s(&self) -> f64 {
        self.end_ms.saturating_sub(self.start_ms) as f64 / 1000.0
    }
}

/// A problem a tool reported, in the terms of the thing checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpsFinding {
    /// The tool (`promtool`, `amtool`, `alertmanager`, `runbook`).
    pub tool: String,
    /// The file concerned.
    pub file: String,
    /// The rule group, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The alert or route or step concerned, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Expected, as the tool printed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Got, as the tool printed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
}

/// A measured value the drill core judges against an objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpsMeasurement {
    /// Name, as an objective names it (`time_to_alert_s`).
    pub name: String,
    /// The value; `None` when it was never reached (the alert never fired).
    pub value: Option<f64>,
    /// The bound the kind itself applied, if any (`<= 90`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<String>,
}

/// What an operational drill kind returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpsOutcome {
    /// `alerts`, `alerts_live` or `runbook`.
    pub kind: String,
    /// Pass, fail, or inconclusive (nothing could be checked).
    pub verdict: Verdict,
    /// One line for humans.
    pub summary: String,
    /// The steps in the order they ran.
    pub steps: Vec<OpsStep>,
    /// Findings of the tools.
    #[serde(default)]
    pub findings: Vec<OpsFinding>,
    /// Measurements for the objectives.
    #[serde(default)]
    pub measurements: Vec<OpsMeasurement>,
}

impl OpsOutcome {
    /// The verdict from the steps: a failed or timed-out step fails; a step
    /// that could not run at all (a tool missing, a server unreachable)
    /// makes it inconclusive, as does having no step that ran.
    pub fn verdict_of(steps: &[OpsStep]) -> Verdict {
        let ran: Vec<_> = steps
            .iter()
            .filter(|s| s.outcome != OpsStepOutcome::Skipped)
            .collect();
        if ran.is_empty() {
            return Verdict::Inconclusive;
        }
        if ran
            .iter()
            .any(|s| matches!(s.outcome, OpsStepOutcome::Fail | OpsStepOutcome::TimedOut))
        {
            Verdict::Fail
        } else if ran.iter().any(|s| s.outcome == OpsStepOutcome::Error) {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        }
    }

    /// The measurement of that name, if it was reached.
    pub fn measurement(&self, name: &str) -> Option<f64> {
        self.measurements
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(outcome: OpsStepOutcome) -> OpsStep {
        OpsStep {
            name: "s".into(),
            start_ms: 0,
            end_ms: 1500,
            outcome,
            reason: None,
            output: String::new(),
        }
    }

    #[test]
    fn verdict_follows_the_steps() {
        use OpsStepOutcome::*;
        assert_eq!(OpsOutcome::verdict_of(&[]), Verdict::Inconclusive);
        assert_eq!(
            OpsOutcome::verdict_of(&[step(Skipped)]),
            Verdict::Inconclusive
        );
        assert_eq!(
            OpsOutcome::verdict_of(&[step(Pass), step(Skipped)]),
            Verdict::Pass
        );
        assert_eq!(
            OpsOutcome::verdict_of(&[step(Pass), step(TimedOut)]),
            Verdict::Fail
        );
        assert_eq!(
            OpsOutcome::verdict_of(&[step(Pass), step(Error)]),
            Verdict::Inconclusive
        );
        assert_eq!(
            OpsOutcome::verdict_of(&[step(Error), step(Fail)]),
            Verdict::Fail
        );
        assert_eq!(step(Pass).duration_s(), 1.5);
    }
}
