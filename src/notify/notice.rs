//! Which events stakeholders hear about, and what the message says: the
//! moment, how serious, a title, and the evidence in one or two lines. Pure:
//! an event and the run state after it in, a notice out.

use crate::core::event::{Envelope, Event, FlagChangeKind, Outcome};
use crate::core::format::trim_num;
use crate::core::notify::{Notice, NotifySeverity, NotifyTrigger};
use crate::core::state::RunState;
use crate::core::verdict::Verdict;

fn run_name(s: &RunState) -> String {
    s.info.as_ref().map_or_else(
        || "the run".to_string(),
        |i| format!("{} {} on {}", i.service, i.release, i.environment),
    )
}

fn notice(
    trigger: NotifyTrigger,
    severity: NotifySeverity,
    title: String,
    lines: Vec<String>,
) -> Option<Notice> {
    Some(Notice {
        trigger,
        severity,
        title,
        lines,
    })
}

/// The notice an event deserves, if any. `s` is the state with the event
/// already applied.
pub fn notice_for(env: &Envelope, s: &RunState) -> Option<Notice> {
    match &env.event {
        Event::RunStarted {
            operator, stages, ..
        } => notice(
            NotifyTrigger::RunStarted,
            NotifySeverity::Info,
            format!("Validation of {} started by {operator}", run_name(s)),
            vec![format!(
                "plan: {}",
                stages
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
        ),
        Event::StageFinished {
            stage,
            verdict: Verdict::Fail,
            summary,
            evidence,
        } => {
            let hard = s.stage(stage).is_some_and(|st| st.plan.hard);
            let mut lines = vec![summary.clone()];
            if let Some(e) = evidence.iter().find(|e| e.verdict == Verdict::Fail) {
                lines.push(format!(
                    "{}: {}{}",
                    e.label,
                    e.value,
                    e.threshold
                        .as_deref()
                        .map(|t| format!(" (criterion {t})"))
                        .unwrap_or_default()
                ));
            }
            notice(
                NotifyTrigger::StageFailed,
                if hard {
                    NotifySeverity::Critical
                } else {
                    NotifySeverity::Warning
                },
                format!(
                    "Stage {stage} FAILED{} in {}",
                    if hard { " (hard gate)" } else { "" },
                    run_name(s)
                ),
                lines,
            )
        }
        Event::FlagChanged {
            change,
            flag,
            from,
            to,
            actor,
            reason,
            elapsed_ms,
            ..
        } if change.unwrap_or_else(|| FlagChangeKind::of_legacy_reason(reason))
            == FlagChangeKind::Rollback =>
        {
            let pct = |p: &Option<f64>| p.map_or("?".into(), |p| format!("{}%", trim_num(p)));
            notice(
                NotifyTrigger::Rollback,
                NotifySeverity::Critical,
                format!("Canary {flag} ROLLED BACK by {actor} in {}", run_name(s)),
                vec![
                    format!("why: {reason}"),
                    format!(
                        "{} -> {}, confirmed by the provider in {} ms",
                        pct(from),
                        pct(to),
                        trim_num(*elapsed_ms)
                    ),
                ],
            )
        }
        Event::FlagChangeFailed {
            flag,
            actor,
            action: FlagChangeKind::Rollback,
            attempt,
            error,
        } => notice(
            NotifyTrigger::Rollback,
            NotifySeverity::Critical,
            format!(
                "Rollback of canary {flag} FAILED (asked by {actor}) in {}",
                run_name(s)
            ),
            vec![format!("attempt {attempt}: {error}")],
        ),
        Event::DrillFinished(d)
            if d.rollback_failed || d.objectives.iter().any(|o| o.verdict == Verdict::Fail) =>
        {
            let mut lines: Vec<String> = d
                .objectives
                .iter()
                .filter(|o| o.verdict == Verdict::Fail)
                .map(|o| {
                    format!(
                        "{} = {} (bound {})",
                        o.objective.measure,
                        o.measured
                            .map_or("not measured".into(), crate::core::drill::value_text),
                        o.objective.bound_text()
                    )
                })
                .collect();
            if d.rollback_failed {
                lines.push("ROLLBACK FAILED: the system may be left in its faulted state".into());
            }
            notice(
                NotifyTrigger::DrillObjectiveMissed,
                if d.rollback_failed {
                    NotifySeverity::Critical
                } else {
                    NotifySeverity::Warning
                },
                format!("Drill {} FAILED in {}", d.drill, run_name(s)),
                lines,
            )
        }
        Event::ApplyApprovalRequested { stage, request } => {
            let c = &request.counts;
            notice(
                NotifyTrigger::ApprovalNeeded,
                NotifySeverity::Warning,
                format!("Apply approval needed for stage {stage} of {}", run_name(s)),
                vec![format!(
                    "plan {}: +{} ~{} -{} ±{}; waits {}s",
                    request.plan_file, c.create, c.update, c.delete, c.replace, request.timeout_s
                )],
            )
        }
        Event::SignoffRequested {
            needed,
            score,
            rationale,
            deadline,
            ..
        } => {
            let who: Vec<String> = needed
                .iter()
                .filter(|n| n.required)
                .map(|n| format!("{} ({})", n.role, n.who.join(", ")))
                .collect();
            notice(
                NotifyTrigger::ApprovalNeeded,
                NotifySeverity::Warning,
                format!("Sign-off needed for {}: {}", run_name(s), who.join("; ")),
                vec![
                    format!(
                        "the gate reached GO, score {}: {rationale}",
                        trim_num(*score)
                    ),
                    format!(
                        "sign before {} UTC: flightdeck signoff {} --role ROLE --approve|--reject --comment \"...\"",
                        deadline.format("%H:%M"),
                        s.info.as_ref().map_or("RUN", |i| i.run_id.as_str())
                    ),
                ],
            )
        }
        Event::GateDecision(d) => {
            let severity = match d.outcome {
                Outcome::Go if d.band == Verdict::Pass => NotifySeverity::Info,
                Outcome::Go | Outcome::Inconclusive => NotifySeverity::Warning,
                Outcome::NoGo => NotifySeverity::Critical,
            };
            let outcome = match d.outcome {
                Outcome::Go if d.band != Verdict::Pass => "GO with warnings",
                o => o.badge(),
            };
            let mut lines = vec![format!("score {}: {}", trim_num(d.score), d.rationale)];
            if let Some(l) = d.lost.first() {
                lines.push(format!("-{} points: {}", trim_num(l.points), l.reason));
            }
            notice(
                NotifyTrigger::Decision,
                severity,
                format!("{outcome}: {}", run_name(s)),
                lines,
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::EVENT_VERSION;
    use crate::core::gate::Decision;

    fn env(event: Event) -> Envelope {
        Envelope {
            v: EVENT_VERSION,
            seq: 1,
            ts: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            event,
        }
    }

    #[test]
    fn rollbacks_say_who_and_why_and_decisions_their_severity() {
        let s = RunState::default();
        let n = notice_for(
            &env(Event::FlagChanged {
                change: Some(FlagChangeKind::Rollback),
                flag: "checkout-v2".into(),
                provider: "file".into(),
                from: Some(25.0),
                to: Some(0.0),
                enabled: true,
                actor: "alice".into(),
                reason: "rollback: operator key R".into(),
                elapsed_ms: 3.0,
            }),
            &s,
        )
        .expect("a rollback notice");
        assert_eq!(n.trigger, NotifyTrigger::Rollback);
        assert_eq!(n.severity, NotifySeverity::Critical);
        assert!(n.title.contains("by alice"), "{}", n.title);
        assert_eq!(n.lines[0], "why: rollback: operator key R");
        let d = |outcome, band| {
            notice_for(
                &env(Event::GateDecision(Decision {
                    score: 80.0,
                    band,
                    outcome,
                    lost: Vec::new(),
                    rationale: "r".into(),
                })),
                &s,
            )
            .map(|n| (n.severity, n.title))
        };
        assert_eq!(
            d(Outcome::Go, Verdict::Warn),
            Some((
                NotifySeverity::Warning,
                "GO with warnings: the run".to_string()
            ))
        );
        assert_eq!(
            d(Outcome::NoGo, Verdict::Fail).map(|x| x.0),
            Some(NotifySeverity::Critical)
        );
        // A step of the rollout is no news.
        assert!(
            notice_for(
                &env(Event::FlagChanged {
                    change: Some(FlagChangeKind::Step),
                    flag: "f".into(),
                    provider: "file".into(),
                    from: Some(5.0),
                    to: Some(25.0),
                    enabled: true,
                    actor: "flightdeck".into(),
                    reason: "step 2/4: 25%".into(),
                    elapsed_ms: 1.0,
                }),
                &s
            )
            .is_none()
        );
    }
}
