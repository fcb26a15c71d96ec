//! The run's story in words: one line per meaningful event. The same lines
//! feed the headless progress output, the log pane (through `tracing`), and
//! the log kept in the run state, so live, headless and replay read alike.

use crate::core::event::{ActionKind, Event, LogLevel, Outcome, TeardownTrigger};
use crate::core::format::trim_num;
use crate::core::policy::PolicyOutcome;
use crate::core::recovery::OrphanResolution;
use crate::core::scan::Severity;
use crate::core::verdict::Verdict;

mod drill;
mod sharing;

/// One narrative line: level, stage (if any) and text.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Severity.
    pub level: LogLevel,
    /// Stage the line belongs to.
    pub stage: Option<String>,
    /// Text, without the stage.
    pub text: String,
}

fn verdict_level(v: Verdict) -> LogLevel {
    match v {
        Verdict::Pass | Verdict::Skipped => LogLevel::Info,
        Verdict::Warn | Verdict::Inconclusive => LogLevel::Warn,
        Verdict::Fail => LogLevel::Error,
    }
}

/// Who acted, as a line names them: the name, and where from when that
/// is not this terminal (`sam (ssh from 203.0.113.9)`).
fn who(name: &str, identity: Option<&crate::core::actor::Actor>) -> String {
    identity.map_or_else(|| name.to_string(), |a| a.described())
}

/// The narrative line for an event, if it deserves one.
pub fn line(event: &Event) -> Option<Line> {
    let (level, stage, text) = match event {
        Event::RunStarted {
            run_id,
            service,
            release,
            environment,
            operator,
            operator_identity,
            ..
        } => (
            LogLevel::Info,
            None,
            format!(
                "run {run_id}: {service} {release} on {environment} by {}",
                who(operator, operator_identity.as_ref())
            ),
        ),
        Event::StageStarted { stage } => (LogLevel::Info, Some(stage), "started".to_string()),
        Event::StageProgress { stage, message, .. } => {
            (LogLevel::Debug, Some(stage), message.clone())
        }
        Event::Log {
            level,
            stage,
            message,
        } => (*level, stage.as_ref(), message.clone()),
        Event::EnvDestroyed {
            stage,
            trigger,
            verdict,
            summary,
        } => {
            let level = match verdict {
                Verdict::Fail => LogLevel::Error,
                Verdict::Skipped => LogLevel::Warn,
                _ => LogLevel::Info,
            };
            let when = match trigger {
                TeardownTrigger::EndOfRun => "teardown",
                TeardownTrigger::Operator => "teardown (operator)",
                TeardownTrigger::TtlExpired => "teardown (TTL expired)",
            };
            (level, Some(stage), format!("{when}: {summary}"))
        }
        Event::HealthCheck(h) if h.last => {
            let mut s = format!("{} {}", h.endpoint, h.verdict.badge());
            if let (Some(st), Some(l)) = (h.status, h.latency_ms) {
                s.push_str(&format!(" HTTP {st} {} ms", trim_num(l)));
            }
            if let Some(v) = &h.version {
                s.push_str(&format!(" version {v}"));
            }
            if let Some(r) = &h.reason {
                s.push_str(&format!(": {r}"));
            }
            (verdict_level(h.verdict), Some(&h.stage), s)
        }
        Event::Finding { stage, finding } => (
            match finding.severity {
                Severity::Critical | Severity::High => LogLevel::Warn,
                _ => LogLevel::Debug,
            },
            Some(stage),
            format!(
                "{} {}{}",
                finding.severity.badge(),
                finding.label(),
                match (&finding.acceptance, finding.suppression) {
                    (Some(a), _) => format!(" [accepted by {} until {}]", a.approver, a.expires),
                    (None, crate::core::scan::Suppression::Accepted) => " [suppressed]".to_string(),
                    _ => String::new(),
                }
            ),
        ),
        Event::PolicyResult { stage, result } => (
            match result.outcome {
                PolicyOutcome::Deny => LogLevel::Error,
                PolicyOutcome::Warn | PolicyOutcome::NotEvaluable => LogLevel::Warn,
                PolicyOutcome::Pass => LogLevel::Debug,
            },
            Some(stage),
            format!(
                "policy {} {}: {}{}",
                result.policy,
                result.rule,
                result.outcome.badge(),
                if result.messages.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", result.messages.join("; "))
                }
            ),
        ),
        Event::EnvIac { stage, report } => (
            verdict_level(report.verdict),
            Some(stage),
            format!(
                "IaC ({}) {}: {}",
                report.provisioner,
                report.verdict.badge(),
                report.summary
            ),
        ),
        Event::ApplyApprovalRequested { stage, request: r } => (
            LogLevel::Warn,
            Some(stage),
            format!(
                "apply awaits approval: {} ({}){}{}; waits {}",
                r.counts_text(true),
                r.plan_file,
                if r.destructive.is_empty() {
                    String::new()
                } else {
                    format!("; DESTRUCTIVE: {}", r.destructive.join(", "))
                },
                r.risk
                    .map(|l| format!("; risk {}", l.badge()))
                    .unwrap_or_default(),
                crate::core::format::wait_text(r.timeout_s)
            ),
        ),
        Event::ApplyApprovalResolved { stage, decision } => (
            if decision.approved() {
                LogLevel::Info
            } else {
                LogLevel::Warn
            },
            Some(stage),
            if decision.approved() {
                format!("apply {}", decision.text())
            } else {
                format!("apply not run: {}", decision.text())
            },
        ),
        Event::CanaryStarted {
            stage,
            flag,
            provider,
            steps,
            state,
            ..
        } => (
            LogLevel::Info,
            Some(stage),
            format!(
                "canary {flag} ({provider}) from {}%: steps {}",
                state
                    .rollout_percent
                    .map(trim_num)
                    .unwrap_or_else(|| "?".into()),
                steps
                    .iter()
                    .map(|s| format!("{}%", trim_num(*s)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ),
        Event::CanaryStep {
            stage,
            index,
            percent,
        } => (
            LogLevel::Info,
            Some(stage),
            format!("step {}: {}% canary", index + 1, trim_num(*percent)),
        ),
        Event::CanaryGuard { stage, status } if status.consecutive > 0 => (
            LogLevel::Warn,
            Some(stage),
            format!(
                "guard: {} breaching windows, {} to rollback{}",
                status.consecutive,
                status.remaining,
                status
                    .reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        ),
        Event::CanaryJudgement {
            stage,
            index,
            percent,
            judgement,
        } => (
            verdict_level(judgement.verdict),
            Some(stage),
            format!(
                "step {} ({}%) judged {}: {}",
                index + 1,
                trim_num(*percent),
                judgement.verdict.badge(),
                judgement.reason
            ),
        ),
        Event::FlagChanged {
            flag,
            from,
            to,
            enabled,
            actor,
            reason,
            elapsed_ms,
            ..
        } => (
            if reason.starts_with("rollback") {
                LogLevel::Warn
            } else {
                LogLevel::Info
            },
            None,
            format!(
                "flag {flag}: {} -> {}{} by {actor} ({reason}), confirmed in {} ms",
                from.map(|p| format!("{}%", trim_num(p)))
                    .unwrap_or_else(|| "?".into()),
                to.map(|p| format!("{}%", trim_num(p)))
                    .unwrap_or_else(|| "?".into()),
                if *enabled { "" } else { " off" },
                trim_num(*elapsed_ms)
            ),
        ),
        Event::FlagChangeFailed {
            flag,
            actor,
            action,
            attempt,
            error,
        } => (
            LogLevel::Error,
            None,
            format!(
                "flag {flag}: {} by {actor} failed (attempt {attempt}): {error}",
                action.as_str()
            ),
        ),
        Event::LoadStarted {
            stage,
            model,
            duration_s,
            connections,
            ..
        } => (
            LogLevel::Info,
            Some(stage),
            format!(
                "load started: {model} model, {} s, {connections} connections",
                trim_num(*duration_s)
            ),
        ),
        Event::LoadWindow { stage, window: w } => (
            if w.saturated {
                LogLevel::Warn
            } else {
                LogLevel::Debug
            },
            Some(stage),
            format!(
                "{:>3}s {:.0} req/s p50 {} ms p99 {} ms errors {}{}",
                w.second,
                w.achieved_rps,
                trim_num(w.p50_ms),
                trim_num(w.p99_ms),
                w.errors,
                if w.saturated {
                    " SATURATED (generator behind schedule)"
                } else {
                    ""
                }
            ),
        ),
        Event::LoadSummary { stage, summary: s } => (
            LogLevel::Info,
            Some(stage),
            format!(
                "load done: {} requests, {:.0} req/s, p50 {} ms p95 {} ms p99 {} ms, success {:.2}%",
                s.requests,
                s.requests_per_sec,
                trim_num(s.latency.p50_ms),
                trim_num(s.latency.p95_ms),
                trim_num(s.latency.p99_ms),
                s.success_rate * 100.0
            ),
        ),
        Event::CapacityStep(crate::core::capacity::StepEvent { stage, step, .. }) => (
            LogLevel::Info,
            Some(stage),
            format!(
                "capacity step {}: {}/s offered, {:.0}/s achieved, p99 {} ms, errors {:.2}%: {}",
                step.index,
                trim_num(step.rate_rps),
                step.achieved_rps,
                trim_num(step.p99_ms),
                step.error_rate * 100.0,
                step.outcome.map_or("?", |o| o.as_str())
            ),
        ),
        Event::CapacityResult(crate::core::capacity::ResultEvent { stage, result }) => (
            LogLevel::Info,
            Some(stage),
            format!("capacity: {}", result.reason),
        ),
        Event::StageFinished {
            stage,
            verdict,
            summary,
            ..
        } => (
            verdict_level(*verdict),
            Some(stage),
            if summary.starts_with(verdict.badge()) {
                summary.clone()
            } else {
                format!("{} {summary}", verdict.badge())
            },
        ),
        Event::GateDecision(d) => (
            match d.outcome {
                Outcome::Go => LogLevel::Info,
                Outcome::NoGo => LogLevel::Error,
                Outcome::Inconclusive => LogLevel::Warn,
            },
            None,
            format!(
                "decision {} score {} ({})",
                d.outcome.badge(),
                trim_num(d.score),
                d.rationale
            ),
        ),
        Event::CanaryAutoRollback {
            stage,
            flag,
            trigger,
            reason,
            delay_ms,
            ..
        } => (
            LogLevel::Warn,
            Some(stage),
            format!(
                "automatic rollback of {flag} in {} ({}); an operator can hold it (H)",
                crate::core::format::duration_text(std::time::Duration::from_millis(*delay_ms)),
                crate::core::state::canary::cause(trigger, reason)
            ),
        ),
        Event::OperatorAction {
            actor,
            identity,
            action,
            target,
            reason,
        } if matches!(
            action,
            ActionKind::Hold | ActionKind::Release | ActionKind::HoldExpired
        ) =>
        {
            let flag = target.as_deref().unwrap_or("the canary");
            let actor = who(actor, identity.as_ref());
            let why = reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let text = match action {
                ActionKind::Hold => format!(
                    "{actor} holds the automatic rollback of {flag}: the canary keeps its share{why}"
                ),
                ActionKind::Release => format!(
                    "{actor} releases the hold on {flag}: the rollback countdown restarts{why}"
                ),
                _ => format!("hold on {flag} expired{why}: rolling back"),
            };
            (LogLevel::Warn, None, text)
        }
        Event::OperatorAction {
            actor,
            identity,
            action,
            target,
            reason,
        } => (
            LogLevel::Warn,
            None,
            format!(
                "operator {}: {action}{}{}",
                who(actor, identity.as_ref()),
                target
                    .as_deref()
                    .map(|t| format!(" {t}"))
                    .unwrap_or_default(),
                reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        ),
        Event::OrphanFound { orphan } => (LogLevel::Warn, None, orphan.line()),
        Event::OrphanResolved {
            run_id,
            actor,
            resolution,
        } => (
            match resolution {
                OrphanResolution::Recovered { .. } => LogLevel::Info,
                _ => LogLevel::Warn,
            },
            None,
            format!("crashed run {run_id}: {} ({actor})", resolution.text()),
        ),
        Event::RunRecovered(r) => (LogLevel::Warn, None, r.line()),
        Event::HistoryContext(h) => (
            match &h.risk {
                Some(r) if r.level == crate::core::history::RiskLevel::High => LogLevel::Warn,
                _ => LogLevel::Info,
            },
            None,
            h.summary_line(),
        ),
        Event::ChangeImpact(sel) => (LogLevel::Info, None, sel.summary_line()),
        Event::OutcomeRecorded { actor, outcome } => (
            if outcome.result.is_bad() {
                LogLevel::Warn
            } else {
                LogLevel::Info
            },
            None,
            format!("production outcome recorded by {actor}: {}", outcome.text()),
        ),
        Event::RunFinished { outcome, reason } => (
            LogLevel::Info,
            None,
            format!(
                "finished: {}{}",
                outcome.badge(),
                reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        ),
        _ => return sharing::line(event).or_else(|| drill::line(event)),
    };
    Some(Line {
        level,
        stage: stage.cloned(),
        text,
    })
}
