//! The history store on SQLite and on a real PostgreSQL that the test
//! starts: migration from an empty store and from the first schema,
//! indexing journals, a rebuild that equals the incremental index, a
//! catch-up that adds what is missing, two writers at once, a store from a
//! newer build refused, and nothing in the index that the journal's logs
//! held.

mod history_support;

use std::path::Path;

use flightdeck::core::actor::Actor;
use flightdeck::core::event::Outcome;
use flightdeck::core::history::{OutcomeSource, ProductionOutcome, ProductionResult};
use flightdeck::core::impact::{ChangeSet, ChangedFile};
use flightdeck::core::verdict::Verdict;
use flightdeck::history::store::migrations;
use flightdeck::history::store::sql::Value;
use flightdeck::history::write::dump;
use flightdeck::history::{HistorySection, Location, Store, context, index, outcome, queries};
use flightdeck::secrets::Secret;
use history_support::{FakeRun, PgCluster, write_run};

fn runs(n: usize) -> Vec<FakeRun> {
    (0..n)
        .map(|i| {
            let mut r = FakeRun::new(
                &format!("2026030{}-10{i:02}00-ab{i:02}", 2 + i % 3),
                i as i64,
            );
            if i % 3 == 1 {
                r.decision = Outcome::NoGo;
                r.score = 60.0;
                r.checks
                    .push(("scans".into(), "new high findings".into(), Verdict::Fail));
            }
            r.load.push(("cart".into(), 10.0 + i as f64));
            r.paths = vec![format!("src/mod{}.rs", i % 2)];
            r
        })
        .collect()
}

fn outcome_of(result: ProductionResult) -> ProductionOutcome {
    ProductionOutcome {
        result,
        severity: None,
        restore_minutes: None,
        note: None,
        source: OutcomeSource::Cli,
    }
}

/// Migrations from empty, then from the first schema with a run in it.
fn migrates(at: impl Fn() -> Location) {
    let mut s = Store::open_at_version(&at(), Some(1)).expect("open at v1");
    assert_eq!(s.schema_version().expect("version"), 1);
    s.write(|c| {
        c.exec(
            "INSERT INTO runs (run_id, service, release, environment, operator, started_at, exit_code, journal, journal_bytes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                "old-run".into(),
                "shop-api".into(),
                "0.9".into(),
                "preprod".into(),
                "sam".into(),
                "2026-01-01T00:00:00.000Z".into(),
                Value::from(0i64),
                "runs/old-run/journal.jsonl".into(),
                Value::from(1i64),
            ],
        )
    })
    .expect("a v1 row");
    drop(s);
    let mut s = Store::open(&at()).expect("open migrates");
    assert_eq!(s.schema_version().expect("version"), migrations::latest());
    let kept = s.read(|c| queries::find_runs(c, "old-run")).expect("read");
    assert_eq!(kept.len(), 1, "the v1 row survives the migration");
    assert_eq!(
        kept[0].risk_score, None,
        "the new column is empty for old rows"
    );
    // Opening again applies nothing and changes nothing.
    drop(s);
    let mut s = Store::open(&at()).expect("reopen");
    assert_eq!(s.schema_version().expect("version"), migrations::latest());
}

/// Index incrementally (with outcomes appended later), then rebuild: the
/// same rows. A run the index lacks is added by the catch-up.
fn rebuild_equals_incremental(at: impl Fn() -> Location, state: &Path) {
    let mut store = Store::open(&at()).expect("open");
    let all = runs(6);
    for r in &all[..5] {
        let j = write_run(state, r);
        index::index_journal(&mut store, state, &j).expect("index");
    }
    // Outcomes recorded later: appended to the journals, then indexed.
    for (r, res) in [
        (&all[0], ProductionResult::Success),
        (&all[1], ProductionResult::Success),
        (&all[2], ProductionResult::Incident),
        (&all[2], ProductionResult::RolledBack),
    ] {
        let j = outcome::find_journal(state, &r.id).expect("journal");
        outcome::append(&j, &Actor::automatic("sam"), outcome_of(res)).expect("append outcome");
        index::index_journal(&mut store, state, &j).expect("index again");
    }
    // A run finished while the store was away: the next start adds it.
    write_run(state, &all[5]);
    let caught = index::catch_up(&mut store, state).expect("catch up");
    assert_eq!(caught.added, vec![all[5].id.clone()]);
    assert!(caught.updated.is_empty(), "{caught:?}");
    assert_eq!(
        index::catch_up(&mut store, state).expect("again"),
        index::Indexed::default(),
        "nothing to do the second time"
    );
    let incremental = store.read(dump).expect("dump");
    assert!(incremental.iter().any(|l| l.starts_with("outcomes: ")));
    let rebuilt = index::rebuild(&mut store, state).expect("rebuild");
    assert_eq!(rebuilt.added.len(), 6);
    let after = store.read(dump).expect("dump");
    assert!(
        incremental == after,
        "a rebuild from the journals differs from the incremental index:\nonly incremental: {:?}\nonly rebuilt: {:?}",
        incremental
            .iter()
            .filter(|l| !after.contains(l))
            .collect::<Vec<_>>(),
        after
            .iter()
            .filter(|l| !incremental.contains(l))
            .collect::<Vec<_>>()
    );
    // The last outcome recorded for a run is the one that counts.
    let results = store
        .read(|c| queries::production_results(c, "shop-api"))
        .expect("results");
    assert_eq!(results.get(&all[2].id), Some(&ProductionResult::RolledBack));
    assert_eq!(results.len(), 3);
    let rec = store
        .read(|c| {
            let r = queries::find_runs(c, &all[2].id)?.remove(0);
            queries::run_record(c, r)
        })
        .expect("record");
    assert_eq!(rec.outcomes.len(), 2);
    assert_eq!(rec.load.iter().filter(|l| l.stage == "load").count(), 3);
    assert_eq!(rec.change.as_ref().map(|c| c.change.files.len()), Some(1));
    // What the next run of the service is handed: trends and risk.
    let ctx = context::build(
        &mut store,
        "shop-api",
        &HistorySection::default(),
        &["cart".to_string(), "checkout".to_string()],
        Some(&ChangeSet {
            range: "a..b".into(),
            base: "a".into(),
            head: "b".into(),
            files: vec![ChangedFile {
                path: "src/mod0.rs".into(),
                renamed_from: None,
                added: 40,
                removed: 10,
                binary: false,
            }],
        }),
    )
    .expect("context");
    assert_eq!(ctx.scores.len(), 6);
    let cart = ctx
        .p95
        .iter()
        .find(|t| t.endpoint == "cart")
        .expect("cart trend");
    assert_eq!(
        cart.points.iter().map(|p| p.value).collect::<Vec<_>>(),
        [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    );
    let risk = ctx.risk.expect("risk");
    // Runs 1 and 4 were NO-GO and run 2 went badly: 3 of 6.
    assert_eq!(risk.parts[0].points, 20.0, "{:?}", risk.parts[0]);
    // src/mod0.rs: runs 0 (success) and 2 (rolled back) have outcomes.
    assert_eq!((risk.parts[1].sample, risk.parts[1].points), (2, 20.0));
}

/// Two writers index different runs into the same store at once.
fn concurrent_writers(at: impl Fn() -> Location + Send + Sync + Clone + 'static, state: &Path) {
    let mut writers = Vec::new();
    for w in 0..2 {
        let batch: Vec<FakeRun> = (0..8)
            .map(|i| FakeRun::new(&format!("20260310-1{w}{i:02}00-w{w}{i:02}"), 100 + i))
            .collect();
        for r in &batch {
            write_run(state, r);
        }
        let (at, state) = (at.clone(), state.to_path_buf());
        writers.push(std::thread::spawn(move || {
            let mut store = Store::open(&at()).expect("open");
            for r in batch {
                let j = state.join("runs").join(&r.id).join("journal.jsonl");
                index::index_journal(&mut store, &state, &j).expect("index while another writes");
            }
        }));
    }
    for w in writers {
        w.join().expect("writer thread");
    }
    let mut store = Store::open(&at()).expect("open");
    let listed = store
        .read(|c| queries::runs(c, Some("shop-api"), 1000))
        .expect("list");
    assert_eq!(
        listed
            .iter()
            .filter(|r| r.run_id.starts_with("20260310"))
            .count(),
        16
    );
}

/// The index holds what reports hold: a token in a log line never reaches it.
fn no_secrets(at: impl Fn() -> Location, state: &Path) {
    let mut r = FakeRun::new("20260320-100000-sec1", 500);
    r.secret_log = Some("connecting with password=hunter2-very-secret".into());
    let j = write_run(state, &r);
    let mut store = Store::open(&at()).expect("open");
    index::index_journal(&mut store, state, &j).expect("index");
    let rows = store.read(dump).expect("dump").join("\n");
    assert!(rows.contains("20260320-100000-sec1"));
    assert!(!rows.contains("hunter2"), "a log line reached the index");
}

/// A store written by a newer build is refused, not damaged.
fn newer_refused(at: impl Fn() -> Location) {
    let mut s = Store::open(&at()).expect("open");
    s.write(|c| {
        c.exec(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[Value::from(999i64), "future".into(), "2030-01-01".into()],
        )
    })
    .expect("plant a future version");
    drop(s);
    let e = Store::open(&at()).err().expect("refused");
    assert!(
        e.to_string()
            .contains("schema version 999 is newer than this build"),
        "{e}"
    );
}

#[test]
fn sqlite_store_migrates_indexes_rebuilds_and_takes_two_writers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = |name: &str| {
        let db = dir.path().join(format!("{name}.db"));
        move || Location::Sqlite(db.clone())
    };
    migrates(fresh("migrations"));
    rebuild_equals_incremental(fresh("rebuild"), &dir.path().join("a"));
    concurrent_writers(fresh("writers"), &dir.path().join("b"));
    no_secrets(fresh("secrets"), &dir.path().join("c"));
    newer_refused(fresh("newer"));
    capacity_trend(fresh("capacity"), &dir.path().join("d"));
}

#[test]
fn postgres_store_holds_the_same_history() {
    let pg = PgCluster::start();
    let fresh = |name: &str| {
        let url = pg.database(name);
        move || Location::Postgres(Secret::new(url.clone()))
    };
    let dir = tempfile::tempdir().expect("tempdir");
    migrates(fresh("migrations"));
    let state = dir.path().join("a");
    rebuild_equals_incremental(fresh("rebuild"), &state);
    let state = dir.path().join("b");
    concurrent_writers(fresh("writers"), &state);
    let state = dir.path().join("c");
    no_secrets(fresh("secrets"), &state);
    newer_refused(fresh("newer"));
    capacity_trend(fresh("capacity"), &dir.path().join("d"));
    shared_rebuild_keeps_other_machines(fresh("shared"), dir.path());
}

/// Each run's sustainable capacity is indexed, read back, given as a trend
/// (`history trend --metric capacity`) and handed to the next run, where a
/// release that lowers it is a regression against the trend.
fn capacity_trend(at: impl Fn() -> Location, state: &Path) {
    let mut s = Store::open(&at()).expect("open");
    for (i, v) in [1000.0, 1040.0, 980.0, 1010.0].into_iter().enumerate() {
        let mut r = FakeRun::new(&format!("cap-{i}"), i as i64);
        r.capacity = Some(v);
        let journal = write_run(state, &r);
        index::index_journal(&mut s, state, &journal).expect("index");
    }
    let rec = s
        .read(|c| {
            let run = queries::find_runs(c, "cap-3")?.remove(0);
            queries::run_record(c, run)
        })
        .expect("record");
    assert_eq!(rec.capacity.len(), 1, "{:?}", rec.capacity);
    assert_eq!(rec.capacity[0].stage, "load");
    assert_eq!(rec.capacity[0].sustainable_rps, Some(1010.0));
    let series = s
        .read(|c| {
            flightdeck::history::trend::series(
                c,
                "shop-api",
                &flightdeck::history::trend::Metric::parse("capacity").expect("metric"),
                10,
            )
        })
        .expect("series");
    let values: Vec<f64> = series.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![1000.0, 1040.0, 980.0, 1010.0], "oldest first");
    let ctx =
        context::build(&mut s, "shop-api", &HistorySection::default(), &[], None).expect("context");
    let trend = ctx
        .capacity
        .iter()
        .find(|t| t.endpoint == "load")
        .expect("a capacity trend for the load stage");
    assert_eq!(trend.points.len(), 4);
    let earlier: Vec<f64> = trend.points.iter().map(|p| p.value).collect();
    let lower = flightdeck::core::history::check_below_trend(&earlier, 800.0, ctx.tolerance_pct)
        .expect("enough points");
    assert!(lower.regressed, "800/s against ~1000/s: {lower:?}");
    let usual = flightdeck::core::history::check_below_trend(&earlier, 990.0, ctx.tolerance_pct)
        .expect("enough points");
    assert!(!usual.regressed, "990/s is within the trend: {usual:?}");
    let higher = flightdeck::core::history::check_below_trend(&earlier, 1500.0, ctx.tolerance_pct)
        .expect("enough points");
    assert!(!higher.regressed, "more capacity is no regression");
}

/// A team store rebuilt from one machine's journals keeps the other runs.
fn shared_rebuild_keeps_other_machines(at: impl Fn() -> Location, dir: &Path) {
    let (mine, theirs) = (dir.join("mine"), dir.join("theirs"));
    let mut store = Store::open(&at()).expect("open");
    let j = write_run(&theirs, &FakeRun::new("20260401-100000-them", 1));
    index::index_journal(&mut store, &theirs, &j).expect("their run");
    let j = write_run(&mine, &FakeRun::new("20260401-110000-mine", 2));
    index::index_journal(&mut store, &mine, &j).expect("my run");
    let done = index::rebuild(&mut store, &mine).expect("rebuild");
    assert_eq!(done.kept_elsewhere, 1);
    let ids: Vec<String> = store
        .read(|c| queries::runs(c, None, 10))
        .expect("list")
        .into_iter()
        .map(|r| r.run_id)
        .collect();
    assert_eq!(ids, ["20260401-110000-mine", "20260401-100000-them"]);
}

/// Not a test: figures for `scripts/bench-history.sh` (SQLite; N runs from
/// FLIGHTDECK_BENCH_RUNS, default 1000). Prints, asserts nothing on speed.
#[test]
#[ignore = "benchmark: run through scripts/bench-history.sh"]
fn bench_index_catch_up_rebuild_and_queries() {
    use std::time::Instant;
    let n: usize = std::env::var("FLIGHTDECK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path();
    let journals: Vec<std::path::PathBuf> = (0..n)
        .map(|i| {
            let mut r = FakeRun::new(&format!("20260101-{i:06}-bn{i:04}"), i as i64);
            r.load.push(("cart".into(), 10.0 + (i % 7) as f64));
            r.paths = vec![format!("src/mod{}.rs", i % 13)];
            let j = write_run(state, &r);
            if i % 3 == 0 {
                let res = if i % 9 == 0 {
                    ProductionResult::Incident
                } else {
                    ProductionResult::Success
                };
                outcome::append(&j, &Actor::automatic("sam"), outcome_of(res)).expect("outcome");
            }
            j
        })
        .collect();
    let bytes: u64 = journals
        .iter()
        .map(|j| std::fs::metadata(j).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut store = Store::open_sqlite(&state.join("history.db")).expect("store");
    let t = Instant::now();
    for j in &journals {
        index::index_journal(&mut store, state, j).expect("index");
    }
    let each = t.elapsed();
    let t = Instant::now();
    let nothing = index::catch_up(&mut store, state).expect("catch up");
    let catch_up = t.elapsed();
    assert!(nothing.added.is_empty());
    let t = Instant::now();
    index::rebuild(&mut store, state).expect("rebuild");
    let rebuild = t.elapsed();
    let t = Instant::now();
    let listed = store
        .read(|c| queries::runs(c, Some("shop-api"), 20))
        .expect("list");
    let list = t.elapsed();
    let t = Instant::now();
    let ctx = context::build(
        &mut store,
        "shop-api",
        &HistorySection::default(),
        &["cart".to_string(), "checkout".to_string()],
        None,
    )
    .expect("context");
    let ctx_t = t.elapsed();
    let t = Instant::now();
    let runs = store
        .read(|c| queries::learning_runs(c, "shop-api"))
        .expect("runs");
    let cal = flightdeck::history::calibrate::calibrate("shop-api", &runs, 5);
    let cal_t = t.elapsed();
    let db = std::fs::metadata(state.join("history.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "{n} runs ({:.1} MB of journals): index one by one {:.0} ms ({:.2} ms/run); catch-up with nothing to do {:.1} ms; rebuild {:.0} ms; list 20 {:.2} ms; run-start context {:.1} ms; calibrate {:.0} ms ({} checks); history.db {:.1} MB",
        bytes as f64 / 1e6,
        each.as_secs_f64() * 1e3,
        each.as_secs_f64() * 1e3 / n as f64,
        catch_up.as_secs_f64() * 1e3,
        rebuild.as_secs_f64() * 1e3,
        list.as_secs_f64() * 1e3,
        ctx_t.as_secs_f64() * 1e3,
        cal_t.as_secs_f64() * 1e3,
        cal.checks.len(),
        db as f64 / 1e6
    );
    assert_eq!(listed.len(), 20.min(n));
    assert!(!ctx.scores.is_empty());
}
