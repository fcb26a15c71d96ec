use super::*;
use crate::core::load::LoadModel;
use crate::load::totals::{Pacing, SATURATION_LAG_MS, Totals};

fn ok(endpoint: usize, us: u64) -> Outcome {
    Outcome {
        endpoint,
        status: Some(200),
        error: None,
        corrected_us: us,
        uncorrected_us: us / 2,
        lag_us: Some(100),
    }
}

#[test]
fn windows_fold_into_totals_and_attribute_variants() {
    let names = vec!["a".to_string(), "b".to_string()];
    let mut rec = Recorder::new(2);
    let mut totals = Totals::new(2, SATURATION_LAG_MS);
    for i in 0..100u64 {
        rec.record(
            &ok((i % 2) as usize, 1000 * (i + 1)),
            Some(if i < 30 { b"canary" } else { b"baseline" }),
        );
    }
    rec.record(
        &Outcome {
            error: Some(ErrorKind::Status5xx),
            status: Some(503),
            ..ok(0, 5)
        },
        None,
    );
    let (w, vn) = rec.take(WindowAcc::new(2));
    let pacing = Pacing {
        target_rps: 100.0,
        scheduled: 101,
        sent: 101,
        backlog: 0,
        open: true,
    };
    let win = totals.close_window(&w, &names, &vn, 0, 1.0, pacing);
    assert_eq!((win.requests, win.errors), (101, 1));
    assert!((win.p50_ms - 50.0).abs() < 1.0, "{}", win.p50_ms);
    assert!(win.p99_uncorrected_ms < win.p99_ms);
    assert!(!win.saturated);
    let canary = win.variants.iter().find(|v| v.variant == "canary").unwrap();
    assert_eq!(canary.requests, 30);
    assert_eq!(win.endpoints.iter().map(|e| e.requests).sum::<u64>(), 101);
    let s = totals.summary(LoadModel::Open, &names, 1.0, 100.0, 0);
    assert_eq!(s.status_codes[&503], 1);
    assert_eq!(s.error_kinds["status_5xx"], 1);
    assert_eq!(s.windows, 1);
}

#[test]
fn lagging_or_short_windows_are_saturated() {
    let mut totals = Totals::new(1, SATURATION_LAG_MS);
    let names = vec!["a".to_string()];
    let mut w = WindowAcc::new(1);
    w.lag.record(50_000).unwrap();
    let p = Pacing {
        target_rps: 100.0,
        scheduled: 100,
        sent: 100,
        backlog: 0,
        open: true,
    };
    assert!(totals.close_window(&w, &names, &[], 0, 1.0, p).saturated);
    let p = Pacing {
        scheduled: 100,
        sent: 80,
        ..p
    };
    assert!(
        totals
            .close_window(&WindowAcc::new(1), &names, &[], 1, 1.0, p)
            .saturated
    );
    let p = Pacing {
        scheduled: 100,
        sent: 99,
        ..p
    };
    assert!(
        !totals
            .close_window(&WindowAcc::new(1), &names, &[], 2, 1.0, p)
            .saturated
    );
    let s = totals.summary(LoadModel::Open, &names, 3.0, 100.0, 0);
    assert_eq!((s.saturated_windows, s.longest_saturation_s), (2, 2));
}

#[test]
fn the_collector_merges_threads_by_variant_name_and_reuses_its_windows() {
    let names = vec!["a".to_string()];
    let recs = [
        std::sync::Mutex::new(Recorder::new(1)),
        std::sync::Mutex::new(Recorder::new(1)),
    ];
    // The two threads meet the variants in opposite orders.
    for (r, order) in recs.iter().zip([[&b"x"[..], b"y"], [b"y", b"x"]]) {
        let mut r = r.lock().unwrap();
        for (i, v) in order.iter().enumerate() {
            for _ in 0..(i + 1) * 10 {
                r.record(&ok(0, 1000), Some(v));
            }
        }
    }
    let mut c = Collector::new(1);
    let mut totals = Totals::new(1, SATURATION_LAG_MS);
    let (acc, vn) = c.collect(&recs);
    let win = totals.close_window(acc, &names, vn, 0, 1.0, Pacing::default());
    assert_eq!(win.requests, 60);
    let n = |v: &str| {
        win.variants
            .iter()
            .find(|w| w.variant == v)
            .unwrap()
            .requests
    };
    assert_eq!((n("x"), n("y")), (30, 30));
    // Next second: only one thread saw traffic, one variant; the emptied
    // windows carry nothing over.
    recs[1].lock().unwrap().record(&ok(0, 2000), Some(b"y"));
    let (acc, vn) = c.collect(&recs);
    let win = totals.close_window(acc, &names, vn, 1, 1.0, Pacing::default());
    assert_eq!(win.requests, 1);
    assert_eq!(win.variants.len(), 1);
    assert_eq!(win.variants[0].variant, "y");
    assert!((win.p50_ms - 2.0).abs() < 0.01, "{}", win.p50_ms);
    let s = totals.summary(LoadModel::Closed, &names, 2.0, 0.0, 0);
    assert_eq!(s.requests, 61);
    assert_eq!(s.variants.iter().map(|v| v.requests).sum::<u64>(), 61);
}
