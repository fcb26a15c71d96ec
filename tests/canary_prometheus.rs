//! PromQL metrics against a REAL Prometheus scraping the demo targets'
//! `/metrics`. Finds the binary via FLIGHTDECK_PROMETHEUS or `prometheus` on
//! PATH (`.ci/run` installs the Debian package) and fails without it.

mod prom_support;

use std::time::{Duration, Instant, SystemTime};

use flightdeck::canary::{
    Classification, Direction, JudgeConfig, JudgeParams, MetricConfig, MetricSource, judge_step,
    promql_samples,
};
use flightdeck::core::verdict::Verdict;
use flightdeck::demo::{DemoTargets, Scenario};
use prom_support::Prom;

fn error_rate_metric(min_samples: usize) -> MetricConfig {
    let q = |v: &str| {
        format!(
            "sum(rate(demo_request_errors_total{{variant=\"{v}\"}}[5s])) / \
             sum(rate(demo_requests_total{{variant=\"{v}\"}}[5s]))"
        )
    };
    MetricConfig {
        name: "error rate".into(),
        source: MetricSource::Promql {
            baseline: q("baseline"),
            canary: q("canary"),
        },
        direction: Direction::Increase,
        critical: true,
        weight: 1.0,
        params: JudgeParams {
            min_samples,
            ..JudgeParams::default()
        },
    }
}

/// Send API requests to `base` from `workers` loops until `until`.
fn traffic(
    http: &reqwest::Client,
    base: String,
    workers: usize,
    until: Instant,
) -> Vec<tokio::task::JoinHandle<u64>> {
    (0..workers)
        .map(|_| {
            let http = http.clone();
            let base = base.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while Instant::now() < until {
                    if http.get(format!("{base}/api/cart")).send().await.is_ok() {
                        n += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                n
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_error_rate_fails_the_degraded_canary() {
    let demo = DemoTargets::start(Scenario::Degraded, None)
        .await
        .expect("demo targets");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // The hand-written exposition format, before Prometheus reads it.
    let text = http
        .get(format!("{}/metrics", demo.canary_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "# TYPE demo_requests_total counter",
        "demo_requests_total{variant=\"canary\"} 0",
        "demo_request_errors_total{variant=\"canary\"} 0",
        "demo_request_duration_seconds_bucket{variant=\"canary\",le=\"+Inf\"} 0",
        "demo_request_duration_seconds_count{variant=\"canary\"} 0",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }

    let prom = Prom::start(&[demo.baseline.to_string(), demo.canary.to_string()]);
    prom.wait_up(&http, 2).await;

    let start = SystemTime::now();
    let until = Instant::now() + Duration::from_secs(9);
    let mut tasks = traffic(&http, demo.baseline_url(), 2, until);
    tasks.extend(traffic(&http, demo.canary_url(), 4, until));
    let mut sent = 0;
    for t in tasks {
        sent += t.await.unwrap();
    }
    let end = SystemTime::now();
    assert!(sent > 100, "only {sent} requests went out");
    // Let the last scrape of the window land.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let metric = error_rate_metric(5);
    let (b, c) = promql_samples(&prom.url, std::slice::from_ref(&metric), start, end)
        .await
        .unwrap_or_else(|e| panic!("{e}\nPrometheus log:\n{}", prom.log_tail()));
    let vals = |s: &flightdeck::canary::Samples| -> Vec<f64> {
        s["error rate"].iter().flatten().copied().collect()
    };
    let (bv, cv) = (vals(&b), vals(&c));
    assert!(
        bv.len() >= 5 && cv.len() >= 5,
        "too few points: {b:?} {c:?}"
    );
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(mean(&bv) < 0.02, "baseline error rate {bv:?}");
    assert!(
        mean(&cv) > 0.1 && mean(&cv) > mean(&bv) + 0.08,
        "canary error rate {cv:?} not clearly above baseline {bv:?}"
    );

    let cfg = JudgeConfig {
        metrics: vec![metric.clone()],
        prometheus_url: Some(prom.url.clone()),
        ..JudgeConfig::default()
    };
    let j = judge_step(&cfg, &b, &c);
    assert_eq!(j.metrics[0].classification, Classification::High, "{j:?}");
    assert_eq!(j.metrics[0].verdict, Verdict::Fail);
    assert_eq!(j.verdict, Verdict::Fail, "{}", j.reason);

    // Prometheus's own error, and a query that needs aggregating.
    let bad = MetricConfig {
        source: MetricSource::Promql {
            baseline: "sum(".into(),
            canary: "up".into(),
        },
        ..metric.clone()
    };
    let e = promql_samples(&prom.url, &[bad], start, end)
        .await
        .unwrap_err();
    assert!(
        e.contains("`sum(`") && e.contains(&prom.url) && e.contains("bad_data"),
        "{e}"
    );
    let many = MetricConfig {
        source: MetricSource::Promql {
            baseline: "up".into(),
            canary: "up".into(),
        },
        ..metric
    };
    let e = promql_samples(&prom.url, &[many], start, end)
        .await
        .unwrap_err();
    assert!(e.contains("2 series") && e.contains("sum("), "{e}");
}
