//! The Drills pane (7): shown only when the plan has a drill stage; one row
//! per drill with kind, state, current step with its time against its
//! timeout, and objectives against their bounds; Enter opens the steps;
//! `K` aborts the running drill. Snapshots at 120x40 and 80x24.

mod ui_support;

use flightdeck::core::command::Command;
use flightdeck::core::drill::{
    DrillEnd, DrillFinished, DrillKind, DrillMeasurement, DrillStarted, DrillStep, Objective,
    ObjectiveResult, Phase, StepOutcome, StepPlan,
};
use flightdeck::core::event::{EnvRisk, Envelope, Event, StageKind, StagePlan};
use flightdeck::core::verdict::Verdict;
use flightdeck::ui::Pane;
use flightdeck::ui::app::Effect;
use ui_support::*;

fn plan(id: &str, kind: StageKind) -> StagePlan {
    StagePlan {
        id: id.into(),
        kind,
        weight: 1.0,
        hard: true,
    }
}

fn step(
    drill: &str,
    name: &str,
    phase: Phase,
    outcome: Option<StepOutcome>,
    ms: u64,
    detail: &str,
) -> Event {
    Event::DrillStep(DrillStep {
        stage: "drills".into(),
        drill: drill.into(),
        step: name.into(),
        phase,
        timeout_ms: 30_000,
        outcome,
        elapsed_ms: ms,
        detail: detail.into(),
        output: String::new(),
    })
}

fn obj(text: &str) -> Objective {
    Objective::parse(text).expect("objective")
}

/// A run with a drill stage: blue-green finished (failed, its rollback
/// failed too), deploy-rollback running its wait step.
fn drill_envelopes() -> Vec<Envelope> {
    let mut out = Vec::new();
    let mut seq = 0;
    let mut push = |secs: i64, e: Event| {
        seq += 1;
        out.push(envelope(seq, secs, e));
    };
    push(
        0,
        Event::RunStarted {
            run_id: "7f3a1c2d9e8b4a61".into(),
            service: "shop-api".into(),
            release: "2.14.0-rc3".into(),
            environment: "preprod-eu".into(),
            risk: EnvRisk::Preprod,
            operator: "sam".into(),
            operator_identity: None,
            read_only: false,
            stages: vec![
                plan("env", StageKind::Environment),
                plan("drills", StageKind::Drill),
                plan("gate", StageKind::Gate),
            ],
            pass_score: 90.0,
            warn_score: 70.0,
        },
    );
    push(
        1,
        Event::StageStarted {
            stage: "drills".into(),
        },
    );
    push(
        1,
        Event::DrillStarted(DrillStarted {
            stage: "drills".into(),
            drill: "blue-green".into(),
            kind: DrillKind::BlueGreen,
            steps: vec![StepPlan {
                name: "switch to green".into(),
                phase: Phase::Method,
                timeout_ms: 10_000,
            }],
            objectives: vec![obj("failed_requests <= 0"), obj("switch_time_s <= 5")],
            timeout_ms: 120_000,
        }),
    );
    push(
        2,
        step("blue-green", "switch to green", Phase::Method, None, 0, ""),
    );
    push(
        2,
        step(
            "blue-green",
            "switch to green",
            Phase::Method,
            Some(StepOutcome::Ok),
            4,
            "POST http://127.0.0.1:41235/admin/switch: 200",
        ),
    );
    push(
        3,
        step(
            "blue-green",
            "wait until all answers come from green",
            Phase::Method,
            Some(StepOutcome::Ok),
            1512,
            "all answers from green after 1.512 s",
        ),
    );
    for (n, v) in [("failed_requests", 60.0), ("switch_time_s", 1.512)] {
        push(
            6,
            Event::DrillMeasurement(DrillMeasurement {
                stage: "drills".into(),
                drill: "blue-green".into(),
                name: n.into(),
                value: v,
            }),
        );
    }
    push(
        7,
        step(
            "blue-green",
            "restore blue as active",
            Phase::Rollback,
            Some(StepOutcome::TimedOut),
            10_000,
            "not done within 10s",
        ),
    );
    push(
        8,
        Event::DrillFinished(DrillFinished {
            stage: "drills".into(),
            drill: "blue-green".into(),
            verdict: Verdict::Fail,
            end: DrillEnd::Completed,
            summary: "objective missed: failed_requests = 60 (bound <= 0); ROLLBACK FAILED".into(),
            objectives: vec![
                ObjectiveResult {
                    objective: obj("failed_requests <= 0"),
                    measured: Some(60.0),
                    verdict: Verdict::Fail,
                },
                ObjectiveResult {
                    objective: obj("switch_time_s <= 5"),
                    measured: Some(1.512),
                    verdict: Verdict::Pass,
                },
            ],
            rolled_back: true,
            rollback_failed: true,
        }),
    );
    push(
        10,
        Event::DrillStarted(DrillStarted {
            stage: "drills".into(),
            drill: "deploy-rollback".into(),
            kind: DrillKind::DeploymentRollback,
            steps: vec![
                StepPlan {
                    name: "fleet healthy".into(),
                    phase: Phase::SteadyBefore,
                    timeout_ms: 5_000,
                },
                StepPlan {
                    name: "deploy 2.14.0-rc3".into(),
                    phase: Phase::Method,
                    timeout_ms: 10_000,
                },
                StepPlan {
                    name: "wait until every probe sees 2.14.0-rc3".into(),
                    phase: Phase::Method,
                    timeout_ms: 30_000,
                },
                StepPlan {
                    name: "roll back to 2.13.4".into(),
                    phase: Phase::Method,
                    timeout_ms: 10_000,
                },
            ],
            objectives: vec![obj("deploy_time_s <= 10"), obj("failed_requests <= 0")],
            timeout_ms: 120_000,
        }),
    );
    push(
        11,
        step(
            "deploy-rollback",
            "fleet healthy",
            Phase::SteadyBefore,
            Some(StepOutcome::Ok),
            3,
            "status 200",
        ),
    );
    push(
        12,
        step(
            "deploy-rollback",
            "deploy 2.14.0-rc3",
            Phase::Method,
            Some(StepOutcome::Ok),
            5,
            "POST http://127.0.0.1:41234/admin/deploy: 202",
        ),
    );
    push(
        24,
        step(
            "deploy-rollback",
            "wait until every probe sees 2.14.0-rc3",
            Phase::Method,
            None,
            0,
            "",
        ),
    );
    out
}

fn drills_app() -> flightdeck::ui::app::App {
    let mut app = app_with(&drill_envelopes(), &opts());
    press(&mut app, "7");
    assert_eq!(app.focus(), Pane::Drills);
    app
}

#[test]
fn drills_pane_120x40() {
    let app = drills_app();
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("RB FAIL"), "{t}");
    assert!(t.contains("0:06/0:30"), "{t}");
    insta::assert_snapshot!("drills_120x40", t);
}

#[test]
fn drills_pane_80x24() {
    let app = drills_app();
    let t = text(&render(&app, 80, 24));
    assert!(t.contains("1/2 met"), "{t}");
    insta::assert_snapshot!("drills_80x24", t);
}

#[test]
fn enter_lists_the_steps_with_timing_and_objectives() {
    let mut app = drills_app();
    press(&mut app, "enter");
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("restore blue as active"), "{t}");
    assert!(t.contains("failed_requests = 60  bound <= 0"), "{t}");
    insta::assert_snapshot!("drill_detail_120x40", t);
    press(&mut app, "esc");
    let t = text(&render(&app, 80, 24));
    assert!(!t.contains("[Drill"), "{t}");
}

#[test]
fn k_on_the_drills_pane_aborts_the_running_drill() {
    let mut app = drills_app();
    let effects = press(&mut app, "K");
    assert_eq!(
        effects,
        [Effect::Send(Command::AbortDrill {
            reason: "operator key K".into()
        })]
    );
}

#[test]
fn without_a_drill_stage_the_pane_is_not_shown() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "7");
    assert_eq!(app.focus(), Pane::Stages);
    let t = text(&render(&app, 120, 40));
    assert!(!t.contains("7 Drills"), "{t}");
}
