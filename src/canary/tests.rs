use super::*;
use crate::core::load::{VariantWindow, Window};
use crate::core::verdict::Verdict;

fn s(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().copied().map(Some).collect()
}

fn latency(base: f64, n: usize) -> Vec<f64> {
    // deterministic spread around `base`: +/- 10%
    (0..n)
        .map(|i| base * (0.9 + 0.2 * ((i * 37 % 101) as f64 / 100.0)))
        .collect()
}

fn metric(direction: Direction) -> MetricConfig {
    MetricConfig {
        direction,
        ..MetricConfig::load("p95", LoadMetric::P95, false)
    }
}

#[test]
fn identical_samples_pass() {
    let b = latency(40.0, 30);
    let j = judge_metric(&metric(Direction::Increase), &s(&b), &s(&b));
    assert_eq!(j.classification, Classification::Pass);
    assert_eq!(j.verdict, Verdict::Pass);
    assert_eq!(j.shift, Some(0.0));
    assert_eq!((j.baseline_n, j.canary_n), (30, 30));
    let (lo, hi) = j.ci.unwrap();
    assert!(lo <= 0.0 && hi >= 0.0);
}

#[test]
fn clear_increase_fails_high_and_carries_numbers() {
    let b = latency(40.0, 30);
    let c = latency(60.0, 30);
    let j = judge_metric(&metric(Direction::Increase), &s(&b), &s(&c));
    assert_eq!(j.classification, Classification::High, "{j:?}");
    assert_eq!(j.verdict, Verdict::Fail);
    assert!(j.ci.unwrap().0 > j.bound.unwrap());
    assert!((j.effect_size.unwrap() - 1.5).abs() < 0.01);
    assert!(j.canary_median.unwrap() > j.baseline_median.unwrap());
    assert!(j.p_value.unwrap() < 0.001);
    // the same increase is fine when only a decrease is bad
    let j = judge_metric(&metric(Direction::Decrease), &s(&b), &s(&c));
    assert_eq!(j.classification, Classification::Pass);
    // and a decrease is caught by `decrease` / `either`, not by `increase`
    let j = judge_metric(&metric(Direction::Either), &s(&c), &s(&b));
    assert_eq!(j.classification, Classification::Low);
    let j = judge_metric(&metric(Direction::Increase), &s(&c), &s(&b));
    assert_eq!(j.classification, Classification::Pass);
}

#[test]
fn small_shift_within_tolerance_passes() {
    // a consistent +2% shift is significant but its interval does not clear
    // 25% of the estimate... it does: the bound is relative to the estimate
    // itself (Kayenta), so min_abs_shift is what absorbs tiny absolute shifts.
    let b = latency(40.0, 40);
    let c: Vec<f64> = b.iter().map(|x| x + 0.5).collect();
    let mut m = metric(Direction::Increase);
    m.params.min_abs_shift = 1.0;
    assert_eq!(
        judge_metric(&m, &s(&b), &s(&c)).classification,
        Classification::Pass
    );
    m.params.min_abs_shift = 0.0;
    m.params.effect_size_high = Some(1.05);
    let j = judge_metric(&m, &s(&b), &s(&c));
    assert_eq!(
        j.classification,
        Classification::Pass,
        "effect 1.0125 < 1.05: {j:?}"
    );
}

#[test]
fn ties_and_zeros() {
    // error rates: mostly zero on both sides
    let b = [0.0; 20];
    let mut c = [0.0; 20];
    c[3] = 0.01;
    let mut m = MetricConfig::load("errors", LoadMetric::ErrorRate, true);
    let j = judge_metric(&m, &s(&b), &s(&c));
    assert_eq!(j.classification, Classification::Pass, "{j:?}");
    // all identical zeros
    let j = judge_metric(&m, &s(&b), &s(&b));
    assert_eq!(j.classification, Classification::Pass);
    assert_eq!(j.effect_size, Some(1.0));
    // canary erroring in most windows against a clean baseline
    let c: Vec<f64> = (0..20)
        .map(|i| if i % 5 == 0 { 0.0 } else { 0.2 })
        .collect();
    let j = judge_metric(&m, &s(&b), &s(&c));
    assert_eq!(j.classification, Classification::High, "{j:?}");
    assert_eq!(j.effect_size, None, "baseline mean 0: unbounded");
    // heavily tied latencies (integer ms)
    let b: Vec<f64> = (0..30).map(|i| f64::from(40 + i % 3)).collect();
    let c: Vec<f64> = (0..30).map(|i| f64::from(50 + i % 3)).collect();
    m.direction = Direction::Increase;
    assert_eq!(
        judge_metric(&m, &s(&b), &s(&c)).classification,
        Classification::High
    );
}

#[test]
fn tiny_samples_are_nodata_never_pass() {
    let b = latency(40.0, 9);
    let j = judge_metric(&metric(Direction::Increase), &s(&b), &s(&b));
    assert_eq!(j.classification, Classification::Nodata);
    assert_eq!(j.verdict, Verdict::Inconclusive);
    assert!(j.reason.contains("at least 10"));
    let j = judge_metric(&metric(Direction::Increase), &[], &[]);
    assert_eq!(j.verdict, Verdict::Inconclusive);
}

#[test]
fn missing_values_policies() {
    let mut b = s(&latency(40.0, 12));
    b.push(None);
    b.push(None);
    let mut m = metric(Direction::Increase);
    let j = judge_metric(&m, &b, &b);
    assert_eq!(
        (j.baseline_n, j.missing, j.classification),
        (12, 4, Classification::Pass)
    );
    m.params.missing = Missing::Nodata;
    assert_eq!(
        judge_metric(&m, &b, &b).classification,
        Classification::Nodata
    );
    m.params.missing = Missing::Zero;
    assert_eq!(judge_metric(&m, &b, &b).baseline_n, 14);
}

fn cfg() -> JudgeConfig {
    JudgeConfig::default()
}

fn samples(p95: &[f64], p99: &[f64], err: &[f64]) -> Samples {
    [
        ("p95 latency".to_string(), s(p95)),
        ("p99 latency".to_string(), s(p99)),
        ("error rate".to_string(), s(err)),
    ]
    .into()
}

#[test]
fn step_scoring_and_critical() {
    let z = [0.0; 30];
    let base = samples(&latency(40.0, 30), &latency(80.0, 30), &z);
    let same = judge_step(&cfg(), &base, &base);
    assert_eq!((same.verdict, same.score), (Verdict::Pass, Some(100.0)));

    // one of three equally weighted metrics fails: score 67, below marginal 75
    let worse = samples(&latency(40.0, 30), &latency(120.0, 30), &z);
    let j = judge_step(&cfg(), &base, &worse);
    assert_eq!(j.verdict, Verdict::Fail);
    assert!((j.score.unwrap() - 200.0 / 3.0).abs() < 1e-9);

    // with p99 weighted 0.25 of the others, 2/2.25 = 89: marginal -> WARN
    let mut c = cfg();
    c.metrics[1].weight = 0.25;
    assert_eq!(judge_step(&c, &base, &worse).verdict, Verdict::Warn);

    // a critical failure fails whatever the score
    let errs: Vec<f64> = (0..30)
        .map(|i| if i % 4 == 0 { 0.0 } else { 0.3 })
        .collect();
    let broken = samples(&latency(40.0, 30), &latency(80.0, 30), &errs);
    let mut c = cfg();
    c.metrics[0].weight = 100.0;
    let j = judge_step(&c, &base, &broken);
    assert_eq!(j.verdict, Verdict::Fail);
    assert!(j.score.unwrap() > 95.0 && j.reason.contains("critical metric error rate"));
}

#[test]
fn step_without_data_is_inconclusive() {
    let j = judge_step(&cfg(), &Samples::new(), &Samples::new());
    assert_eq!((j.verdict, j.score), (Verdict::Inconclusive, None));
    // non-critical NODATA with everything else passing: WARN, not PASS
    let z = [0.0; 30];
    let mut b = samples(&latency(40.0, 30), &latency(80.0, 30), &z);
    b.insert("p99 latency".into(), s(&latency(80.0, 5)));
    let j = judge_step(&cfg(), &b, &b);
    assert_eq!(j.verdict, Verdict::Warn, "{}", j.reason);
    // critical NODATA: inconclusive
    b.insert("error rate".into(), vec![]);
    assert_eq!(judge_step(&cfg(), &b, &b).verdict, Verdict::Inconclusive);
}

fn window(second: u32, canary: Option<(u64, u64, f64)>) -> Window {
    let mut variants = vec![VariantWindow {
        variant: "baseline".into(),
        requests: 95,
        errors: 0,
        p50_ms: 10.0,
        p95_ms: 40.0,
        p99_ms: 80.0,
    }];
    if let Some((requests, errors, p99)) = canary {
        variants.push(VariantWindow {
            variant: "canary".into(),
            requests,
            errors,
            p50_ms: 11.0,
            p95_ms: 42.0,
            p99_ms: p99,
        });
    }
    Window {
        second,
        variants,
        ..Default::default()
    }
}

#[test]
fn samples_from_windows() {
    let ws = vec![
        window(0, Some((5, 1, 90.0))),
        window(1, None),
        window(2, Some((4, 0, 85.0))),
    ];
    let (b, c) = load_samples(&ws, "baseline", "canary", &cfg().metrics);
    assert_eq!(b["p95 latency"], vec![Some(40.0); 3]);
    assert_eq!(c["p99 latency"], vec![Some(90.0), None, Some(85.0)]);
    assert_eq!(c["error rate"], vec![Some(0.2), None, Some(0.0)]);
    let series = variant_series(&ws, "canary");
    assert_eq!(series.requests, vec![5, 0, 4]);
}

#[test]
fn guard_counts_down_and_trips() {
    let g = LiveGuard::default(); // 5% for 3 windows
    let bad = |s| window(s, Some((10, 2, 90.0)));
    let good = |s| window(s, Some((10, 0, 90.0)));
    let st = evaluate_guard(&g, &[good(0), bad(1)], "canary");
    assert_eq!((st.tripped, st.consecutive, st.remaining), (false, 1, 2));
    assert!(st.reason.unwrap().contains("error rate 20.0% > 5.0%"));
    // a window without canary traffic neither breaches nor breaks the streak
    let st = evaluate_guard(&g, &[bad(0), window(1, None), bad(2)], "canary");
    assert_eq!((st.consecutive, st.remaining), (2, 1));
    let st = evaluate_guard(&g, &[good(0), bad(1), bad(2), bad(3)], "canary");
    assert!(st.tripped);
    assert_eq!(st.remaining, 0);
    // recovery resets the count
    let st = evaluate_guard(&g, &[bad(1), bad(2), good(3)], "canary");
    assert_eq!((st.tripped, st.consecutive), (false, 0));
    // p99 limit
    let g = LiveGuard {
        max_p99_ms: Some(50.0),
        consecutive_windows: 1,
        ..LiveGuard::default()
    };
    assert!(evaluate_guard(&g, &[good(0)], "canary").tripped);
    let off = LiveGuard {
        enabled: false,
        ..LiveGuard::default()
    };
    assert!(!evaluate_guard(&off, &[bad(0), bad(1), bad(2)], "canary").tripped);
}

#[test]
fn plan_defaults_and_validation() {
    let plan: CanaryPlan = toml::from_str(
        r#"
        flag = "checkout-v2"
        [provider]
        kind = "unleash"
        url = "http://127.0.0.1:4242"
        token = { env = "FLIGHTDECK_UNLEASH_TOKEN" }
        "#,
    )
    .unwrap();
    assert_eq!(plan.steps, vec![5.0, 25.0, 50.0, 100.0]);
    assert_eq!(plan.judge.pass_score, 95.0);
    assert_eq!(plan.judge.metrics[0].params.confidence, 0.98);
    assert!(plan.validate().is_empty(), "{:?}", plan.validate());

    let bad: CanaryPlan = toml::from_str(
        r#"
        flag = ""
        steps = [25, 5, 150]
        hold_s = 5
        [provider]
        kind = "ofrep"
        url = "http://127.0.0.1:8016"
        [[judge.metrics]]
        name = "p95"
        source = { baseline = "histogram_quantile(0.95, x{v=\"b\"})", canary = "" }
        params = { confidence = 1.5 }
        "#,
    )
    .unwrap();
    let keys: Vec<String> = bad.validate().into_iter().map(|i| i.key).collect();
    for k in [
        "canary.flag",
        "canary.provider.kind",
        "canary.steps[1]",
        "canary.steps[2]",
        "canary.judge.metrics[0].params.confidence",
        "canary.hold_s",
        "canary.judge.metrics[0].source",
    ] {
        assert!(keys.iter().any(|x| x == k), "missing {k} in {keys:?}");
    }
}

#[test]
fn cli_reads_samples_and_judges() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.txt");
    let c = dir.path().join("c.txt");
    let text = |v: &[f64]| v.iter().map(|x| format!("{x}\n")).collect::<String>();
    std::fs::write(
        &b,
        format!("# baseline p95\n{}NA\n", text(&latency(40.0, 20))),
    )
    .unwrap();
    std::fs::write(&c, text(&latency(70.0, 20))).unwrap();
    let args = |output: &str| {
        use clap::Parser;
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            a: cli::JudgeArgs,
        }
        let (b, c) = (b.display().to_string(), c.display().to_string());
        let argv = ["judge", "--baseline", &b, "--canary", &c, "--name", "p95"];
        T::parse_from(argv.into_iter().chain(["--output", output])).a
    };
    let (out, code) = cli::run_judge(args("text")).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("FAIL"), "{out}");
    let (out, _) = cli::run_judge(args("json")).unwrap();
    let j: StepJudgement = serde_json::from_str(&out).unwrap();
    assert_eq!(j.metrics[0].baseline_n, 20);
    std::fs::write(&c, "41.0\n4l.2\n").unwrap();
    let e = cli::run_judge(args("text")).unwrap_err().to_string();
    assert!(e.contains("c.txt:2") && e.contains("4l.2"), "{e}");
}

fn promql(name: &str) -> MetricConfig {
    MetricConfig {
        source: MetricSource::Promql {
            baseline: "sum(rate(x[5s]))".into(),
            canary: "sum(rate(y[5s]))".into(),
        },
        ..MetricConfig::load(name, LoadMetric::ErrorRate, true)
    }
}

#[test]
fn promql_metric_needs_a_prometheus_url() {
    let mut plan = CanaryPlan {
        flag: "checkout-v2".into(),
        ..CanaryPlan::default()
    };
    plan.judge.metrics.push(promql("5xx"));
    let keys: Vec<String> = plan.validate().into_iter().map(|i| i.key).collect();
    assert_eq!(keys, vec!["canary.judge.prometheus_url".to_string()]);
    plan.judge.prometheus_url = Some("127.0.0.1:9090".into());
    let issues = plan.validate();
    assert!(
        issues.len() == 1 && issues[0].message.contains("not an http(s) URL"),
        "{issues:?}"
    );
    plan.judge.prometheus_url = Some("http://127.0.0.1:9090".into());
    assert!(plan.validate().is_empty(), "{:?}", plan.validate());
    // The key is read from TOML and left out when unset.
    let j: JudgeConfig = toml::from_str("prometheus_url = \"http://p:9090\"").unwrap();
    assert_eq!(j.prometheus_url.as_deref(), Some("http://p:9090"));
    let text = toml::to_string(&JudgeConfig::default()).unwrap();
    assert!(!text.contains("prometheus_url"), "{text}");
}

#[test]
fn failed_fetch_is_nodata_with_its_reason_never_pass() {
    let mut cfg = JudgeConfig {
        metrics: vec![promql("5xx")],
        ..JudgeConfig::default()
    };
    // Samples that would pass, but the metric's query failed.
    let same: Samples = [("5xx".to_string(), s(&[0.0; 20]))].into();
    let errors = [("5xx".to_string(), "query `x` failed: boom".to_string())].into();
    let j = judge_step_with_errors(&cfg, &same, &same, &errors);
    assert_eq!(j.metrics[0].classification, Classification::Nodata);
    assert_eq!(j.metrics[0].reason, "NODATA: query `x` failed: boom");
    assert_eq!(j.verdict, Verdict::Inconclusive);
    assert!(j.reason.contains("boom"), "{}", j.reason);
    // Non-critical: the other metrics carry the score, but never a clean pass.
    cfg.metrics[0].critical = false;
    cfg.metrics
        .push(MetricConfig::load("p95", LoadMetric::P95, false));
    let mut both = same.clone();
    both.insert("p95".into(), s(&latency(40.0, 20)));
    let j = judge_step_with_errors(&cfg, &both, &both, &errors);
    assert_eq!(j.verdict, Verdict::Warn, "{}", j.reason);
    assert!(j.reason.contains("no data for 5xx"), "{}", j.reason);
}
