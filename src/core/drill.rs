//! Drill vocabulary: what a drill journals while it runs (`drill_started`,
//! `drill_step`, `drill_measurement`, `drill_finished`) as plain data, and
//! the judgement of an objective against its bound, which is pure and shared
//! by the runner, the fold and the reports.

use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;

/// What kind of drill runs. A kind is a module under `drill/kinds/`,
/// plugged in by one variant here and one match arm in the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum DrillKind {
    /// A Chaos Toolkit style experiment: only the declared steps.
    #[default]
    Experiment,
    /// Deploy version N+1, wait until every probe sees it, roll back to N.
    DeploymentRollback,
    /// Switch the front door to green, hold, switch back (Argo Rollouts'
    /// active/preview vocabulary).
    BlueGreen,
    /// Turn a flag fully on then off; time until the target stops serving it.
    KillSwitch,
    /// Prometheus rules and Alertmanager routes checked with promtool and
    /// amtool, optionally a live fire/notify/resolve drill.
    Alerting,
    /// A Markdown runbook's marked blocks executed and checked.
    Runbook,
    /// Two instances behind a front door; the primary's process group is
    /// killed; time until requests succeed again, failed requests, and the
    /// survivor's version and data.
    Failover,
    /// A file or Terraform state backed up, corrupted, restored and
    /// verified by checksum.
    FileRestore,
    /// PostgreSQL backup, disaster and restore (dump, base backup, WAL
    /// archive with PITR, synchronous WAL stream): RTO, RPO from an
    /// acknowledged heartbeat, integrity per table.
    PgBackupRestore,
}

impl DrillKind {
    /// Name as written in drill files.
    pub fn as_str(self) -> &'static str {
        match self {
            DrillKind::Experiment => "experiment",
            DrillKind::DeploymentRollback => "deployment_rollback",
            DrillKind::BlueGreen => "blue_green",
            DrillKind::KillSwitch => "kill_switch",
            DrillKind::Alerting => "alerting",
            DrillKind::Runbook => "runbook",
            DrillKind::Failover => "failover",
            DrillKind::FileRestore => "file_restore",
            DrillKind::PgBackupRestore => "pg_backup_restore",
        }
    }

    /// Short label for narrow columns.
    pub fn short(self) -> &'static str {
        match self {
            DrillKind::Experiment => "experiment",
            DrillKind::DeploymentRollback => "deploy+rb",
            DrillKind::BlueGreen => "blue-green",
            DrillKind::KillSwitch => "kill-switch",
            DrillKind::Alerting => "alerting",
            DrillKind::Runbook => "runbook",
            DrillKind::Failover => "failover",
            DrillKind::FileRestore => "file-dr",
            DrillKind::PgBackupRestore => "pg-dr",
        }
    }
}

/// Where in the drill a step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Steady-state hypothesis, before the method.
    SteadyBefore,
    /// The method.
    Method,
    /// Steady-state hypothesis, after the method.
    SteadyAfter,
    /// A rollback.
    Rollback,
    /// A stop condition that tripped.
    StopCondition,
}

impl Phase {
    /// Short label.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::SteadyBefore => "steady-before",
            Phase::Method => "method",
            Phase::SteadyAfter => "steady-after",
            Phase::Rollback => "rollback",
            Phase::StopCondition => "stop",
        }
    }
}

/// How one step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// It ran and met its tolerance (or the action succeeded).
    Ok,
    /// It ran and did not meet its tolerance (or the action failed).
    Failed,
    /// Killed at its timeout.
    TimedOut,
    /// It could not run at all (target unreachable, program missing).
    Error,
    /// Not run (the drill was aborted before it).
    Skipped,
}

impl StepOutcome {
    /// Text badge, so state is never carried by colour alone.
    pub fn badge(self) -> &'static str {
        match self {
            StepOutcome::Ok => "ok",
            StepOutcome::Failed => "FAIL",
            StepOutcome::TimedOut => "TIMEOUT",
            StepOutcome::Error => "ERROR",
            StepOutcome::Skipped => "skip",
        }
    }
}

/// A step as planned, so a viewer can show the steps to come.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepPlan {
    /// Step name.
    pub name: String,
    /// Where it runs.
    pub phase: Phase,
    /// Its timeout, milliseconds.
    pub timeout_ms: u64,
}

/// An objective as declared: `switch_time_s <= 5`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// The measurement it judges.
    pub measure: String,
    /// The comparison.
    pub op: Bound,
    /// The bound.
    pub value: f64,
}

/// The comparison of an objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Bound {
    /// `<=`
    #[serde(rename = "<=")]
    AtMost,
    /// `<`
    #[serde(rename = "<")]
    Below,
    /// `>=`
    #[serde(rename = ">=")]
    AtLeast,
    /// `>`
    #[serde(rename = ">")]
    Above,
    /// `==`
    #[serde(rename = "==")]
    Equal,
}

impl Bound {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::AtMost => "<=",
            Bound::Below => "<",
            Bound::AtLeast => ">=",
            Bound::Above => ">",
            Bound::Equal => "==",
        }
    }
}

impl Objective {
    /// Parse `name <= 5` (operators `<=`, `<`, `>=`, `>`, `==`).
    pub fn parse(text: &str) -> Result<Objective, String> {
        const OPS: [(&str, Bound); 5] = [
            ("<=", Bound::AtMost),
            (">=", Bound::AtLeast),
            ("==", Bound::Equal),
            ("<", Bound::Below),
            (">", Bound::Above),
        ];
        let Some((pos, op, bound)) = OPS
            .iter()
            .filter_map(|(s, b)| text.find(s).map(|p| (p, *s, *b)))
            .min_by_key(|(p, s, _)| (*p, usize::MAX - s.len()))
        else {
            return Err(format!(
                "objective `{text}` has no comparison; write it like `switch_time_s <= 5`"
            ));
        };
        let measure = text[..pos].trim();
        let value = text[pos + op.len()..].trim();
        if measure.is_empty()
            || !measure
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!(
                "objective `{text}`: `{measure}` is not a measurement name (letters, digits, _)"
            ));
        }
        let value: f64 = value.parse().map_err(|_| {
            format!(
                "objective `{text}`: `{value}` is not a number; write it like `{measure} {op} 5`"
            )
        })?;
        if !value.is_finite() {
            return Err(format!("objective `{text}`: the bound must be finite"));
        }
        Ok(Objective {
            measure: measure.to_string(),
            op: bound,
            value,
        })
    }

    /// The bound as written, e.g. `<= 5`.
    pub fn bound_text(&self) -> String {
        format!("{} {}", self.op.as_str(), self.value)
    }

    /// Judge a measured value: pass when within the bound, fail otherwise,
    /// inconclusive when nothing was measured.
    pub fn judge(&self, measured: Option<f64>) -> Verdict {
        let Some(m) = measured.filter(|m| m.is_finite()) else {
            return Verdict::Inconclusive;
        };
        let ok = match self.op {
            Bound::AtMost => m <= self.value,
            Bound::Below => m < self.value,
            Bound::AtLeast => m >= self.value,
            Bound::Above => m > self.value,
            Bound::Equal => (m - self.value).abs() < 1e-9,
        };
        if ok { Verdict::Pass } else { Verdict::Fail }
    }
}

/// A measured value as people read it: whole numbers without decimals,
/// others to three significant decimals (`0.207`, `12`, `1.5`).
pub fn value_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.measure, self.bound_text())
    }
}

/// An objective judged at the end of a drill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveResult {
    /// The objective.
    pub objective: Objective,
    /// What was measured, if anything.
    pub measured: Option<f64>,
    /// The judgement.
    pub verdict: Verdict,
}

/// `drill_started`: a drill began, with its plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillStarted {
    /// The stage running it (`drill` for the standalone command).
    pub stage: String,
    /// Drill name (unique within the stage).
    pub drill: String,
    /// Its kind.
    pub kind: DrillKind,
    /// The declared steps (kinds add their own as they go).
    pub steps: Vec<StepPlan>,
    /// The objectives.
    pub objectives: Vec<Objective>,
    /// The whole drill's timeout, milliseconds.
    pub timeout_ms: u64,
}

/// `drill_step`: a step started (`outcome` absent) or ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillStep {
    /// Stage id.
    pub stage: String,
    /// Drill name.
    pub drill: String,
    /// Step name.
    pub step: String,
    /// Where it runs.
    pub phase: Phase,
    /// Its timeout, milliseconds.
    pub timeout_ms: u64,
    /// Absent when the step starts; how it ended otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<StepOutcome>,
    /// How long it took, milliseconds (0 at the start).
    #[serde(default)]
    pub elapsed_ms: u64,
    /// What was seen against what was expected, e.g. `status 503 not in {200}`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// What it printed or answered: size-capped and redacted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
}

/// `drill_measurement`: a measured value, the input of objectives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillMeasurement {
    /// Stage id.
    pub stage: String,
    /// Drill name.
    pub drill: String,
    /// Measurement name, e.g. `deploy_time_s`.
    pub name: String,
    /// The value.
    pub value: f64,
}

/// How a drill ended, beyond its verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillEnd {
    /// Ran to the end.
    Completed,
    /// The steady state could not be checked or was not met before the
    /// method: nothing was tested.
    NotStarted,
    /// A method step failed; rollbacks ran.
    MethodFailed,
    /// A stop condition tripped; rollbacks ran.
    Stopped,
    /// The operator aborted it; rollbacks ran.
    Aborted,
    /// The drill's own timeout passed; rollbacks ran.
    TimedOut,
    /// What the drill needs is not installed here (PostgreSQL): nothing
    /// ran, and the verdict is Skipped with the reason.
    Skipped,
}

impl DrillEnd {
    /// As people read it (`method failed`), for panes and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DrillEnd::Completed => "completed",
            DrillEnd::NotStarted => "not started",
            DrillEnd::MethodFailed => "method failed",
            DrillEnd::Stopped => "stopped",
            DrillEnd::Aborted => "aborted",
            DrillEnd::TimedOut => "timed out",
            DrillEnd::Skipped => "skipped",
        }
    }
}

/// `drill_finished`: a drill's verdict, objectives and rollback state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillFinished {
    /// Stage id.
    pub stage: String,
    /// Drill name.
    pub drill: String,
    /// The verdict.
    pub verdict: Verdict,
    /// How it ended.
    pub end: DrillEnd,
    /// One line: why this verdict.
    pub summary: String,
    /// Each objective against its bound.
    pub objectives: Vec<ObjectiveResult>,
    /// Rollbacks ran (on failure, abort, or `rollback_on_success`).
    pub rolled_back: bool,
    /// A rollback failed or hung: the system may be left faulted.
    pub rollback_failed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_parse_each_operator() {
        let o = Objective::parse("switch_time_s <= 5").unwrap();
        assert_eq!(
            (o.measure.as_str(), o.op, o.value),
            ("switch_time_s", Bound::AtMost, 5.0)
        );
        assert_eq!(Objective::parse("a<1").unwrap().op, Bound::Below);
        assert_eq!(Objective::parse("a >= 1.5").unwrap().op, Bound::AtLeast);
        assert_eq!(Objective::parse("a > 0").unwrap().op, Bound::Above);
        assert_eq!(
            Objective::parse("failed_requests == 0").unwrap().op,
            Bound::Equal
        );
        assert!(Objective::parse("switch_time_s 5").is_err());
        assert!(Objective::parse("switch time <= 5").is_err());
        assert!(
            Objective::parse("x <= fast")
                .unwrap_err()
                .contains("not a number")
        );
    }

    #[test]
    fn objectives_judge_against_the_bound() {
        let o = Objective::parse("failed_requests <= 0").unwrap();
        assert_eq!(o.judge(Some(0.0)), Verdict::Pass);
        assert_eq!(o.judge(Some(1.0)), Verdict::Fail);
        assert_eq!(o.judge(None), Verdict::Inconclusive);
        assert_eq!(o.judge(Some(f64::NAN)), Verdict::Inconclusive);
        let o = Objective::parse("t < 5").unwrap();
        assert_eq!(o.judge(Some(5.0)), Verdict::Fail);
        assert_eq!(o.judge(Some(4.99)), Verdict::Pass);
        let o = Objective::parse("rps >= 10").unwrap();
        assert_eq!(o.judge(Some(10.0)), Verdict::Pass);
        assert_eq!(o.to_string(), "rps >= 10");
    }
}
