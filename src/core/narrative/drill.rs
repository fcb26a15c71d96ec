//! The narrative of drills: each drill's start, each step's end, and the
//! drill's verdict with its objectives and rollback state.

use crate::core::drill::StepOutcome;
use crate::core::event::{Event, LogLevel};
use crate::core::narrative::{Line, verdict_level};

/// The line for a drill event, if it deserves one.
pub(super) fn line(event: &Event) -> Option<Line> {
    let (level, stage, text) = match event {
        Event::DrillStarted(d) => (
            LogLevel::Info,
            &d.stage,
            format!("drill {} ({}) started", d.drill, d.kind.as_str()),
        ),
        Event::DrillStep(s) => {
            let outcome = s.outcome?;
            let level = match outcome {
                StepOutcome::Ok | StepOutcome::Skipped => LogLevel::Debug,
                StepOutcome::Failed | StepOutcome::TimedOut | StepOutcome::Error => LogLevel::Warn,
            };
            let detail = if s.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", s.detail)
            };
            (
                level,
                &s.stage,
                format!(
                    "drill {} {} {} {} in {} ms{detail}",
                    s.drill,
                    s.phase.as_str(),
                    s.step,
                    outcome.badge(),
                    s.elapsed_ms
                ),
            )
        }
        Event::DrillMeasurement(m) => (
            LogLevel::Debug,
            &m.stage,
            format!("drill {} measured {} = {}", m.drill, m.name, m.value),
        ),
        Event::DrillMark(mk) => (
            LogLevel::Info,
            &mk.stage,
            format!(
                "drill {} {} at {} ms{}",
                mk.drill,
                mk.mark.as_str(),
                mk.at_ms,
                if mk.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", mk.detail)
                }
            ),
        ),
        Event::DrillRecovery(r) => {
            let bad = r.integrity.iter().filter(|t| !t.ok).count();
            (
                if bad > 0 {
                    LogLevel::Warn
                } else {
                    LogLevel::Info
                },
                &r.stage,
                format!(
                    "drill {} recovery by {}: {} tables checked, {bad} not matching",
                    r.drill,
                    r.method,
                    r.integrity.len()
                ),
            )
        }
        Event::DrillFinished(f) => {
            let level = if f.rollback_failed {
                LogLevel::Error
            } else {
                verdict_level(f.verdict)
            };
            (
                level,
                &f.stage,
                format!("drill {} {}: {}", f.drill, f.verdict.badge(), f.summary),
            )
        }
        _ => return None,
    };
    Some(Line {
        level,
        stage: Some(stage.clone()),
        text,
    })
}
