use super::*;
use crate::core::load::{LagStats, Percentiles};

/// A target that answers in 2 ms up to `knee` requests/s and queues above.
fn model(rate: f64, knee: f64, saturate_above: f64, error_rate: f64) -> StepMeasure {
    let p99 = if rate <= knee {
        2.0
    } else {
        2.0 + (rate - knee) * 5.0
    };
    let saturated = rate > saturate_above;
    let requests = (rate * 4.0) as u64;
    let summary = Summary {
        requests,
        errors: (requests as f64 * error_rate) as u64,
        requests_per_sec: if saturated { saturate_above } else { rate },
        target_rps: rate,
        latency: Percentiles {
            p50_ms: p99 / 2.0,
            p95_ms: p99 * 0.9,
            p99_ms: if saturated { 900.0 } else { p99 },
            max_ms: p99,
            ..Percentiles::default()
        },
        uncorrected: Percentiles {
            p99_ms: if saturated { 1.0 } else { p99 },
            max_ms: if saturated { 1.0 } else { p99 },
            ..Percentiles::default()
        },
        lag: LagStats {
            p99_ms: if saturated { 800.0 } else { 0.1 },
            ..LagStats::default()
        },
        windows: 4,
        saturated_windows: if saturated { 4 } else { 0 },
        longest_saturation_s: if saturated { 4 } else { 0 },
        ..Summary::default()
    };
    (summary, Vec::new())
}

fn cfg(required: f64) -> CapacityConfig {
    CapacityConfig {
        required_rps: required,
        slo: vec!["p99 < 100ms".into(), "error_rate < 1%".into()],
        start_rps: Some(100.0),
        step_s: 1.0,
        ..CapacityConfig::default()
    }
}

fn slo(c: &CapacityConfig) -> Vec<Threshold> {
    Threshold::parse_all("slo", &c.slo).unwrap()
}

async fn run(c: &CapacityConfig, max: f64, f: impl Fn(f64) -> StepMeasure) -> CapacityResult {
    let cancel = CancellationToken::new();
    search(
        c,
        max,
        &slo(c),
        |r| std::future::ready(Ok(f(r))),
        |_| {},
        &cancel,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn finds_the_sustainable_rate_by_ramp_and_bisection() {
    let c = cfg(500.0);
    // p99 < 100ms holds up to 800 + 98/5 = 819.6/s.
    let r = run(&c, 5000.0, |rate| model(rate, 800.0, 1e9, 0.0)).await;
    let s = r.sustainable_rps.unwrap();
    assert!((759.0..=819.6).contains(&s), "{s} {r:#?}");
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.reason);
    assert!(r.curve.iter().any(|s| s.phase == Some(StepPhase::Bisect)));
    assert!(r.curve.iter().all(|s| s.rate_rps <= 5000.0));
    let k = r.knee_rps.unwrap();
    assert!((700.0..=900.0).contains(&k), "knee {k}");
    // Between 1.0 and the headroom: warn; below: fail.
    assert_eq!(
        run(&cfg(700.0), 5000.0, |x| model(x, 800.0, 1e9, 0.0))
            .await
            .verdict,
        Verdict::Warn
    );
    assert_eq!(
        run(&cfg(900.0), 5000.0, |x| model(x, 800.0, 1e9, 0.0))
            .await
            .verdict,
        Verdict::Fail
    );
}

#[tokio::test]
async fn never_exceeds_max_rate_and_says_when_it_bounds_the_answer() {
    let r = run(&cfg(500.0), 300.0, |x| model(x, 800.0, 1e9, 0.0)).await;
    assert!(r.curve.iter().all(|s| s.rate_rps <= 300.0));
    assert!(r.bounded_by_max_rate);
    assert_eq!(r.sustainable_rps, Some(300.0));
    assert_eq!(r.verdict, Verdict::Inconclusive, "{}", r.reason);
}

#[tokio::test]
async fn a_saturated_generator_gives_no_capacity_figure() {
    let r = run(&cfg(500.0), 5000.0, |x| model(x, 800.0, 400.0, 0.0)).await;
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert_eq!(r.sustainable_rps, None);
    assert!(
        r.reason
            .contains("the generator, not the target, is the limit"),
        "{}",
        r.reason
    );
    assert!(r.reason.contains("send lag p99 800.0ms"), "{}", r.reason);
}

#[tokio::test]
async fn errors_beyond_the_safety_bound_stop_the_search() {
    let r = run(&cfg(500.0), 5000.0, |x| {
        model(x, 800.0, 1e9, if x > 300.0 { 0.5 } else { 0.0 })
    })
    .await;
    let last = r.curve.last().unwrap();
    assert_eq!(last.outcome, Some(StepOutcome::Unsafe));
    assert!(last.rate_rps > 300.0 && last.rate_rps < 400.0, "{r:#?}");
    assert!(r.reason.contains("safety bound"), "{}", r.reason);
    assert_eq!(r.verdict, Verdict::Fail);
}

#[tokio::test]
async fn a_noisy_step_is_repeated_once_then_inconclusive() {
    let c = cfg(500.0);
    let noisy = |rate: f64| {
        let (s, _) = model(rate, 800.0, 1e9, 0.0);
        let w = |p99: f64| Window {
            requests: 100,
            p99_ms: p99,
            ..Window::default()
        };
        // breach, then within again, then the drain window
        (s, vec![w(500.0), w(2.0), w(2.0), w(2.0)])
    };
    let r = run(&c, 5000.0, noisy).await;
    assert_eq!(r.curve.len(), 2, "{r:#?}");
    assert_eq!(r.curve[1].phase, Some(StepPhase::Repeat));
    assert_eq!(r.verdict, Verdict::Inconclusive);
    assert!(r.reason.contains("repeated once"), "{}", r.reason);
}
