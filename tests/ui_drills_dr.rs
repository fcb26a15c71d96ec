//! The Drills pane's DR timeline, from folded events: disaster at T0,
//! restore started, data verified, service healthy as relative times; RTO
//! and RPO beside their objectives with text badges; lost writes; the
//! integrity summary. Snapshots at 120x40 (beside the table) and 80x24
//! (under it, compact screen).

mod ui_support;

use flightdeck::core::disaster::{Ack, DrillMark, DrillRecovery, Mark, TableIntegrity};
use flightdeck::core::drill::{
    DrillEnd, DrillFinished, DrillKind, DrillMeasurement, DrillStarted, Objective, ObjectiveResult,
};
use flightdeck::core::event::{EnvRisk, Envelope, Event, StageKind, StagePlan};
use flightdeck::core::verdict::Verdict;
use flightdeck::ui::Pane;
use ui_support::*;

fn obj(text: &str) -> Objective {
    Objective::parse(text).expect("objective")
}

fn mark(drill: &str, mark: Mark, at_ms: u64, detail: &str) -> Event {
    Event::DrillMark(DrillMark {
        stage: "drills".into(),
        drill: drill.into(),
        mark,
        at_ms,
        detail: detail.into(),
    })
}

fn measure(drill: &str, name: &str, value: f64) -> Event {
    Event::DrillMeasurement(DrillMeasurement {
        stage: "drills".into(),
        drill: drill.into(),
        name: name.into(),
        value,
    })
}

fn table(name: &str, rows: (i64, i64), ok: bool) -> TableIntegrity {
    TableIntegrity {
        table: name.into(),
        expected_rows: rows.0,
        restored_rows: rows.1,
        expected_sum: "918273".into(),
        restored_sum: if ok { "918273" } else { "918270" }.into(),
        ok,
        note: String::new(),
    }
}

/// A failover drill that passed, then a database restore that lost writes
/// and holds one table that does not match (failed).
fn envelopes() -> Vec<Envelope> {
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
            stages: vec![StagePlan {
                id: "drills".into(),
                kind: StageKind::Drill,
                weight: 1.0,
                hard: true,
            }],
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
    let fo = [
        "failover_time_s <= 5",
        "failed_requests <= 20",
        "rto_s <= 10",
    ];
    push(
        1,
        Event::DrillStarted(DrillStarted {
            stage: "drills".into(),
            drill: "failover".into(),
            kind: DrillKind::Failover,
            steps: Vec::new(),
            objectives: fo.iter().map(|o| obj(o)).collect(),
            timeout_ms: 60_000,
        }),
    );
    push(
        2,
        mark(
            "failover",
            Mark::Disaster,
            1_000,
            "SIGKILL to process group 4242 (pid 4242)",
        ),
    );
    push(
        2,
        mark(
            "failover",
            Mark::RestoreStarted,
            1_003,
            "first failed request; door switched to secondary",
        ),
    );
    push(
        2,
        mark(
            "failover",
            Mark::ServiceHealthy,
            1_058,
            "5 requests in a row succeeded",
        ),
    );
    push(
        2,
        mark(
            "failover",
            Mark::DataVerified,
            1_072,
            "the survivor's version and data match",
        ),
    );
    for (n, v) in [
        ("failover_time_s", 0.058),
        ("failed_requests", 1.0),
        ("rto_s", 0.072),
    ] {
        push(3, measure("failover", n, v));
    }
    push(
        3,
        Event::DrillRecovery(DrillRecovery {
            stage: "drills".into(),
            drill: "failover".into(),
            method: "failover: SIGKILL of the primary's process group".into(),
            rpo_expectation: String::new(),
            last_acked: None,
            restored: None,
            integrity: vec![table("{front}/api/products", (52, 52), true)],
        }),
    );
    push(
        4,
        Event::DrillFinished(DrillFinished {
            stage: "drills".into(),
            drill: "failover".into(),
            verdict: Verdict::Pass,
            end: DrillEnd::Completed,
            summary: "completed; 3 of 3 objectives met".into(),
            objectives: fo
                .iter()
                .zip([0.058, 1.0, 0.072])
                .map(|(o, v)| ObjectiveResult {
                    objective: obj(o),
                    measured: Some(v),
                    verdict: Verdict::Pass,
                })
                .collect(),
            rolled_back: true,
            rollback_failed: false,
        }),
    );
    let pg = ["rto_s <= 30", "lost_writes <= 0"];
    push(
        5,
        Event::DrillStarted(DrillStarted {
            stage: "drills".into(),
            drill: "orders-restore".into(),
            kind: DrillKind::Experiment,
            steps: Vec::new(),
            objectives: pg.iter().map(|o| obj(o)).collect(),
            timeout_ms: 600_000,
        }),
    );
    push(5, mark("orders-restore", Mark::BackupStarted, 200, ""));
    push(6, mark("orders-restore", Mark::BackupDone, 1_400, "4.1 MB"));
    push(
        9,
        mark(
            "orders-restore",
            Mark::Disaster,
            5_000,
            "SIGKILL to process group 9001",
        ),
    );
    push(9, mark("orders-restore", Mark::RestoreStarted, 5_100, ""));
    push(11, mark("orders-restore", Mark::RestoreDone, 6_600, ""));
    push(
        11,
        mark("orders-restore", Mark::ServiceHealthy, 7_000, "SELECT 1"),
    );
    push(
        12,
        mark(
            "orders-restore",
            Mark::DataVerified,
            7_600,
            "1 table differs",
        ),
    );
    for (n, v) in [
        ("backup_bytes", 4_100_000.0),
        ("rto_s", 2.6),
        ("rpo_s", 3.8),
        ("lost_writes", 38.0),
    ] {
        push(12, measure("orders-restore", n, v));
    }
    push(
        12,
        Event::DrillRecovery(DrillRecovery {
            stage: "drills".into(),
            drill: "orders-restore".into(),
            method: "pg_dump -Fc + pg_restore -j 2".into(),
            rpo_expectation: "everything after the dump is lost".into(),
            last_acked: Some(Ack {
                seq: 50,
                at_ms: 4_900,
            }),
            restored: Some(Ack {
                seq: 12,
                at_ms: 1_100,
            }),
            integrity: vec![
                table("public.customers", (1_000, 1_000), true),
                table("public.orders", (5_000, 4_999), false),
                table("public.items", (20, 20), true),
            ],
        }),
    );
    push(
        13,
        Event::DrillFinished(DrillFinished {
            stage: "drills".into(),
            drill: "orders-restore".into(),
            verdict: Verdict::Fail,
            end: DrillEnd::MethodFailed,
            summary: "method step verify FAIL: public.orders differs".into(),
            objectives: vec![
                ObjectiveResult {
                    objective: obj(pg[0]),
                    measured: Some(2.6),
                    verdict: Verdict::Pass,
                },
                ObjectiveResult {
                    objective: obj(pg[1]),
                    measured: Some(38.0),
                    verdict: Verdict::Fail,
                },
            ],
            rolled_back: false,
            rollback_failed: false,
        }),
    );
    out
}

fn dr_app() -> flightdeck::ui::app::App {
    let mut app = app_with(&envelopes(), &opts());
    press(&mut app, "7");
    assert_eq!(app.focus(), Pane::Drills);
    app
}

#[test]
fn dr_timeline_beside_the_table_at_120x40() {
    let app = dr_app();
    let t = text(&render(&app, 120, 40));
    // The selected drill (failover, the first row) is a recovery drill.
    assert!(t.contains("DR timeline: failover PASS"), "{t}");
    assert!(t.contains("RTO 0.07s  rto_s <= 10 PASS"), "{t}");
    assert!(t.contains("1/1 tables match"), "{t}");
    insta::assert_snapshot!("drills_dr_120x40", t);
}

#[test]
fn dr_timeline_under_the_table_at_80x24() {
    let mut app = dr_app();
    press(&mut app, "down");
    let t = text(&render(&app, 80, 24));
    assert!(t.contains("DR timeline: orders-restore FAIL"), "{t}");
    assert!(t.contains("T0+2.60s"), "{t}");
    assert!(t.contains("lost writes 38"), "{t}");
    assert!(t.contains("lost_writes <= 0 FAIL"), "{t}");
    assert!(
        t.contains("2/3 tables match; public.orders MISMATCH: count 5000 -> 4999"),
        "{t}"
    );
    insta::assert_snapshot!("drills_dr_80x24", t);
}
