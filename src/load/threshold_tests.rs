use super::*;
use crate::core::load::{EndpointSummary, EndpointWindow, Percentiles, Summary, Window};

#[test]
fn parses_the_documented_forms() {
    let t = Threshold::parse("p95 < 300ms").unwrap();
    assert_eq!(
        (t.metric, t.op, t.value, t.endpoint.clone(), t.over_s),
        (Metric::P95, Op::Lt, 300.0, None, None)
    );
    assert_eq!(Threshold::parse("p99 < 1s").unwrap().value, 1000.0);
    assert_eq!(Threshold::parse("p50 <= 20ms").unwrap().op, Op::Le);
    let e = Threshold::parse("error_rate < 1%").unwrap();
    assert_eq!((e.metric, e.value), (Metric::ErrorRate, 0.01));
    let r = Threshold::parse("rps > 500").unwrap();
    assert_eq!((r.metric, r.op, r.value), (Metric::Rps, Op::Gt, 500.0));
    let c = Threshold::parse("checkout: p95 < 300ms").unwrap();
    assert_eq!(c.endpoint.as_deref(), Some("checkout"));
    let w = Threshold::parse("GET /api: p99 < 250ms over 10s").unwrap();
    assert_eq!(
        (w.endpoint.as_deref(), w.over_s, w.value),
        (Some("GET /api"), Some(10), 250.0)
    );
    assert_eq!(Threshold::parse("p99 >= 500us").unwrap().value, 0.5);
}

#[test]
fn bad_inputs_say_what_to_write() {
    let e = Threshold::parse("p95 < 300").unwrap_err();
    assert_eq!(e.to_string(), "\"p95 < 300\" has no unit; write 300ms");
    let all = Threshold::parse_all(
        "load.thresholds",
        &["p95 < 1s".into(), "rps > 1".into(), "p95 < 300".into()],
    )
    .unwrap_err();
    assert_eq!(
        all,
        "load.thresholds[2]: \"p95 < 300\" has no unit; write 300ms"
    );
    let e = Threshold::parse("error_rate < 1").unwrap_err().to_string();
    assert!(e.contains("write 1%"), "{e}");
    let e = Threshold::parse("p42 < 3ms").unwrap_err().to_string();
    assert!(
        e.contains("unknown metric \"p42\"") && e.contains("p95"),
        "{e}"
    );
    let e = Threshold::parse("p95 300ms").unwrap_err().to_string();
    assert!(e.contains("no comparison"), "{e}");
    let e = Threshold::parse("p95 < 3 parsecs").unwrap_err().to_string();
    assert!(e.contains("unknown unit"), "{e}");
    let e = Threshold::parse("p95 < 3ms over ten")
        .unwrap_err()
        .to_string();
    assert!(e.contains("over 10s"), "{e}");
    let e = Threshold::parse("p90 < 3ms over 5s")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not kept per window"), "{e}");
    let e = Threshold::parse("p95 < abcms").unwrap_err().to_string();
    assert!(e.contains("not a number"), "{e}");
}

fn summary() -> Summary {
    Summary {
        duration_s: 10.0,
        requests: 1000,
        errors: 5,
        requests_per_sec: 100.0,
        latency: Percentiles {
            p50_ms: 10.0,
            p95_ms: 40.0,
            p99_ms: 90.0,
            ..Default::default()
        },
        endpoints: vec![EndpointSummary {
            name: "checkout".into(),
            requests: 100,
            errors: 3,
            latency: Percentiles {
                p95_ms: 400.0,
                ..Default::default()
            },
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn evaluates_on_the_summary() {
    let s = summary();
    let st = |t: &str| Threshold::parse(t).unwrap().evaluate(&s).status;
    assert_eq!(st("p95 < 50ms"), Status::Pass);
    assert_eq!(st("p99 < 50ms"), Status::Fail);
    assert_eq!(st("error_rate < 1%"), Status::Pass); // 0.5%
    assert_eq!(st("rps > 500"), Status::Fail);
    assert_eq!(st("checkout: p95 < 300ms"), Status::Fail);
    assert_eq!(st("checkout: error_rate < 1%"), Status::Fail); // 3%
    assert_eq!(st("search: p95 < 300ms"), Status::NoData);
    let r = Threshold::parse("p99 < 50ms").unwrap().evaluate(&s);
    assert_eq!(r.detail, "p99 was 90.0ms (limit 50.0ms)");
}

fn win(second: u32, p95: f64) -> Window {
    Window {
        second,
        requests: 100,
        achieved_rps: 100.0,
        p95_ms: p95,
        endpoints: vec![EndpointWindow {
            name: "checkout".into(),
            requests: 10,
            p95_ms: p95 * 2.0,
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn sliding_window_needs_a_sustained_breach() {
    let t = Threshold::parse("p95 < 100ms over 3s").unwrap();
    let s = summary();
    // Two breaching windows, a good one, two more: never three in a row.
    let spiky: Vec<Window> = [150.0, 150.0, 50.0, 150.0, 150.0]
        .iter()
        .enumerate()
        .map(|(i, p)| win(i as u32, *p))
        .collect();
    assert_eq!(t.evaluate_windows(&s, &spiky).status, Status::Pass);
    assert!(t.sustained_breach(&spiky).is_none());
    let sustained: Vec<Window> = [50.0, 150.0, 150.0, 150.0]
        .iter()
        .enumerate()
        .map(|(i, p)| win(i as u32, *p))
        .collect();
    let r = t.evaluate_windows(&s, &sustained);
    assert_eq!(r.status, Status::Fail);
    assert!(r.detail.contains("seconds 1-3"), "{}", r.detail);
    assert!(
        t.sustained_breach(&sustained)
            .unwrap()
            .contains("breached for 3 s")
    );
    // Per endpoint: checkout's p95 is twice the overall one.
    let e = Threshold::parse("checkout: p95 < 200ms over 2s").unwrap();
    let w: Vec<Window> = [90.0, 110.0, 120.0]
        .iter()
        .enumerate()
        .map(|(i, p)| win(i as u32, *p))
        .collect();
    assert_eq!(e.evaluate_windows(&s, &w).status, Status::Fail);
    // Too few windows is not a breach.
    assert!(t.sustained_breach(&sustained[..2]).is_none());
}
