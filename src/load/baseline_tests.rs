use super::*;
use crate::core::load::{EndpointSummary, EndpointWindow, Percentiles};

/// Deterministic noise in [-1, 1).
fn noise(seed: u64, i: u64) -> f64 {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(i.wrapping_mul(1442695040888963407));
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    (x % 2000) as f64 / 1000.0 - 1.0
}

/// A run of `n` windows: "search" at ~20 ms p95, "checkout" at ~`checkout` ms.
fn run(seed: u64, n: u32, checkout: f64) -> (Summary, Vec<Window>) {
    let windows: Vec<Window> = (0..n)
        .map(|i| {
            let s = 20.0 + 2.0 * noise(seed, u64::from(i));
            let c = checkout * (1.0 + 0.05 * noise(seed + 1, u64::from(i)));
            Window {
                second: i,
                requests: 200,
                p95_ms: s.max(c),
                p99_ms: s.max(c) * 1.2,
                endpoints: vec![
                    EndpointWindow {
                        name: "search".into(),
                        requests: 100,
                        p95_ms: s,
                        ..Default::default()
                    },
                    EndpointWindow {
                        name: "checkout".into(),
                        requests: 100,
                        p95_ms: c,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }
        })
        .collect();
    let ep = |name: &str, p95: f64| EndpointSummary {
        name: name.into(),
        requests: 100 * u64::from(n),
        latency: Percentiles {
            p95_ms: p95,
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = Summary {
        requests: 200 * u64::from(n),
        latency: Percentiles {
            p95_ms: checkout.max(20.0),
            ..Default::default()
        },
        endpoints: vec![ep("search", 20.0), ep("checkout", checkout)],
        ..Default::default()
    };
    (summary, windows)
}

#[test]
fn save_and_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (s, w) = run(1, 20, 40.0);
    assert_eq!(
        Baseline::load(dir.path(), "shop-api", "smoke").unwrap(),
        None
    );
    let path = Baseline::save(dir.path(), "shop-api", "smoke", &s, &w).unwrap();
    assert!(
        path.ends_with("baselines/shop-api/smoke.json"),
        "{}",
        path.display()
    );
    let b = Baseline::load(dir.path(), "shop-api", "smoke")
        .unwrap()
        .unwrap();
    assert_eq!(b.summary, s);
    assert_eq!(b.p95_series.len(), 20);
    assert_eq!(b.endpoint_p95_series["checkout"].len(), 20);
    let e = Baseline::save(dir.path(), "../etc", "x", &s, &w)
        .unwrap_err()
        .to_string();
    assert!(e.contains("must be letters"), "{e}");
    std::fs::write(Baseline::path(dir.path(), "shop-api", "bad"), "{").unwrap();
    let e = Baseline::load(dir.path(), "shop-api", "bad")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a baseline file"), "{e}");
}

#[test]
fn same_distribution_is_not_a_regression() {
    let (s1, w1) = run(1, 30, 40.0);
    let (s2, w2) = run(99, 30, 40.0);
    let b = Baseline::from_run("svc", "s", &s1, &w1);
    let c = Baseline::from_run("svc", "s", &s2, &w2);
    let cmp = compare(Some(&b), &c, &BaselineOptions::default());
    assert!(cmp.regressions().is_empty(), "{cmp:?}");
    assert!(matches!(cmp, Comparison::Compared { ref scopes, .. } if scopes.len() == 3));
}

#[test]
fn fifty_percent_slower_checkout_is_a_regression_named_by_endpoint() {
    let (s1, w1) = run(1, 30, 40.0);
    let (s2, w2) = run(7, 30, 60.0);
    let b = Baseline::from_run("svc", "s", &s1, &w1);
    let c = Baseline::from_run("svc", "s", &s2, &w2);
    let cmp = compare(Some(&b), &c, &BaselineOptions::default());
    let names: Vec<&str> = cmp.regressions().iter().map(|r| r.scope.as_str()).collect();
    assert!(names.contains(&"checkout"), "{cmp:?}");
    assert!(!names.contains(&"search"), "{cmp:?}");
    let r = cmp
        .regressions()
        .into_iter()
        .find(|r| r.scope == "checkout")
        .unwrap();
    assert!(r.p_value.unwrap() < 0.001);
    assert!(
        r.detail.starts_with("checkout: p95 rose 50%"),
        "{}",
        r.detail
    );
}

fn calibration(endpoint: &str, detectable_pct: f64) -> NoiseCalibration {
    NoiseCalibration {
        service: "svc".into(),
        scenario: "s".into(),
        endpoint: endpoint.into(),
        recorded_at: Utc::now(),
        method: crate::core::history::CalibrationMethod::TwoRuns,
        duration_s: 30.0,
        windows: 30,
        alpha: 0.05,
        power: 0.8,
        p50_noise_pct: 1.0,
        p95_noise_pct: 2.0,
        p99_noise_pct: 3.0,
        error_rate_noise_pct: 0.0,
        detectable_pct,
    }
}

#[test]
fn a_rise_below_the_calibrated_threshold_is_not_called_and_a_tight_limit_is_warned() {
    let (s1, w1) = run(1, 30, 40.0);
    let (s2, w2) = run(7, 30, 60.0);
    let b = Baseline::from_run("svc", "s", &s1, &w1);
    let c = Baseline::from_run("svc", "s", &s2, &w2);
    let opts = BaselineOptions::default();
    // This setup only sees rises of 80% or more on checkout.
    let called = |cmp: &Comparison| -> Vec<String> {
        cmp.regressions().iter().map(|r| r.scope.clone()).collect()
    };
    let cmp = compare_calibrated(Some(&b), &c, &opts, &[calibration("checkout", 80.0)]);
    assert_eq!(
        called(&cmp),
        ["all"],
        "all traffic is not calibrated: {cmp:?}"
    );
    let Comparison::Compared {
        scopes, warnings, ..
    } = &cmp
    else {
        panic!("{cmp:?}")
    };
    let checkout = scopes.iter().find(|s| s.scope == "checkout").unwrap();
    assert_eq!(checkout.detectable_pct, Some(80.0));
    assert!(
        checkout
            .detail
            .ends_with("below the detectable threshold of 80% for this setup"),
        "{}",
        checkout.detail
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("checkout: max_rise_pct 10% is tighter than this setup can detect (80% at alpha 0.05 with 80% power over 30 one-second windows"),
        "{}",
        warnings[0]
    );
    // A setup that sees 5% still calls the 50% rise, and says nothing.
    let cmp = compare_calibrated(Some(&b), &c, &opts, &[calibration("checkout", 5.0)]);
    assert_eq!(called(&cmp), ["all", "checkout"], "{cmp:?}");
    assert!(matches!(cmp, Comparison::Compared { ref warnings, .. } if warnings.is_empty()));
    // Another scenario's calibration does not apply.
    let mut other = calibration("checkout", 80.0);
    other.scenario = "other".into();
    assert_eq!(
        called(&compare_calibrated(Some(&b), &c, &opts, &[other])),
        ["all", "checkout"]
    );
}

#[test]
fn no_baseline_is_its_own_result() {
    let (s, w) = run(1, 5, 40.0);
    let c = Baseline::from_run("svc", "smoke", &s, &w);
    assert_eq!(
        compare(None, &c, &BaselineOptions::default()),
        Comparison::NoBaseline {
            scenario: "smoke".into()
        }
    );
}

#[test]
fn mann_whitney_detects_shift_and_not_noise() {
    let a: Vec<f64> = (0..20).map(|i| 10.0 + f64::from(i % 5)).collect();
    let b: Vec<f64> = (0..20).map(|i| 15.0 + f64::from(i % 5)).collect();
    assert!(mann_whitney_greater(&b, &a) < 0.001);
    assert!(mann_whitney_greater(&a, &b) > 0.99);
    let p = mann_whitney_greater(&a, &a);
    assert!(p > 0.3, "{p}");
    assert_eq!(mann_whitney_greater(&[1.0; 5], &[1.0; 5]), 1.0);
}
