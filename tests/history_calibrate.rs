//! `history calibrate` on a synthetic history with known outcomes: every
//! count is worked out by hand below, and below the minimum sample the
//! report says "not enough history" instead of a rate.

mod history_support;

use flightdeck::core::actor::Actor;
use flightdeck::core::event::Outcome;
use flightdeck::core::history::{OutcomeSource, ProductionOutcome, ProductionResult};
use flightdeck::core::verdict::Verdict;
use flightdeck::history::calibrate::{Rate, calibrate};
use flightdeck::history::{Store, index, outcome, queries};
use history_support::{FakeRun, write_run};

/// Ten runs of shop-api:
///
/// | run | decision | high findings | policy warn | outcome     |
/// |-----|----------|---------------|-------------|-------------|
/// | 0   | NO-GO    | fail          | warn        | incident    |
/// | 1   | NO-GO    | fail          | warn        | success     |
/// | 2   | GO       | fail(warn)    | warn        | rolled-back |
/// | 3   | GO       | warn          | warn        | success     |
/// | 4   | GO       | pass          | warn        | incident    |
/// | 5   | GO       | pass          | warn        | success     |
/// | 6   | GO       | pass          | warn        | success     |
/// | 7   | GO       | pass          | warn        | (none)      |
/// | 8   | INCONCL. | pass          | warn        | success     |
/// | 9   | GO       | pass          | warn        | (none)      |
///
/// `env/api health` passes on every run.
fn history() -> Vec<(FakeRun, Option<ProductionResult>)> {
    use ProductionResult::*;
    let rows = [
        (Outcome::NoGo, Verdict::Fail, Some(Incident)),
        (Outcome::NoGo, Verdict::Fail, Some(Success)),
        (Outcome::Go, Verdict::Warn, Some(RolledBack)),
        (Outcome::Go, Verdict::Warn, Some(Success)),
        (Outcome::Go, Verdict::Pass, Some(Incident)),
        (Outcome::Go, Verdict::Pass, Some(Success)),
        (Outcome::Go, Verdict::Pass, Some(Success)),
        (Outcome::Go, Verdict::Pass, None),
        (Outcome::Inconclusive, Verdict::Pass, Some(Success)),
        (Outcome::Go, Verdict::Pass, None),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, (decision, high, result))| {
            let mut r = FakeRun::new(&format!("20260301-10{i:02}00-cal{i}"), i as i64);
            r.decision = *decision;
            r.checks = vec![
                ("env".into(), "api health".into(), Verdict::Pass),
                ("scans".into(), "new high findings".into(), *high),
                ("policy".into(), "require approver".into(), Verdict::Warn),
            ];
            (r, *result)
        })
        .collect()
}

#[test]
fn calibration_counts_match_the_known_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path();
    let mut store = Store::open_sqlite(&state.join("history.db")).expect("store");
    for (run, result) in history() {
        let j = write_run(state, &run);
        if let Some(result) = result {
            outcome::append(
                &j,
                &Actor::automatic("sam"),
                ProductionOutcome {
                    result,
                    severity: None,
                    restore_minutes: None,
                    note: None,
                    source: OutcomeSource::Csv,
                },
            )
            .expect("outcome");
        }
        index::index_journal(&mut store, state, &j).expect("index");
    }
    let runs = store
        .read(|c| queries::learning_runs(c, "shop-api"))
        .expect("runs");
    let c = calibrate("shop-api", &runs, 3);
    assert_eq!((c.runs, c.with_outcome, c.bad), (10, 8, 3));

    // The gate: GO runs 2..=6 have outcomes (2 and 4 went badly); NO-GO
    // runs 0 and 1 were overridden (0 went badly); run 8 was inconclusive.
    let g = &c.gate;
    assert_eq!((g.go_then_success, g.go_then_bad), (3, 2));
    assert_eq!((g.nogo_overridden_success, g.nogo_overridden_bad), (1, 1));
    assert_eq!(
        (g.inconclusive_then_success, g.inconclusive_then_bad),
        (1, 0)
    );
    assert_eq!(
        c.gate_missed,
        Rate::Known {
            hits: 2,
            of: 5,
            pct: 40.0
        }
    );

    // High findings fired on runs 0..=3 (all with outcomes): 0 and 2 went
    // badly. It stayed silent on run 4, which went badly.
    let high = c
        .checks
        .iter()
        .find(|k| k.label == "new high findings")
        .expect("high findings check");
    assert_eq!((high.runs, high.fired, high.fired_then_bad), (8, 4, 2));
    assert_eq!(high.silent_on_bad, 1);
    assert_eq!(
        high.precision,
        Rate::Known {
            hits: 2,
            of: 4,
            pct: 50.0
        }
    );
    // The policy warning fires on every run: precision is the base rate,
    // and it is listed as always firing; api health never fires.
    let warn = c
        .checks
        .iter()
        .find(|k| k.label == "require approver")
        .expect("policy check");
    assert_eq!((warn.fired, warn.fired_then_bad), (8, 3));
    assert!(
        c.always_fire
            .iter()
            .any(|k| k.label == "require approver" && k.runs == 10)
    );
    assert!(
        c.never_fire
            .iter()
            .any(|k| k.label == "api health" && k.runs == 10)
    );
    // Every bad outcome had the policy warning before it.
    assert_eq!(
        c.missed_by_every_check,
        Rate::Known {
            hits: 0,
            of: 3,
            pct: 0.0
        }
    );

    // With a minimum above what the history holds, no rate is invented.
    let strict = calibrate("shop-api", &runs, 20);
    assert!(matches!(
        strict.gate_missed,
        Rate::NotEnoughHistory {
            of: 5,
            need: 20,
            ..
        }
    ));
    let high = strict
        .checks
        .iter()
        .find(|k| k.label == "new high findings")
        .expect("high findings check");
    assert_eq!(high.precision.text(), "not enough history (4 of 20 needed)");
    assert!(strict.never_fire.is_empty() && strict.always_fire.is_empty());
}
