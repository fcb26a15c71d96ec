//! Kayenta's judge parameters, each against numbers derived by hand:
//! effect-size thresholds, the effect-size measure (mean ratio or CLES),
//! critical effect sizes, the NaN strategy and `--critical`.
//!
//! The samples are runs of consecutive integers, so every figure can be
//! worked out on paper. `seq(a, 20)` is a, a+1, ..., a+19; its mean is
//! a + 9.5. For `seq(b0, 20)` against `seq(c0, 20)` with c0 - b0 = s, the
//! 400 differences canary - baseline are s + d for d = -19..=19, d occurring
//! 20 - |d| times: the Hodges-Lehmann shift is s and, sorted, the k-th
//! smallest (0-based) is s - 20 + v for the smallest v with v(v+1)/2 > k.
//! At 98% confidence the interval's index is k = floor(mu - z sd) with mu =
//! 200, sd = sqrt(400 x 41 / 12) = 36.968 (no ties across the two samples
//! when s >= 20; for s = 10 the ten values in both samples shrink sd by
//! under 0.1%), z = 2.3263: k = 113 or 114, both v = 15 (105 < k < 120), so
//! the interval is [s - 5, s + 5].
//! The bound is tolerance 0.25 x |s|.

use super::*;
use crate::core::verdict::Verdict;

fn seq(start: u32, n: u32) -> Vec<Option<f64>> {
    (start..start + n).map(|v| Some(f64::from(v))).collect()
}

fn metric(direction: Direction, critical: bool) -> MetricConfig {
    MetricConfig {
        direction,
        ..MetricConfig::load("m", LoadMetric::P95, critical)
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// b = 10..=29, c = 30..=49: s = 20, interval [15, 25] clears the bound 5.
/// Mean ratio = 39.5 / 19.5 = 2.025641. Significant either way; the effect
/// size decides: >= 2.0 is HIGH, < 2.1 is not.
#[test]
fn effect_size_high_gates_a_significant_increase() {
    let (b, c) = (seq(10, 20), seq(30, 20));
    let mut m = metric(Direction::Increase, false);
    let j = judge_metric(&m, &b, &c);
    assert_eq!(
        (j.shift, j.ci, j.bound),
        (Some(20.0), Some((15.0, 25.0)), Some(5.0))
    );
    assert!(close(j.effect_size, 39.5 / 19.5), "{j:?}");
    assert_eq!(
        (j.classification, j.effect_threshold),
        (Classification::High, 1.0)
    );
    m.params.effect_size_high = Some(2.0);
    assert_eq!(
        judge_metric(&m, &b, &c).classification,
        Classification::High
    );
    m.params.effect_size_high = Some(2.1);
    let j = judge_metric(&m, &b, &c);
    assert_eq!(
        (j.classification, j.verdict),
        (Classification::Pass, Verdict::Pass)
    );
    assert!(j.reason.contains("mean ratio 2.026"), "{}", j.reason);
}

/// b = 20..=39, c = 10..=29: s = -10, interval [-15, -5] below -2.5; mean
/// ratio 19.5 / 29.5 = 0.661017. A decrease fails at or below the low size.
#[test]
fn effect_size_low_gates_a_significant_decrease() {
    let (b, c) = (seq(20, 20), seq(10, 20));
    let mut m = metric(Direction::Decrease, false);
    let j = judge_metric(&m, &b, &c);
    assert_eq!(j.ci, Some((-15.0, -5.0)));
    assert!(close(j.effect_size, 19.5 / 29.5), "{j:?}");
    assert_eq!(j.classification, Classification::Low);
    m.params.effect_size_low = Some(0.7);
    let j = judge_metric(&m, &b, &c);
    assert_eq!(
        (j.classification, j.effect_threshold),
        (Classification::Low, 0.7)
    );
    m.params.effect_size_low = Some(0.6);
    assert_eq!(
        judge_metric(&m, &b, &c).classification,
        Classification::Pass
    );
}

/// CLES counts the (canary, baseline) pairs with the canary higher, ties as
/// half. b = 1..=10, c = 3..=12: canary value k beats min(k-1, 10) baseline
/// values and ties one when k <= 10: 2.5 + 3.5 + ... + 9.5 (k = 3..10) = 48,
/// plus 10 + 10 (k = 11, 12) = 68 of 100 pairs: 0.68. Identical samples:
/// 0.5 (Kayenta's "CLES Effect Size: Identical"). Complete separation: 1.0.
#[test]
fn cles_is_the_share_of_pairs_with_the_canary_higher() {
    let mut m = metric(Direction::Increase, false);
    m.params.effect_size_measure = EffectSizeMeasure::Cles;
    let j = judge_metric(&m, &seq(1, 10), &seq(3, 10));
    assert!(close(j.effect_size, 0.68), "{j:?}");
    assert_eq!(j.effect_size_measure, EffectSizeMeasure::Cles);
    assert!(j.reason.contains("CLES 0.680"), "{}", j.reason);
    m.params.min_samples = 5;
    assert!(close(
        judge_metric(&m, &seq(1, 5), &seq(1, 5)).effect_size,
        0.5
    ));
    assert!(close(
        judge_metric(&m, &seq(10, 20), &seq(30, 20)).effect_size,
        1.0
    ));
    // the mean ratio of the first pair: 7.5 / 5.5
    m.params.effect_size_measure = EffectSizeMeasure::MeanRatio;
    let j = judge_metric(&m, &seq(1, 10), &seq(3, 10));
    assert!(close(j.effect_size, 7.5 / 5.5), "{j:?}");
}

/// b = 10..=29, c = 20..=39: s = 10, interval [5, 15] clears 2.5. Canary
/// 20 + i beats the baseline values below 20 + i: for i < 10 that is i + 10
/// of them plus a tie (i + 10.5), for i >= 10 all 20: (105 + 45) + 200 = 350
/// of 400, CLES 0.875. Mean ratio 29.5 / 19.5 = 1.5128. The CLES default
/// threshold is 0.5 (no change), not the mean ratio's 1.0; and the two
/// measures can disagree on the same data.
#[test]
fn the_effect_size_measure_sets_the_scale_of_the_thresholds() {
    let (b, c) = (seq(10, 20), seq(20, 20));
    let mut m = metric(Direction::Increase, false);
    m.params.effect_size_measure = EffectSizeMeasure::Cles;
    let j = judge_metric(&m, &b, &c);
    assert_eq!(j.ci, Some((5.0, 15.0)));
    assert!(close(j.effect_size, 0.875), "{j:?}");
    assert_eq!(
        (j.classification, j.effect_threshold),
        (Classification::High, 0.5)
    );
    m.params.effect_size_high = Some(0.85);
    assert_eq!(
        judge_metric(&m, &b, &c).classification,
        Classification::High
    );
    m.params.effect_size_high = Some(0.9);
    assert_eq!(
        judge_metric(&m, &b, &c).classification,
        Classification::Pass
    );
    m.params.effect_size_measure = EffectSizeMeasure::MeanRatio;
    m.params.effect_size_high = Some(1.6);
    let j = judge_metric(&m, &b, &c);
    assert!(close(j.effect_size, 29.5 / 19.5));
    assert_eq!(j.classification, Classification::Pass, "1.513 < 1.6");
}

/// A step of five metrics: `m` (b = 10..=29, c = 20..=39, mean ratio
/// 1.5128, HIGH) and four identical ones (PASS). Without a critical failure
/// the score is 4 of 5 = 80, marginal: WARN. A critical failure fails it.
fn step(m: MetricConfig) -> StepJudgement {
    let mut cfg = JudgeConfig {
        metrics: vec![m.clone()],
        ..JudgeConfig::default()
    };
    let (mut bs, mut cs) = (Samples::new(), Samples::new());
    let (b, c) = match m.direction {
        Direction::Decrease => (seq(20, 20), seq(10, 20)),
        _ => (seq(10, 20), seq(20, 20)),
    };
    bs.insert(m.name.clone(), b);
    cs.insert(m.name.clone(), c);
    for i in 0..4 {
        let name = format!("flat{i}");
        cfg.metrics
            .push(MetricConfig::load(&name, LoadMetric::P50, false));
        bs.insert(name.clone(), seq(10, 20));
        cs.insert(name, seq(10, 20));
    }
    judge_step(&cfg, &bs, &cs)
}

#[test]
fn a_critical_effect_size_breach_is_a_critical_failure() {
    // Not critical: HIGH counts in the score, 80, WARN.
    let s = step(metric(Direction::Increase, false));
    assert_eq!(
        (s.score, s.verdict),
        (Some(80.0), Verdict::Warn),
        "{}",
        s.reason
    );
    assert!(!s.metrics[0].critical_failure);
    // Critical, default critical size 1.0: 1.5128 >= 1.0 fails the step.
    let s = step(metric(Direction::Increase, true));
    let m = &s.metrics[0];
    assert_eq!(
        (m.classification, m.critical_failure),
        (Classification::High, true)
    );
    assert_eq!(m.critical_threshold, Some(1.0));
    assert_eq!(s.verdict, Verdict::Fail);
    assert!(
        s.reason.starts_with("critical metric m failed"),
        "{}",
        s.reason
    );
    assert!(
        m.reason.contains("critical failure: mean ratio 1.513 >= 1"),
        "{}",
        m.reason
    );
    // Critical size 2.0: 1.5128 < 2.0, still HIGH, only the score: WARN.
    let mut c = metric(Direction::Increase, true);
    c.params.critical_effect_size_high = Some(2.0);
    let s = step(c.clone());
    let m = &s.metrics[0];
    assert_eq!(
        (m.classification, m.critical_failure),
        (Classification::High, false)
    );
    assert_eq!(
        (s.verdict, m.critical_threshold),
        (Verdict::Warn, Some(2.0))
    );
    assert!(m.reason.contains("short of the critical 2"), "{}", m.reason);
    // Critical size 1.5: 1.5128 >= 1.5.
    c.params.critical_effect_size_high = Some(1.5);
    assert_eq!(step(c).verdict, Verdict::Fail);
    // A critical size on a metric that is not critical changes nothing
    // (Kayenta: criticality first).
    let mut n = metric(Direction::Increase, false);
    n.params.critical_effect_size_high = Some(1.0);
    let s = step(n);
    assert_eq!(
        (s.verdict, s.metrics[0].critical_threshold),
        (Verdict::Warn, None)
    );
}

/// The low side: b = 20..=39, c = 10..=29, mean ratio 0.6610; and in CLES,
/// b = 10..=29, c = 20..=39 gives 0.875 (see above).
#[test]
fn critical_effect_sizes_low_and_in_cles() {
    let mut c = metric(Direction::Decrease, true);
    c.params.critical_effect_size_low = Some(0.7);
    let s = step(c.clone());
    assert!(s.metrics[0].critical_failure, "0.661 <= 0.7: {}", s.reason);
    assert_eq!(s.verdict, Verdict::Fail);
    c.params.critical_effect_size_low = Some(0.6);
    let s = step(c);
    assert_eq!(
        (
            s.metrics[0].classification,
            s.metrics[0].critical_failure,
            s.verdict
        ),
        (Classification::Low, false, Verdict::Warn)
    );
    let mut c = metric(Direction::Increase, true);
    c.params.effect_size_measure = EffectSizeMeasure::Cles;
    c.params.critical_effect_size_high = Some(0.9);
    assert_eq!(step(c.clone()).verdict, Verdict::Warn, "0.875 < 0.9");
    c.params.critical_effect_size_high = Some(0.85);
    assert_eq!(step(c).verdict, Verdict::Fail, "0.875 >= 0.85");
}

/// b = 10..=29 and two NaN, c = 10..=29. `remove` (Kayenta's default, our
/// `drop`): 20 values each, identical, mean ratio 1. `replace` (with zero):
/// the baseline has 22 values summing to 390, so its mean is 390 / 22 and
/// the ratio (390 / 20) / (390 / 22) = 22 / 20 = 1.1.
#[test]
fn nan_strategy_remove_or_replace_with_zero() {
    let mut b = seq(10, 20);
    b.extend([None, Some(f64::NAN)]);
    let c = seq(10, 20);
    let mut m = metric(Direction::Increase, false);
    let j = judge_metric(&m, &b, &c);
    assert_eq!((j.baseline_n, j.canary_n, j.missing), (20, 20, 2));
    assert!(close(j.effect_size, 1.0));
    m.params.missing = Missing::Zero;
    let j = judge_metric(&m, &b, &c);
    assert_eq!((j.baseline_n, j.missing), (22, 2));
    assert!(close(j.effect_size, 1.1), "{j:?}");
    assert_eq!(j.classification, Classification::Pass, "{}", j.reason);
}

/// Kayenta's names in config: `nan_strategy = "remove" | "replace"` are
/// `missing = "drop" | "zero"`; old configs read as before; giving both
/// keys is refused; CLES thresholds outside [0, 1] are named with a fix.
#[test]
fn config_spellings_and_checks() {
    let p = |t: &str| toml::from_str::<JudgeParams>(t);
    assert_eq!(
        p("nan_strategy = \"replace\"").unwrap().missing,
        Missing::Zero
    );
    assert_eq!(
        p("nan_strategy = \"remove\"").unwrap().missing,
        Missing::Drop
    );
    assert_eq!(p("missing = \"zero\"").unwrap().missing, Missing::Zero);
    assert_eq!(p("missing = \"nodata\"").unwrap().missing, Missing::Nodata);
    assert!(p("missing = \"zero\"\nnan_strategy = \"remove\"").is_err());
    let old = p("confidence = 0.98\neffect_size_high = 1.2").unwrap();
    assert_eq!((old.effect_high(), old.effect_low()), (1.2, 1.0));
    assert_eq!(old.effect_size_measure, EffectSizeMeasure::MeanRatio);
    let cles = p("effect_size_measure = \"cles\"\ncritical_effect_size_high = 0.8").unwrap();
    assert_eq!(
        (
            cles.effect_high(),
            cles.critical_high(),
            cles.critical_low()
        ),
        (0.5, 0.8, 0.5)
    );
    let bad = p("effect_size_measure = \"cles\"\neffect_size_high = 1.2").unwrap();
    let problems = bad.effect_size_problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "effect_size_high");
    assert!(problems[0].1.contains("[0, 1]") && problems[0].2.contains("0.7"));
    let mut plan = CanaryPlan {
        flag: "f".into(),
        ..CanaryPlan::default()
    };
    plan.judge.metrics[0].params = bad;
    let keys: Vec<String> = plan.validate().into_iter().map(|i| i.key).collect();
    assert_eq!(keys, ["canary.judge.metrics[0].params.effect_size_high"]);
}

/// `flightdeck canary judge` takes every parameter and states per metric
/// the classification, whether it is critical (and critically failed) and
/// why. b = 10..=29 (and an NA), c = 20..=39: CLES 0.875, as above.
#[test]
fn the_cli_takes_every_parameter_and_says_why() {
    use clap::Parser;
    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: cli::JudgeArgs,
    }
    let dir = tempfile::tempdir().unwrap();
    let (b, c) = (dir.path().join("b.txt"), dir.path().join("c.txt"));
    let lines = |r: std::ops::Range<u32>| r.map(|v| format!("{v}\n")).collect::<String>();
    std::fs::write(&b, format!("{}NA\n", lines(10..30))).unwrap();
    std::fs::write(&c, lines(20..40)).unwrap();
    let (b, c) = (b.display().to_string(), c.display().to_string());
    let run = |extra: &[&str]| {
        let argv = [
            "judge",
            "--baseline",
            &b,
            "--canary",
            &c,
            "--output",
            "json",
        ];
        let args = T::try_parse_from(argv.iter().chain(extra)).unwrap().a;
        cli::run_judge(args)
    };
    let json = |out: &str| serde_json::from_str::<serde_json::Value>(out).unwrap();

    let (out, code) = run(&[]).unwrap();
    let m = &json(&out)["metrics"][0];
    assert_eq!(code, 1, "{out}");
    // no metric passed: score 0, not the -0 of an empty float sum
    assert_eq!(json(&out)["score"].to_string(), "0.0");
    assert_eq!(
        (&m["classification"], &m["critical"]),
        (&"HIGH".into(), &false.into())
    );
    assert_eq!(
        (&m["critical_failure"], &m["effect_size_measure"]),
        (&false.into(), &"mean_ratio".into())
    );
    assert!(
        m["reason"].as_str().unwrap().starts_with("canary higher"),
        "{m}"
    );

    let cles = ["--effect-size-measure", "cles", "--critical"];
    let (out, _) = run(&[&cles[..], &["--critical-effect-size-high", "0.9"]].concat()).unwrap();
    let j = json(&out);
    let m = &j["metrics"][0];
    assert_eq!(
        (&m["critical"], &m["critical_failure"]),
        (&true.into(), &false.into())
    );
    assert_eq!(
        (&m["effect_size"], &m["critical_threshold"]),
        (&0.875.into(), &0.9.into())
    );
    assert!(
        m["reason"]
            .as_str()
            .unwrap()
            .contains("short of the critical 0.9"),
        "{m}"
    );
    let (out, code) = run(&[&cles[..], &["--critical-effect-size-high", "0.85"]].concat()).unwrap();
    let j = json(&out);
    assert_eq!(
        (code, &j["metrics"][0]["critical_failure"]),
        (1, &true.into())
    );
    assert!(
        j["reason"]
            .as_str()
            .unwrap()
            .starts_with("critical metric metric failed"),
        "{j}"
    );
    // an effect size out of reach passes; text says CLES and criticality
    let args = [&cles[..], &["--effect-size-high", "0.9"]].concat();
    let (out, code) = run(&args).unwrap();
    assert_eq!(
        (code, &json(&out)["metrics"][0]["classification"]),
        (0, &"PASS".into())
    );
    // --nan-strategy replace: the NA is a 0 (21 baseline values)
    let (out, _) = run(&["--nan-strategy", "replace"]).unwrap();
    assert_eq!(json(&out)["metrics"][0]["baseline_n"], 21);
    let (out, _) = run(&["--nan-strategy", "remove", "--effect-size-low", "0.9"]).unwrap();
    assert_eq!(json(&out)["metrics"][0]["baseline_n"], 20);
    // bad values are usage errors naming the flag and the fix
    let e = run(&["--effect-size-measure", "cles", "--effect-size-high", "1.2"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--effect-size-high") && e.contains("[0, 1]"),
        "{e}"
    );
    assert!(
        T::try_parse_from([
            "judge",
            "--baseline",
            &b,
            "--canary",
            &c,
            "--nan-strategy",
            "zero"
        ])
        .is_err()
    );
}
