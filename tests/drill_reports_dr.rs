//! Recovery drills reach the reports from the same events: `report.json`
//! carries each drill's marks and recovery evidence and a
//! `disaster_recovery` entry with `rto_s`, `rpo_s`, `lost_writes`, backup
//! and restore, integrity per table and the objective verdicts; `report.md`
//! and `report.html` list the same evidence for each recovery drill.

use flightdeck::core::disaster::{Ack, DrillMark, DrillRecovery, Mark, TableIntegrity};
use flightdeck::core::drill::{
    DrillEnd, DrillFinished, DrillKind, DrillStarted, Objective, ObjectiveResult,
};
use flightdeck::core::event::{EnvRisk, Event, StageKind, StagePlan};
use flightdeck::core::verdict::Verdict;
use flightdeck::record::Recorder;
use tokio_util::sync::CancellationToken;

fn started(rec: &Recorder) {
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
}

#[tokio::test]
async fn a_file_restore_drill_reaches_report_json_md_and_html() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.conf"), "listen = 8080\n").unwrap();
    let text = format!(
        r#"
[[drill]]
name = "conf-restore"
kind = "file_restore"
objectives = ["rto_s <= 10", "integrity_failures <= 0"]
[drill.params]
path = "{}"
"#,
        dir.path().join("app.conf").display()
    );
    let rec = Recorder::new(None);
    started(&rec);
    let doc: toml::Value = toml::from_str(&text).expect("toml");
    let section = flightdeck::drill::config::DrillSection(
        serde_json::to_value(doc).expect("json")["drill"]
            .as_array()
            .expect("drills")
            .clone(),
    );
    flightdeck::drill::stage::run_stage(&section, "drills", &rec, None, CancellationToken::new())
        .await;
    let s = rec.snapshot();
    let r = flightdeck::report::Report::from_state(&s);
    let json: serde_json::Value =
        serde_json::from_str(&flightdeck::report::report_json(&r).expect("json")).expect("parse");
    let d = &json["drills"][0];
    assert_eq!(d["verdict"], "pass", "{d:#}");
    assert_eq!(d["marks"][2]["mark"], "disaster");
    assert_eq!(d["recovery"]["integrity"][0]["ok"], true);
    let e = &json["disaster_recovery"][0];
    assert_eq!(e["drill"], "conf-restore");
    assert!(e["rto_s"].as_f64().is_some(), "{e:#}");
    // No heartbeat in a file drill: RPO is not measured, and says so.
    assert!(e["rpo_s"].is_null() && e["lost_writes"].is_null(), "{e:#}");
    assert_eq!(e["backup_bytes"], 14);
    assert_eq!(e["objectives"][0]["verdict"], "pass");

    let md = flightdeck::report::markdown(&r);
    assert!(
        md.contains("### Disaster recovery: conf-restore (PASS)"),
        "{md}"
    );
    assert!(
        md.contains("| method | file copy (built-in backup and restore) |"),
        "{md}"
    );
    assert!(md.contains("| backup | 14 B, took "), "{md}");
    assert!(md.contains("(objective rto_s <= 10: PASS)"), "{md}");
    assert!(
        md.contains("| RPO | not measured: no heartbeat in this drill |"),
        "{md}"
    );
    assert!(md.contains("| integrity | 1/1 tables match |"), "{md}");
    // A copy of 14 bytes may take under a millisecond: the backup marks
    // may sit at T0 itself, so only the disaster's place is fixed.
    assert!(md.contains("\nTimeline: "), "{md}");
    assert!(md.contains("; T0 disaster (T0); "), "{md}");

    let html = flightdeck::report::html::html(&r, &s);
    assert!(html.contains("disaster recovery"), "{html}");
    assert!(
        html.contains("<span class=\"badge pass\">match</span>"),
        "{html}"
    );
}

#[test]
fn a_restore_that_lost_writes_shows_rpo_and_the_mismatch_in_every_report() {
    let rec = Recorder::new(None);
    started(&rec);
    let obj = |t: &str| Objective::parse(t).expect("objective");
    rec.emit(Event::StageStarted {
        stage: "drills".into(),
    });
    rec.emit(Event::DrillStarted(DrillStarted {
        stage: "drills".into(),
        drill: "orders".into(),
        kind: DrillKind::Experiment,
        steps: Vec::new(),
        objectives: vec![obj("rto_s <= 30"), obj("lost_writes <= 0")],
        timeout_ms: 60_000,
    }));
    for (mark, at_ms) in [
        (Mark::BackupStarted, 100),
        (Mark::BackupDone, 2_100),
        (Mark::Disaster, 5_000),
        (Mark::RestoreStarted, 5_050),
        (Mark::RestoreDone, 6_050),
        (Mark::ServiceHealthy, 6_500),
        (Mark::DataVerified, 7_000),
    ] {
        rec.emit(Event::DrillMark(DrillMark {
            stage: "drills".into(),
            drill: "orders".into(),
            mark,
            at_ms,
            detail: String::new(),
        }));
    }
    rec.emit(Event::DrillRecovery(DrillRecovery {
        stage: "drills".into(),
        drill: "orders".into(),
        method: "pg_dump -Fc + pg_restore -j 2".into(),
        rpo_expectation: "everything after the dump is lost".into(),
        last_acked: Some(Ack {
            seq: 48,
            at_ms: 4_950,
        }),
        restored: Some(Ack {
            seq: 20,
            at_ms: 2_050,
        }),
        integrity: vec![TableIntegrity {
            table: "public.orders".into(),
            expected_rows: 100,
            restored_rows: 99,
            expected_sum: "123456789012345678901".into(),
            restored_sum: "123456789012345678000".into(),
            ok: false,
            note: "a row changed after the restore".into(),
        }],
    }));
    rec.emit(Event::DrillFinished(DrillFinished {
        stage: "drills".into(),
        drill: "orders".into(),
        verdict: Verdict::Fail,
        end: DrillEnd::MethodFailed,
        summary: "method step verify FAIL".into(),
        objectives: vec![
            ObjectiveResult {
                objective: obj("rto_s <= 30"),
                measured: Some(2.0),
                verdict: Verdict::Pass,
            },
            ObjectiveResult {
                objective: obj("lost_writes <= 0"),
                measured: Some(28.0),
                verdict: Verdict::Fail,
            },
        ],
        rolled_back: false,
        rollback_failed: false,
    }));
    let s = rec.snapshot();
    let r = flightdeck::report::Report::from_state(&s);
    let json: serde_json::Value =
        serde_json::from_str(&flightdeck::report::report_json(&r).expect("json")).expect("parse");
    let e = &json["disaster_recovery"][0];
    assert_eq!(e["rto_s"], 2.0);
    assert_eq!(e["lost_writes"], 28);
    assert_eq!(e["rpo_s"], 2.9);
    assert_eq!(e["backup_s"], 2.0);
    assert_eq!(e["restore_s"], 1.0);
    assert_eq!(e["integrity"][0]["ok"], false);
    let md = flightdeck::report::markdown(&r);
    assert!(
        md.contains("| RPO | 2.90s, 28 lost writes (objective lost_writes <= 0: FAIL) |"),
        "{md}"
    );
    assert!(
        md.contains("| public.orders | 100 | 99 | 1234567890123456… |"),
        "{md}"
    );
    assert!(
        md.contains("MISMATCH: a row changed after the restore"),
        "{md}"
    );
    let html = flightdeck::report::html::html(&r, &s);
    assert!(
        html.contains("<span class=\"badge fail\">MISMATCH</span>"),
        "{html}"
    );
    assert!(html.contains("28 lost writes"), "{html}");
}
