//! A drill's results reach every face from the same events: report.json
//! (drills with objectives), report.md, report.html (a failed rollback in
//! words and in the failure colour), the `drill_objective_missed`
//! notification, history's drill objectives, and a replay of the journal
//! gives the same reports.

use flightdeck::core::event::{EnvRisk, Event, StageKind, StagePlan};
use flightdeck::core::notify::NotifyTrigger;
use flightdeck::core::state::RunState;
use flightdeck::record::Recorder;
use tokio_util::sync::CancellationToken;

const DRILLS: &str = r#"
[[drill]]
name = "slow-restart"
objectives = ["restart_time_s <= 0.01"]
rollback_on_success = true
[[drill.method]]
name = "restart"
action = "command"
argv = ["sleep", "0.1"]
measure = "restart_time_s"
[[drill.rollbacks]]
name = "rollback that fails"
action = "command"
argv = ["false"]
"#;

async fn run() -> (Recorder, RunState) {
    let rec = Recorder::new(None);
    rec.emit(Event::RunStarted {
        run_id: "r1".into(),
        service: "shop-api".into(),
        release: "2.14.0".into(),
        environment: "preprod".into(),
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
    });
    let doc: toml::Value = toml::from_str(DRILLS).expect("toml");
    let section = flightdeck::drill::config::DrillSection(
        serde_json::to_value(doc).expect("json")["drill"]
            .as_array()
            .expect("drills")
            .clone(),
    );
    flightdeck::drill::stage::run_stage(&section, "drills", &rec, None, CancellationToken::new())
        .await;
    rec.emit(Event::RunFinished {
        outcome: flightdeck::core::gate::Outcome::NoGo,
        reason: None,
    });
    let s = rec.snapshot();
    (rec, s)
}

#[tokio::test]
async fn a_missed_objective_and_a_failed_rollback_reach_every_report() {
    let (_rec, s) = run().await;
    let st = s.stage("drills").expect("stage");
    assert_eq!(st.verdict, Some(flightdeck::core::verdict::Verdict::Fail));
    // Each objective is evidence with its bound (history keeps it).
    let e = st
        .evidence
        .iter()
        .find(|e| e.label == "slow-restart restart_time_s")
        .expect("objective evidence");
    assert_eq!(e.threshold.as_deref(), Some("<= 0.01"));

    let r = flightdeck::report::Report::from_state(&s);
    let json: serde_json::Value =
        serde_json::from_str(&flightdeck::report::report_json(&r).expect("json")).expect("parse");
    let d = &json["drills"][0];
    assert_eq!(d["name"], "slow-restart");
    assert_eq!(d["rollback_failed"], true);
    assert_eq!(d["results"][0]["verdict"], "fail");

    let md = flightdeck::report::markdown(&r);
    assert!(md.contains("## Drills"), "{md}");
    assert!(md.contains("| restart_time_s |"), "{md}");
    assert!(md.contains("ROLLBACK FAILED in drill slow-restart"), "{md}");

    let html = flightdeck::report::html::html(&r, &s);
    assert!(html.contains("<section id=\"drills\">"), "{html}");
    assert!(html.contains("<span class=\"badge fail\">ROLLBACK FAILED</span>"));

    let rows = flightdeck::history::record::RunRecord::from_state(&s, "journal.jsonl", 0)
        .expect("a run record");
    assert!(
        rows.drills
            .iter()
            .any(|d| d.objective == "slow-restart restart_time_s"),
        "{:?}",
        rows.drills
    );
}

#[tokio::test]
async fn the_drill_objective_missed_notice_names_the_objective_and_the_rollback() {
    let (_rec, s) = run().await;
    let finished = s.drills[0].clone();
    let ev = flightdeck::core::event::Envelope {
        v: 1,
        seq: 1,
        ts: chrono::Utc::now(),
        event: Event::DrillFinished(flightdeck::core::drill::DrillFinished {
            stage: finished.stage.clone(),
            drill: finished.name.clone(),
            verdict: finished.verdict.expect("verdict"),
            end: finished.end.expect("end"),
            summary: finished.summary.clone(),
            objectives: finished.results.clone(),
            rolled_back: finished.rolled_back,
            rollback_failed: finished.rollback_failed,
        }),
    };
    let n = flightdeck::notify::notice::notice_for(&ev, &s).expect("a notice");
    assert_eq!(n.trigger, NotifyTrigger::DrillObjectiveMissed);
    assert!(n.title.contains("Drill slow-restart FAILED"), "{}", n.title);
    assert!(
        n.lines.iter().any(|l| l.contains("restart_time_s")),
        "{:?}",
        n.lines
    );
    assert!(
        n.lines.iter().any(|l| l.contains("ROLLBACK FAILED")),
        "{:?}",
        n.lines
    );
}
