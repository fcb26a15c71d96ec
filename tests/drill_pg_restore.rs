//! The PostgreSQL backup and restore drill on real PostgreSQL clusters
//! (initdb in temp directories, 127.0.0.1, as `postgres` when root): the
//! four methods with the heartbeat running, RPO per method (a dump loses
//! what came after it, a synchronous WAL stream nothing), a planted
//! corruption caught, the killed-postmaster variant, faults that name
//! their step, an abort mid-restore, and no process or directory left
//! behind on any path.

use std::time::Duration;

use flightdeck::core::disaster::Mark;
use flightdeck::core::drill::{DrillEnd, StepOutcome};
use flightdeck::core::verdict::Verdict;
use flightdeck::record::Recorder;
use tokio_util::sync::CancellationToken;

mod pg_drill_support;
use pg_drill_support::*;

#[tokio::test]
async fn dump_loses_the_writes_after_its_snapshot_in_line_with_the_time_since() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-dump",
        "\"rto_s <= 120\", \"lost_writes <= 1000\"",
        "method = \"dump\"\njobs = 2",
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    let lost = measured(&d, "lost_writes");
    let rpo = measured(&d, "rpo_s");
    // The heartbeat wrote at most one row per 100 ms between the dump's
    // snapshot (taken as the backup started) and the disaster.
    let at = |m: Mark| {
        d.marks
            .iter()
            .find(|x| x.mark == m)
            .map(|x| x.at_ms)
            .unwrap()
    };
    let window_s = (at(Mark::Disaster) - at(Mark::BackupStarted)) as f64 / 1000.0;
    assert!(window_s >= 2.0, "{window_s}");
    assert!(lost > 0.0, "{}", explain(&d));
    assert!(lost <= window_s * 10.0 + 2.0, "lost {lost} in {window_s} s");
    assert!(
        lost >= window_s * 10.0 / 4.0,
        "lost {lost} in {window_s} s: the heartbeat stalled"
    );
    assert!(
        rpo > 0.0 && rpo <= window_s + 0.5,
        "rpo {rpo} s, window {window_s} s"
    );
    assert!(measured(&d, "rto_s") > 0.0);
    assert_eq!(measured(&d, "integrity_failures"), 0.0);
    let rec = d.recovery.as_ref().expect("recovery evidence");
    assert_eq!(rec.integrity.len(), 3, "{:?}", rec.integrity);
    assert!(rec.integrity.iter().all(|t| t.ok), "{:?}", rec.integrity);
    assert_eq!(
        marks(&d),
        [
            Mark::BackupStarted,
            Mark::BackupDone,
            Mark::Disaster,
            Mark::RestoreStarted,
            Mark::RestoreDone,
            Mark::ServiceHealthy,
            Mark::DataVerified
        ]
    );
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn basebackup_restores_a_verified_copy_and_loses_what_came_after() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-basebackup",
        "\"rto_s <= 120\"",
        "method = \"basebackup\"\ndisaster = \"both\"",
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    assert!(measured(&d, "lost_writes") > 0.0, "{}", explain(&d));
    assert!(measured(&d, "backup_bytes") > 1_000_000.0);
    assert!(d.steps.iter().any(|s| s.name == "verify the backup"
        && s.detail.contains("pg_verifybackup")
        && s.outcome == Some(StepOutcome::Ok)));
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn wal_archive_pitr_loses_at_most_the_unarchived_tail() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-pitr",
        "\"rto_s <= 120\"",
        "method = \"wal_archive\"\ndisaster = \"both\"\nrun_after_backup = \"4s\"",
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    let lost = measured(&d, "lost_writes");
    let acked = measured(&d, "heartbeat_acked");
    // archive_timeout = 1s: the restore replays far past the base backup;
    // what is lost is the segment not yet archived, well under the 4 s
    // of writes after the backup.
    assert!(lost < 25.0, "lost {lost} of {acked}\n{}", explain(&d));
    assert!(
        d.recovery.as_ref().unwrap().integrity.iter().all(|t| t.ok),
        "{}",
        explain(&d)
    );
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn synchronous_wal_stream_loses_no_acknowledged_write() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-sync-wal",
        "\"rto_s <= 120\", \"lost_writes <= 0\"",
        "method = \"wal_stream\"\ndisaster = \"kill_group\"",
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    assert_eq!(measured(&d, "lost_writes"), 0.0);
    assert_eq!(measured(&d, "rpo_s"), 0.0);
    let acked = measured(&d, "heartbeat_acked");
    assert!(acked >= 10.0, "the heartbeat ran: {acked}");
    let rec = d.recovery.as_ref().unwrap();
    assert!(rec.restored.unwrap().seq >= rec.last_acked.unwrap().seq);
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn a_row_changed_after_the_restore_is_caught_and_fails_the_drill() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-corrupt",
        "\"rto_s <= 120\"",
        "method = \"basebackup\"\nrun_after_backup = \"1s\"\nbefore_verify = [\"{bin_dir}/psql\", \"-h\", \"{host}\", \"-p\", \"{port}\", \"-U\", \"{user}\", \"-d\", \"{dbname}\", \"-c\", \"UPDATE flightdeck_accounts SET balance = balance + 1 WHERE id = 7\"]",
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(d.summary.contains("wrong data"), "{}", d.summary);
    assert!(d.summary.contains("flightdeck_accounts"), "{}", d.summary);
    let rec = d.recovery.as_ref().unwrap();
    let bad: Vec<&str> = rec
        .integrity
        .iter()
        .filter(|t| !t.ok)
        .map(|t| t.table.as_str())
        .collect();
    assert_eq!(bad, ["public.flightdeck_accounts"]);
    let accounts = &rec.integrity[0];
    assert_eq!(accounts.expected_rows, accounts.restored_rows);
    assert_ne!(accounts.expected_sum, accounts.restored_sum);
    assert_eq!(measured(&d, "integrity_failures"), 1.0);
    // Not verified: no RTO.
    assert!(!marks(&d).contains(&Mark::DataVerified));
    assert_eq!(d.rto_s(), None);
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn killing_the_postmaster_alone_leaves_server_processes_running() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-postmaster",
        "\"rto_s <= 120\"",
        "method = \"wal_archive\"\ndisaster = \"kill_postmaster\"\nrun_after_backup = \"1s\"",
        work.path(),
    ))
    .await;
    // A backend mid-statement outlives the postmaster and still commits:
    // writes after T0 that a whole-tree kill would have stopped.
    let survivors = measured(&d, "survivors_after_postmaster");
    assert!(survivors >= 1.0, "{}", explain(&d));
    assert_eq!(
        measured(&d, "commits_after_postmaster_death"),
        1.0,
        "{}",
        explain(&d)
    );
    let step = d.steps.iter().find(|s| s.name == "disaster").unwrap();
    assert!(step.detail.contains("killed alone"), "{}", step.detail);
    // And the drill still cleans every one of them up, by PID.
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn a_missing_binary_fails_naming_the_step_and_leaves_nothing() {
    if !pg_available() {
        return;
    }
    let real = flightdeck::pg::BinDir::find(None).unwrap();
    let work = work_dir();
    // A bin directory with everything but pg_basebackup.
    let farm = work.path().join("bin");
    std::fs::create_dir(&farm).unwrap();
    for e in std::fs::read_dir(real.dir()).unwrap() {
        let e = e.unwrap();
        if e.file_name() != "pg_basebackup" {
            std::os::unix::fs::symlink(e.path(), farm.join(e.file_name())).unwrap();
        }
    }
    let ws = work.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ws, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let d = run(&drill(
        "pg-restore-nobin",
        "",
        &format!("method = \"basebackup\"\nbin_dir = \"{}\"", farm.display()),
        &ws,
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(
        d.summary.contains("backup") && d.summary.contains("`pg_basebackup` not found"),
        "{}",
        d.summary
    );
    assert!(!marks(&d).contains(&Mark::Disaster));
    assert_clean(&ws).await;
}

#[tokio::test]
async fn an_unwritable_archive_dir_fails_naming_the_step() {
    if !pg_available() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let work = work_dir();
    let archive = tempfile::tempdir().unwrap();
    // Root-owned 0755 (as root: postgres may not write), or 0555.
    std::fs::set_permissions(archive.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let d = run(&drill(
        "pg-restore-archive",
        "",
        &format!(
            "method = \"wal_archive\"\narchive_dir = \"{}\"",
            archive.path().display()
        ),
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(
        d.summary.contains("prepare the WAL archive"),
        "{}",
        d.summary
    );
    assert!(d.summary.contains("not writable"), "{}", d.summary);
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn postgresql_not_found_skips_with_the_reason() {
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-none",
        "\"rto_s <= 30\"",
        "method = \"dump\"\nbin_dir = \"/nonexistent/postgresql/bin\"",
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Skipped), "{}", explain(&d));
    assert_eq!(d.end, Some(DrillEnd::Skipped));
    assert!(
        d.summary
            .contains("PostgreSQL not found: install postgresql or set bin_dir/FLIGHTDECK_PGBIN"),
        "{}",
        d.summary
    );
}

#[tokio::test]
async fn an_abort_mid_restore_cleans_up_and_measures_no_rto() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let d = drill(
        "pg-restore-abort",
        "\"rto_s <= 120\"",
        "method = \"dump\"\nrun_after_backup = \"1s\"",
        work.path(),
    );
    let rec = Recorder::new(None);
    let abort = CancellationToken::new();
    let (r2, a2) = (rec.clone(), abort.clone());
    let watcher = tokio::spawn(async move {
        for _ in 0..3000 {
            let s = r2.snapshot();
            if s.drills
                .first()
                .is_some_and(|d| d.marks.iter().any(|m| m.mark == Mark::RestoreStarted))
            {
                a2.cancel();
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    });
    flightdeck::drill::run_drill(&rec, "drills", &d, None, &abort).await;
    assert!(watcher.await.unwrap(), "the restore never started");
    let v = rec.snapshot().drills.remove(0);
    assert_eq!(v.verdict, Some(Verdict::Inconclusive), "{}", explain(&v));
    assert_eq!(v.end, Some(DrillEnd::Aborted));
    assert_eq!(v.rto_s(), None);
    assert_eq!(v.measured("rto_s"), None);
    assert!(
        v.steps
            .iter()
            .any(|s| s.name == "RTO not measured" && s.outcome == Some(StepOutcome::Skipped)),
        "{}",
        explain(&v)
    );
    assert!(!v.marks.iter().any(|m| m.mark == Mark::DataVerified));
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn an_external_primary_is_dumped_and_restored_without_harm_and_its_url_is_redacted() {
    if !pg_available() {
        return;
    }
    let primary = ExternalPrimary::start("planted-pw-91c3").await;
    let (shop, url) = (&primary.shop, &primary.url);
    // SAFETY of the test: a unique variable name, read by this test only.
    unsafe { std::env::set_var("FD_TEST_PG_PRIMARY_URL", url) };
    let work = work_dir();
    let rec = Recorder::new(None);
    let d = drill(
        "pg-restore-external",
        "\"lost_writes <= 1000\"",
        "cluster = \"external\"\nurl = { env = \"FD_TEST_PG_PRIMARY_URL\" }\nmethod = \"dump\"\nrun_after_backup = \"1s\"",
        work.path(),
    );
    flightdeck::drill::run_drill(&rec, "drills", &d, None, &CancellationToken::new()).await;
    let v = rec.snapshot().drills.remove(0);
    assert_eq!(v.verdict, Some(Verdict::Pass), "{}", explain(&v));
    let items = v
        .recovery
        .as_ref()
        .unwrap()
        .integrity
        .iter()
        .find(|t| t.table == "public.items")
        .cloned()
        .expect("items checked");
    assert!(items.ok && items.restored_rows == 500, "{items:?}");
    // The primary was not harmed, and the heartbeat table is gone from it.
    let n: i64 = shop
        .query_one("SELECT count(*) FROM items", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 500);
    let hb: Option<String> = shop
        .query_one("SELECT to_regclass('flightdeck_heartbeat')::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(hb, None);
    // The password is nowhere in what the drill journalled.
    let json = serde_json::to_string(&v).unwrap();
    assert!(!json.contains("planted-pw-91c3"), "the password leaked");
    assert_clean(work.path()).await;
}
