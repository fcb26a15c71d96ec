//! A/A calibration on the demo target with known injected noise (each
//! response waits a further uniform 0..=100 ms): the scenario twice, back to
//! back. Then trials: a run with an injected regression compared, with the
//! calibration, to the first A/A run as its saved baseline, one run at a
//! time (3 trials per size here, so one miss each way is allowed;
//! `scripts/bench-calibration.sh` runs more).
//! An injected regression of twice the detectable threshold must be
//! flagged; one of half of it must not be. The counts are printed; more
//! trials: `scripts/bench-calibration.sh` (FLIGHTDECK_AA_TRIALS).

use flightdeck::core::history::{CalibrationMethod, NoiseCalibration};
use flightdeck::demo::{Behaviour, DemoTargets, Scenario};
use flightdeck::load::calibrate::{calibrate, run_collect};
use flightdeck::load::{Baseline, BaselineOptions, LoadConfig, RequestSpec, compare_calibrated};
use tokio_util::sync::CancellationToken;

/// The injected noise: uniform extra latency up to this many ms. Wide
/// against the target's 1 ms timer tick, so that an injected slowdown of a
/// few percent is a real change of the response time and not lost in the
/// tick's rounding (with 20 ms, a 5% slowdown was about one tick).
const JITTER_MS: u64 = 100;
/// Seconds per run: enough one-second windows for the rank test.
const RUN_S: f64 = 6.0;

fn load_for(target: &str) -> LoadConfig {
    LoadConfig {
        target: target.to_string(),
        rate: Some(80.0),
        duration_s: Some(RUN_S),
        timeout_ms: 2_000,
        // A shared test machine: a late send is not the target's noise.
        max_lag_ms: 50.0,
        requests: vec![RequestSpec {
            name: "cart".into(),
            path: "/api/cart".into(),
            ..RequestSpec::default()
        }],
        ..LoadConfig::default()
    }
}

fn noisy(slowdown_pct: f64) -> Behaviour {
    Behaviour {
        jitter_ms: JITTER_MS,
        slowdown_pct,
        ..Behaviour::default()
    }
}

async fn target() -> DemoTargets {
    let t = DemoTargets::start(Scenario::Healthy, None)
        .await
        .expect("demo target");
    *t.baseline_behaviour.write().expect("lock") = noisy(0.0);
    t
}

/// Whether the calibrated comparison flags a run with a regression of
/// `slowdown_pct` against the calibration's first run (the baseline saved
/// earlier, as in a real comparison).
async fn trial(cal: NoiseCalibration, baseline: Baseline, slowdown_pct: f64) -> (bool, f64) {
    let t = target().await;
    *t.baseline_behaviour.write().expect("lock") = noisy(slowdown_pct);
    let (cs, cw) = run_collect(&load_for(&t.baseline_url()), CancellationToken::new())
        .await
        .expect("current run");
    let c = Baseline::from_run("shop-api", "aa", &cs, &cw);
    // Only the test and the calibration decide: no extra bounds.
    let opts = BaselineOptions {
        scenario: "aa".into(),
        max_rise_pct: 0.0,
        min_abs_ms: 0.0,
        alpha: 0.05,
        save: false,
    };
    let cmp = compare_calibrated(Some(&baseline), &c, &opts, std::slice::from_ref(&cal));
    let cart = match &cmp {
        flightdeck::load::Comparison::Compared { scopes, .. } => scopes
            .iter()
            .find(|s| s.scope == "cart")
            .cloned()
            .expect("cart compared"),
        other => panic!("not compared: {other:?}"),
    };
    (cart.regressed, cart.change_pct)
}

fn trials() -> usize {
    std::env::var("FLIGHTDECK_AA_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_detectable_threshold_covers_twice_itself_and_ignores_half() {
    // A/A: the scenario twice, back to back, against the same noisy target.
    let t = target().await;
    let cfg = load_for(&t.baseline_url());
    let (first, a) = run_collect(&cfg, CancellationToken::new())
        .await
        .expect("run A");
    let b = run_collect(&cfg, CancellationToken::new())
        .await
        .expect("run B")
        .1;
    drop(t);
    let baseline = Baseline::from_run("shop-api", "aa", &first, &a);
    let scopes = calibrate(
        "shop-api",
        "aa",
        CalibrationMethod::TwoRuns,
        &a,
        &b,
        RUN_S,
        0.05,
        1,
    );
    let cal = scopes
        .iter()
        .find(|s| s.calibration.endpoint == "cart")
        .expect("cart calibrated")
        .calibration
        .clone();
    let threshold = cal.detectable_pct;
    println!(
        "A p95 per window: {:?}\nB p95 per window: {:?}",
        flightdeck::load::calibrate::series(&a, "cart").p95,
        flightdeck::load::calibrate::series(&b, "cart").p95
    );
    println!(
        "A/A: {} windows per side, p95 noise {}%, detectable {threshold}% (false alarms {}%)",
        cal.windows, cal.p95_noise_pct, scopes[0].false_alarm_pct
    );
    assert!(
        threshold > 0.0 && threshold < 100.0,
        "a 0..100 ms jitter is neither invisible nor blinding: {threshold}%"
    );
    let n = trials();
    let (mut detected, mut flagged) = (0, 0);
    let mut done = 0;
    while done < n {
        // One run at a time, as the calibration ran: a trial alone on the
        // machine is what a later comparison sees.
        let big = trial(cal.clone(), baseline.clone(), threshold * 2.0).await;
        let small = trial(cal.clone(), baseline.clone(), threshold / 2.0).await;
        detected += usize::from(big.0);
        flagged += usize::from(small.0);
        println!(
            "  trial {}: x2 observed {:+.1}% flagged {}; x0.5 observed {:+.1}% flagged {}",
            done + 1,
            big.1,
            big.0,
            small.1,
            small.0
        );
        done += 1;
    }
    println!(
        "injected {:.1}% (twice the threshold): flagged in {detected} of {n}; injected {:.1}% (half): flagged in {flagged} of {n}",
        threshold * 2.0,
        threshold / 2.0
    );
    // 80% power at the threshold is near certainty at twice it; half of it
    // is below what the comparison may call. One miss each way is allowed
    // for a busy machine; the benchmark script runs many more trials.
    assert!(
        detected * 3 >= n * 2,
        "twice the threshold flagged in only {detected} of {n}"
    );
    assert!(
        flagged * 3 <= n,
        "half the threshold flagged in {flagged} of {n}"
    );
}
