use super::*;
use crate::core::event::{
    ActionKind, EVENT_VERSION, Envelope, Event, FlagChangeKind, HealthCheck, LogLevel, Outcome,
};
use crate::core::gate::Decision;
use crate::core::verdict::{Evidence, Verdict};
use chrono::TimeZone;

fn at(seq: u64, secs: i64, event: Event) -> Envelope {
    Envelope {
        v: EVENT_VERSION,
        seq,
        ts: Utc
            .timestamp_opt(1_790_000_000 + secs, 0)
            .single()
            .unwrap_or_default(),
        event,
    }
}

fn started() -> Event {
    Event::RunStarted {
        run_id: "r1".into(),
        service: "shop-api".into(),
        release: "2.0".into(),
        environment: "preprod-eu".into(),
        risk: EnvRisk::Preprod,
        operator: "sam".into(),
        operator_identity: None,
        read_only: false,
        stages: vec![
            StagePlan {
                id: "env".into(),
                kind: StageKind::Environment,
                weight: 1.0,
                hard: true,
            },
            StagePlan {
                id: "gate".into(),
                kind: StageKind::Gate,
                weight: 0.0,
                hard: false,
            },
        ],
        pass_score: 90.0,
        warn_score: 70.0,
    }
}

fn finished(stage: &str, verdict: Verdict) -> Event {
    Event::StageFinished {
        stage: stage.into(),
        verdict,
        summary: format!("{stage} done"),
        evidence: vec![Evidence {
            label: "x".into(),
            value: "y".into(),
            threshold: None,
            verdict,
        }],
    }
}

fn health(endpoint: &str, attempt: u32, verdict: Verdict) -> Event {
    Event::HealthCheck(HealthCheck {
        stage: "env".into(),
        endpoint: endpoint.into(),
        url: "http://127.0.0.1:1/healthz".into(),
        attempt,
        last: verdict != Verdict::Fail,
        status: Some(200),
        latency_ms: Some(3.0),
        version: None,
        verdict,
        reason: None,
    })
}

#[test]
fn run_started_sets_info_and_plan_in_order() {
    let s = RunState::from_envelopes(&[at(1, 0, started())]);
    let info = s.info.as_ref().expect("info");
    assert_eq!(info.run_id, "r1");
    assert_eq!(info.operator, "sam");
    assert_eq!(
        s.stages
            .iter()
            .map(|s| s.plan.id.as_str())
            .collect::<Vec<_>>(),
        ["env", "gate"]
    );
    assert!(s.stages.iter().all(|s| s.status == StageStatus::Pending));
    assert!(s.in_progress());
}

#[test]
fn second_run_started_is_an_anomaly_and_ignored() {
    let s = RunState::from_envelopes(&[at(1, 0, started()), at(2, 1, started())]);
    assert_eq!(s.anomalies.len(), 1);
    assert_eq!(s.stages.len(), 2);
}

#[test]
fn stage_lifecycle_progress_and_finish() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        at(
            3,
            2,
            Event::StageProgress {
                stage: "env".into(),
                message: "checking".into(),
                fraction: Some(0.5),
            },
        ),
    ]);
    let env = s.stage("env").expect("env");
    assert_eq!(env.status, StageStatus::Running);
    assert_eq!(env.progress.as_deref(), Some("checking"));
    assert_eq!(env.fraction, Some(0.5));
    assert_eq!(env.runs, 1);
    let mut s = s;
    s.apply(&at(4, 3, finished("env", Verdict::Pass)));
    let env = s.stage("env").expect("env");
    assert_eq!(env.status, StageStatus::Finished);
    assert_eq!(env.verdict, Some(Verdict::Pass));
    assert_eq!(env.summary, "env done");
    assert_eq!(env.evidence.len(), 1);
    assert!(env.finished_at > env.started_at);
}

#[test]
fn health_checks_keep_the_latest_attempt_per_endpoint() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        at(3, 1, health("api", 1, Verdict::Fail)),
        at(4, 1, health("db", 1, Verdict::Pass)),
        at(5, 2, health("api", 2, Verdict::Pass)),
    ]);
    assert_eq!(s.health.len(), 2);
    assert_eq!(s.health[0].endpoint, "api");
    assert_eq!(s.health[0].attempt, 2);
    assert_eq!(s.health[0].verdict, Verdict::Pass);
}

#[test]
fn restarting_a_stage_clears_its_old_results() {
    let mut s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        at(3, 1, health("api", 1, Verdict::Pass)),
        at(4, 2, finished("env", Verdict::Pass)),
        at(5, 3, Event::GateDecision(decision(Outcome::Go))),
        at(
            6,
            3,
            Event::RunFinished {
                outcome: Outcome::Go,
                reason: None,
            },
        ),
    ]);
    assert!(!s.in_progress());
    s.apply(&at(
        7,
        4,
        Event::OperatorAction {
            actor: "sam".into(),
            identity: None,
            action: ActionKind::RerunStage,
            target: Some("env".into()),
            reason: None,
        },
    ));
    assert!(s.in_progress(), "a rerun reopens the run");
    assert!(s.decision_stale);
    s.apply(&at(
        8,
        4,
        Event::StageStarted {
            stage: "env".into(),
        },
    ));
    let env = s.stage("env").expect("env");
    assert_eq!(env.verdict, None);
    assert_eq!(env.runs, 2);
    assert!(s.health.is_empty());
    assert_eq!(s.actions.len(), 1);
}

fn decision(outcome: Outcome) -> Decision {
    Decision {
        score: 100.0,
        band: Verdict::Pass,
        outcome,
        lost: vec![],
        rationale: "r".into(),
    }
}

#[test]
fn gate_decision_and_run_finished() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(2, 5, Event::GateDecision(decision(Outcome::NoGo))),
        at(
            3,
            6,
            Event::RunFinished {
                outcome: Outcome::NoGo,
                reason: None,
            },
        ),
    ]);
    assert_eq!(s.decision.as_ref().map(|d| d.outcome), Some(Outcome::NoGo));
    assert_eq!(s.outcome, Some(Outcome::NoGo));
    assert!(!s.in_progress());
}

#[test]
fn run_finished_marks_running_stages_inconclusive() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        at(
            3,
            2,
            Event::RunFinished {
                outcome: Outcome::Inconclusive,
                reason: Some("aborted: SIGTERM".into()),
            },
        ),
    ]);
    let env = s.stage("env").expect("env");
    assert_eq!(env.verdict, Some(Verdict::Inconclusive));
    assert_eq!(s.end_reason.as_deref(), Some("aborted: SIGTERM"));
}

#[test]
fn log_lines_are_kept_and_capped() {
    let mut s = RunState::default();
    for i in 0..(MAX_LOG_LINES as u64 + 10) {
        s.apply(&at(
            i + 1,
            0,
            Event::Log {
                level: LogLevel::Info,
                stage: None,
                message: format!("line {i}"),
            },
        ));
    }
    assert_eq!(s.logs.len(), MAX_LOG_LINES);
    assert_eq!(s.logs_dropped, 10);
    assert_eq!(s.logs[0].message, "line 10");
}

#[test]
fn operator_actions_are_recorded() {
    let s = RunState::from_envelopes(&[at(
        1,
        0,
        Event::OperatorAction {
            actor: "sam".into(),
            identity: None,
            action: ActionKind::Abort,
            target: None,
            reason: Some("operator quit".into()),
        },
    )]);
    assert_eq!(s.actions[0].action, ActionKind::Abort);
    assert_eq!(s.actions[0].reason.as_deref(), Some("operator quit"));
}

#[test]
fn out_of_order_stage_events_before_the_plan_are_kept() {
    let s = RunState::from_envelopes(&[
        at(1, 1, finished("env", Verdict::Warn)),
        at(2, 0, started()),
    ]);
    assert_eq!(s.stages.len(), 2);
    let env = s.stage("env").expect("env");
    assert_eq!(env.verdict, Some(Verdict::Warn));
    assert!(env.plan.hard, "the plan entry replaces the placeholder");
    assert!(s.anomalies.iter().any(|a| a.contains("not in the plan")));
    assert!(s.anomalies.iter().any(|a| a.contains("older than")));
}

#[test]
fn events_for_unplanned_stages_are_kept_with_an_anomaly() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "ghost".into(),
            },
        ),
    ]);
    assert_eq!(s.stages.len(), 3);
    assert_eq!(s.stage("ghost").map(|g| g.plan.weight), Some(0.0));
    assert!(s.anomalies.iter().any(|a| a.contains("ghost")));
}

#[test]
fn newer_versions_and_unknown_types_are_skipped_with_an_anomaly() {
    let mut newer = at(
        2,
        1,
        Event::StageStarted {
            stage: "env".into(),
        },
    );
    newer.v = EVENT_VERSION + 1;
    let s = RunState::from_envelopes(&[at(1, 0, started()), newer, at(3, 2, Event::Unknown)]);
    assert_eq!(s.stage("env").map(|e| e.status), Some(StageStatus::Pending));
    assert_eq!(s.anomalies.len(), 2);
    assert!(s.anomalies[0].contains("version 2"));
    assert!(s.anomalies[1].contains("does not know"));
}

#[test]
fn provisional_score_follows_the_verdicts() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(2, 1, finished("env", Verdict::Fail)),
    ]);
    let d = crate::gate::provisional(&s).expect("decision");
    assert_eq!(d.outcome, Outcome::NoGo);
    assert_eq!(d.score, 0.0);
}

fn flag_state(percent: f64) -> crate::core::flags::FlagState {
    crate::core::flags::FlagState {
        flag: "checkout-v2".into(),
        provider: "file".into(),
        enabled: true,
        rollout_percent: Some(percent),
        canary_variant: Some("canary".into()),
        variants: vec!["canary".into(), "baseline".into()],
        default_variant: Some("baseline".into()),
        summary: String::new(),
    }
}

#[test]
fn rollback_goes_pending_then_failed_then_confirmed_by_a_retry() {
    use crate::core::state::canary::RollbackStatus;
    let mut s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::CanaryStarted {
                stage: "canary".into(),
                flag: "checkout-v2".into(),
                provider: "file".into(),
                steps: vec![5.0, 100.0],
                hold_s: 10,
                state: flag_state(5.0),
            },
        ),
        at(
            3,
            2,
            Event::OperatorAction {
                actor: "sam".into(),
                identity: None,
                action: ActionKind::Rollback,
                target: Some("checkout-v2".into()),
                reason: Some("operator key R".into()),
            },
        ),
    ]);
    let rb = |s: &RunState| {
        s.canary
            .as_ref()
            .and_then(|c| c.rollback.clone())
            .expect("rollback")
    };
    assert_eq!(rb(&s).status, RollbackStatus::Pending);
    assert_eq!(s.canary.as_ref().and_then(|c| c.percent), Some(5.0));
    s.apply(&at(
        4,
        2,
        Event::FlagChangeFailed {
            flag: "checkout-v2".into(),
            actor: "sam".into(),
            action: FlagChangeKind::Rollback,
            attempt: 1,
            error: "connection refused".into(),
        },
    ));
    assert_eq!(
        rb(&s).status,
        RollbackStatus::Failed("connection refused".into())
    );
    s.apply(&at(
        5,
        3,
        Event::FlagChanged {
            change: None,
            flag: "checkout-v2".into(),
            provider: "file".into(),
            from: Some(5.0),
            to: Some(0.0),
            enabled: true,
            actor: "sam".into(),
            reason: "rollback: operator key R".into(),
            elapsed_ms: 120.5,
        },
    ));
    assert_eq!(rb(&s).status, RollbackStatus::Confirmed);
    assert_eq!(rb(&s).elapsed_ms, Some(120.5));
    let c = s.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    assert!(!c.active());
}

fn risky_plan() -> crate::iac::plan::PlanSummary {
    let doc = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": [
            {"address": "aws_db_instance.main", "type": "aws_db_instance", "mode": "managed",
             "change": {"actions": ["delete", "create"], "before": {"engine": "postgres"}, "after": {"engine": "postgres"}}},
            {"address": "aws_instance.web", "type": "aws_instance", "mode": "managed",
             "change": {"actions": ["create"], "before": null, "after": {"ami": "ami-1"}}},
            {"address": "aws_instance.api", "type": "aws_instance", "mode": "managed",
             "change": {"actions": ["update"], "before": {"ami": "ami-1"}, "after": {"ami": "ami-2"}}}
        ]
    });
    crate::iac::plan::summarize(std::path::Path::new("tf.plan"), &doc).expect("plan")
}

fn approval_requested(timeout_s: u64) -> Event {
    let request = crate::core::iac::approval::ApprovalRequest::new(
        "terraform",
        "/srv/env/tf.plan",
        &risky_plan(),
        std::time::Duration::from_secs(timeout_s),
        Utc.timestamp_opt(1_790_000_002, 0)
            .single()
            .unwrap_or_default(),
    );
    Event::ApplyApprovalRequested {
        stage: "env".into(),
        request: Box::new(request),
    }
}

#[test]
fn an_apply_approval_waits_then_records_the_operators_yes() {
    use crate::core::iac::approval::ApprovalDecision;
    let mut s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        at(3, 2, approval_requested(600)),
    ]);
    let a = s.pending_approval().expect("pending");
    assert_eq!(a.stage, "env");
    assert_eq!(a.request.counts_text(false), "+1 ~1 -0 ±1");
    assert_eq!(a.request.destructive, vec!["-/+ aws_db_instance.main"]);
    assert_eq!(a.request.risk, Some(crate::iac::plan::RiskLevel::High));
    assert_eq!(
        a.seconds_left(
            Utc.timestamp_opt(1_790_000_062, 0)
                .single()
                .unwrap_or_default()
        ),
        540
    );
    s.apply(&at(
        4,
        30,
        Event::OperatorAction {
            actor: "sam".into(),
            identity: None,
            action: ActionKind::ApproveApply,
            target: Some("env".into()),
            reason: Some("plan reviewed".into()),
        },
    ));
    assert!(
        s.pending_approval().is_some(),
        "pending until the stage says"
    );
    s.apply(&at(
        5,
        30,
        Event::ApplyApprovalResolved {
            stage: "env".into(),
            decision: ApprovalDecision::Approved {
                actor: "sam".into(),
                reason: Some("plan reviewed".into()),
            },
        },
    ));
    assert!(s.pending_approval().is_none());
    let a = s.approval.as_ref().expect("kept after the decision");
    assert!(a.decision.as_ref().is_some_and(|d| d.approved()));
    assert_eq!(
        a.resolved_at.map(|t| (t - a.requested_at).num_seconds()),
        Some(28)
    );
    assert_eq!(
        s.actions.last().map(|a| a.action.as_str()),
        Some("approve_apply")
    );
    let texts: Vec<&str> = s.logs.iter().map(|l| l.message.as_str()).collect();
    assert!(
        texts.contains(
            &"apply awaits approval: +1 ~1 -0 +-1 (/srv/env/tf.plan); DESTRUCTIVE: -/+ aws_db_instance.main; risk HIGH; waits 10m"
        ),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"apply approved by sam (plan reviewed)"),
        "{texts:?}"
    );
}

#[test]
fn a_declined_or_timed_out_approval_is_no_longer_pending_and_says_why() {
    use crate::core::iac::approval::ApprovalDecision;
    for (decision, line, level) in [
        (
            ApprovalDecision::Declined {
                actor: "sam".into(),
                reason: None,
            },
            "apply not run: declined by sam",
            LogLevel::Warn,
        ),
        (
            ApprovalDecision::TimedOut { after_s: 90 },
            "apply not run: no answer within 1m30s",
            LogLevel::Warn,
        ),
        (
            ApprovalDecision::Unavailable {
                why: crate::iac::approval::NOBODY_TO_CONFIRM.into(),
            },
            "apply not run: apply awaits operator confirmation; run with --approve-apply or in the TUI",
            LogLevel::Warn,
        ),
    ] {
        let s = RunState::from_envelopes(&[
            at(1, 0, started()),
            at(
                2,
                1,
                Event::StageStarted {
                    stage: "env".into(),
                },
            ),
            at(3, 2, approval_requested(90)),
            at(
                4,
                3,
                Event::ApplyApprovalResolved {
                    stage: "env".into(),
                    decision: decision.clone(),
                },
            ),
        ]);
        assert!(s.pending_approval().is_none());
        assert_eq!(
            s.approval.as_ref().and_then(|a| a.decision.clone()),
            Some(decision)
        );
        let last = s.logs.last().expect("narrated");
        assert_eq!((last.message.as_str(), last.level), (line, level));
    }
}

#[test]
fn an_approval_is_not_pending_once_its_stage_stopped_or_restarted() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        at(3, 2, approval_requested(600)),
        at(
            4,
            3,
            Event::RunFinished {
                outcome: Outcome::Inconclusive,
                reason: Some("aborted: operator quit".into()),
            },
        ),
    ]);
    assert!(
        s.pending_approval().is_none(),
        "the run ended: nobody waits"
    );
    assert!(s.approval.as_ref().is_some_and(|a| a.waiting()));

    let mut s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        at(3, 2, approval_requested(600)),
    ]);
    s.apply(&at(
        4,
        3,
        Event::StageStarted {
            stage: "env".into(),
        },
    ));
    assert!(s.approval.is_none(), "a rerun asks again");
}

#[test]
fn a_resolution_without_its_request_is_an_anomaly() {
    let s = RunState::from_envelopes(&[
        at(1, 0, started()),
        at(
            2,
            1,
            Event::ApplyApprovalResolved {
                stage: "env".into(),
                decision: crate::core::iac::approval::ApprovalDecision::TimedOut { after_s: 5 },
            },
        ),
    ]);
    assert!(s.approval.is_none());
    assert!(
        s.anomalies[0].contains("resolved before it was requested"),
        "{:?}",
        s.anomalies
    );
}

#[test]
fn approval_events_survive_the_journal_round_trip() {
    let e = at(3, 2, approval_requested(600));
    let line = serde_json::to_string(&e).unwrap();
    assert!(
        line.contains("\"type\":\"apply_approval_requested\""),
        "{line}"
    );
    let back: Envelope = serde_json::from_str(&line).unwrap();
    assert_eq!(back, e);
    assert!(e.event.is_durable());
    let r = at(
        4,
        3,
        Event::ApplyApprovalResolved {
            stage: "env".into(),
            decision: crate::core::iac::approval::ApprovalDecision::Declined {
                actor: "sam".into(),
                reason: Some("deletes the database".into()),
            },
        },
    );
    let line = serde_json::to_string(&r).unwrap();
    assert!(line.contains("\"decision\":\"declined\""), "{line}");
    assert_eq!(serde_json::from_str::<Envelope>(&line).unwrap(), r);
}

fn started_with_canary() -> Event {
    let Event::RunStarted {
        run_id,
        service,
        release,
        environment,
        risk,
        operator,
        operator_identity,
        read_only,
        mut stages,
        pass_score,
        warn_score,
    } = started()
    else {
        unreachable!("started() is a run_started")
    };
    stages.insert(
        1,
        StagePlan {
            id: "canary".into(),
            kind: StageKind::Canary,
            weight: 1.0,
            hard: true,
        },
    );
    // The environment weighs so much that a canary warning alone keeps the
    // score in the pass band: only the override rule makes it a warning.
    stages[0].weight = 99.0;
    Event::RunStarted {
        run_id,
        service,
        release,
        environment,
        risk,
        operator,
        operator_identity,
        read_only,
        stages,
        pass_score,
        warn_score,
    }
}

fn canary_started() -> Event {
    Event::CanaryStarted {
        stage: "canary".into(),
        flag: "checkout-v2".into(),
        provider: "file".into(),
        steps: vec![5.0, 25.0, 100.0],
        hold_s: 10,
        state: flag_state(25.0),
    }
}

fn auto_rollback() -> Event {
    Event::CanaryAutoRollback {
        stage: "canary".into(),
        flag: "checkout-v2".into(),
        trigger: "live guard".into(),
        reason: "live guard at step 2 (25%): error rate 20% > 5%".into(),
        delay_ms: 3_000,
        max_hold_ms: 600_000,
    }
}

fn action(actor: &str, action: &str, reason: &str) -> Event {
    Event::OperatorAction {
        actor: actor.into(),
        identity: None,
        action: serde_json::from_value(serde_json::Value::String(action.into()))
            .expect("a known action"),
        target: Some("checkout-v2".into()),
        reason: Some(reason.into()),
    }
}

fn ts(secs: i64) -> DateTime<Utc> {
    at(0, secs, Event::Unknown).ts
}

fn auto(s: &RunState) -> crate::core::state::canary::AutoRollbackView {
    s.canary
        .as_ref()
        .and_then(|c| c.auto.clone())
        .expect("automatic rollback")
}

#[test]
fn automatic_rollback_counts_down_is_held_released_and_rolls_back() {
    use crate::core::state::canary::AutoStatus;
    let mut s = RunState::from_envelopes(&[
        at(1, 0, started_with_canary()),
        at(2, 1, canary_started()),
        at(3, 10, auto_rollback()),
    ]);
    let a = auto(&s);
    assert_eq!(a.trigger, "live guard");
    assert_eq!(a.status, AutoStatus::Counting { deadline: ts(13) });
    assert!(a.pending() && a.counting());
    // A release with nothing held changes nothing.
    s.apply(&at(4, 11, action("sam", "release", "operator key H")));
    assert_eq!(auto(&s).status, AutoStatus::Counting { deadline: ts(13) });
    s.apply(&at(5, 12, action("sam", "hold", "operator key H")));
    assert_eq!(
        auto(&s).status,
        AutoStatus::Held {
            by: "sam".into(),
            since: ts(12),
            expires_at: ts(612),
        }
    );
    assert_eq!(auto(&s).held_by, ["sam"]);
    // Released long after the first deadline: the countdown restarts in full.
    s.apply(&at(6, 100, action("sam", "release", "operator key H")));
    assert_eq!(auto(&s).status, AutoStatus::Counting { deadline: ts(103) });
    s.apply(&at(
        7,
        103,
        action("live guard", "rollback", "live guard at step 2"),
    ));
    assert_eq!(
        auto(&s).status,
        AutoStatus::RolledBack {
            by: "live guard".into()
        }
    );
    assert!(!auto(&s).pending());
    // Once settled, a late hold is ignored.
    s.apply(&at(8, 104, action("sam", "hold", "operator key H")));
    assert!(!auto(&s).pending());
    let rb = s.canary.as_ref().and_then(|c| c.rollback.clone());
    assert_eq!(rb.map(|r| r.actor).as_deref(), Some("live guard"));
    let text: Vec<&str> = s.logs.iter().map(|l| l.message.as_str()).collect();
    for want in [
        "automatic rollback of checkout-v2 in 3s (live guard at step 2 (25%): error rate 20% > 5%); an operator can hold it (H)",
        "sam holds the automatic rollback of checkout-v2",
        "sam releases the hold on checkout-v2",
    ] {
        assert!(text.iter().any(|t| t.contains(want)), "{want}: {text:#?}");
    }
}

#[test]
fn an_expired_hold_is_recorded_then_the_rollback_settles_it() {
    use crate::core::state::canary::AutoStatus;
    let s = RunState::from_envelopes(&[
        at(1, 0, started_with_canary()),
        at(2, 1, canary_started()),
        at(3, 10, auto_rollback()),
        at(4, 11, action("sam", "hold", "operator key H")),
        at(
            5,
            611,
            action(
                "live guard",
                "hold_expired",
                "held by sam for canary.max_hold (10m)",
            ),
        ),
    ]);
    assert_eq!(auto(&s).status, AutoStatus::Expired { by: "sam".into() });
    assert!(auto(&s).pending(), "the rollback still has to happen");
    assert!(
        s.logs
            .iter()
            .any(|l| l.message.starts_with("hold on checkout-v2 expired")),
        "{:#?}",
        s.logs
    );
    let mut s = s;
    s.apply(&at(
        6,
        611,
        action("live guard", "rollback", "hold expired: ..."),
    ));
    assert_eq!(
        auto(&s).status,
        AutoStatus::RolledBack {
            by: "live guard".into()
        }
    );
}

#[test]
fn promoting_over_a_held_rollback_is_an_override_the_gate_names() {
    use crate::core::state::canary::AutoStatus;
    let mut s = RunState::from_envelopes(&[
        at(1, 0, started_with_canary()),
        at(2, 1, canary_started()),
        at(3, 10, auto_rollback()),
        at(4, 11, action("sam", "hold", "operator key H")),
        at(
            5,
            20,
            action(
                "sam",
                "promote",
                "override: automatic rollback held (live guard: ...)",
            ),
        ),
    ]);
    // Journalled, not yet confirmed by the provider: still held.
    assert!(auto(&s).held());
    s.apply(&at(
        6,
        20,
        Event::FlagChanged {
            change: None,
            flag: "checkout-v2".into(),
            provider: "file".into(),
            from: Some(25.0),
            to: Some(100.0),
            enabled: true,
            actor: "sam".into(),
            reason: "promote: override: automatic rollback held (live guard: ...)".into(),
            elapsed_ms: 2.0,
        },
    ));
    assert_eq!(auto(&s).status, AutoStatus::Overridden { by: "sam".into() });
    assert!(
        auto(&s)
            .override_note()
            .is_some_and(|n| n.starts_with("promoted by sam over a held automatic rollback"))
    );
    s.apply(&at(7, 21, finished("env", Verdict::Pass)));
    s.apply(&at(8, 21, finished("canary", Verdict::Warn)));
    let d = crate::gate::provisional(&s).expect("decision");
    assert_eq!(d.outcome, Outcome::Go);
    assert!(d.score >= 90.0, "the score alone would pass: {}", d.score);
    assert_eq!(d.band, Verdict::Warn, "never a clean GO");
    assert!(
        d.rationale
            .contains("operator override on canary: promoted by sam"),
        "{}",
        d.rationale
    );
}
