//! Flag-file provider and evaluator: flagd semantics, split proportions,
//! atomic writes that keep unrelated content, clear errors, rollback latency.

use std::path::PathBuf;
use std::time::Instant;

use flightdeck::flags::{
    EvalReason, FileProvider, FlagError, FlagFile, FlagProvider, evaluate, murmur::murmur3_x86_32,
};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flags")
        .join(name)
}

fn demo_text() -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/demo/flags.json"),
    )
    .unwrap()
}

fn with_percent(text: &str, percent: f64) -> String {
    let mut f = FlagFile::parse(text, "demo").unwrap();
    f.set_canary_percent("checkout-v2", None, percent).unwrap();
    f.to_pretty()
}

#[test]
fn targeting_follows_flagd() {
    let text = std::fs::read_to_string(fixture("targeting.json")).unwrap();
    let ev = |ctx: Value| evaluate(&text, "checkout-v2", &ctx).unwrap();
    let staff = ev(json!({"targetingKey": "u1", "email": "sam@flightdeck.dev"}));
    assert_eq!(
        (staff.variant.as_deref(), staff.reason),
        (Some("canary"), EvalReason::TargetingMatch)
    );
    assert_eq!(
        ev(json!({"targetingKey": "u1", "country": "IS"}))
            .variant
            .as_deref(),
        Some("canary")
    );
    assert_eq!(
        ev(json!({"targetingKey": "u1", "appVersion": "1.9.3"}))
            .variant
            .as_deref(),
        Some("baseline")
    );
    // no targeting key: fractional yields null, flagd serves the default
    let d = ev(json!({"appVersion": "2.1.0"}));
    assert_eq!(
        (d.variant.as_deref(), d.reason),
        (Some("baseline"), EvalReason::Default)
    );
    let off = evaluate(&text, "dark-mode", &json!({})).unwrap();
    assert_eq!((off.variant, off.reason), (None, EvalReason::Disabled));
    let st = evaluate(&text, "static-flag", &json!({})).unwrap();
    assert_eq!((st.value, st.reason), (json!(2), EvalReason::Static));
    let e = evaluate(&text, "nope", &json!({})).unwrap_err().to_string();
    assert!(
        e.contains("\"nope\" not found") && e.contains("checkout-v2, dark-mode, static-flag"),
        "{e}"
    );
}

/// The bucket of a key, computed independently of the evaluator from the
/// murmur3 reference: `floor(murmur3_x86_32(flagKey + targetingKey, 0) * 100 / 2^32)`.
fn bucket_of(key: &str) -> u64 {
    (u64::from(murmur3_x86_32(format!("checkout-v2{key}").as_bytes(), 0)) * 100) >> 32
}

#[test]
fn known_keys_land_in_flagds_buckets() {
    let text = with_percent(&demo_text(), 25.0);
    let mut seen = (false, false);
    for i in 0..200 {
        let key = format!("user-{i}");
        let b = bucket_of(&key);
        let got = evaluate(&text, "checkout-v2", &json!({"targetingKey": key})).unwrap();
        let want = if b < 25 { "canary" } else { "baseline" };
        assert_eq!(got.variant.as_deref(), Some(want), "{key} bucket {b}");
        if b < 25 { seen.0 = true } else { seen.1 = true }
    }
    assert!(seen.0 && seen.1);
}

#[test]
fn split_over_10000_keys_is_within_two_percent() {
    for pct in [5.0, 25.0, 50.0, 2.5] {
        let text = with_percent(&demo_text(), pct);
        let file = FlagFile::parse(&text, "demo").unwrap();
        let canary = (0..10_000)
            .filter(|i| {
                let e = file
                    .evaluate("checkout-v2", &json!({"targetingKey": format!("user-{i}")}))
                    .unwrap();
                e.variant.as_deref() == Some("canary")
            })
            .count();
        let share = canary as f64 / 100.0;
        assert!((share - pct).abs() <= 2.0, "{pct}%: got {share}%");
    }
    // 0% sends nobody to the canary
    let text = with_percent(&demo_text(), 0.0);
    assert!((0..2000).all(|i| {
        evaluate(
            &text,
            "checkout-v2",
            &json!({"targetingKey": format!("k{i}")}),
        )
        .unwrap()
        .variant
        .as_deref()
            == Some("baseline")
    }));
}

#[test]
fn raising_the_share_keeps_canary_users_on_canary() {
    let five = FlagFile::parse(&with_percent(&demo_text(), 5.0), "a").unwrap();
    let fifty = FlagFile::parse(&with_percent(&demo_text(), 50.0), "b").unwrap();
    for i in 0..3000 {
        let ctx = json!({"targetingKey": format!("user-{i}")});
        if five
            .evaluate("checkout-v2", &ctx)
            .unwrap()
            .variant
            .as_deref()
            == Some("canary")
        {
            assert_eq!(
                fifty
                    .evaluate("checkout-v2", &ctx)
                    .unwrap()
                    .variant
                    .as_deref(),
                Some("canary")
            );
        }
    }
}

#[tokio::test]
async fn writes_are_atomic_and_preserve_other_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, demo_text()).unwrap();
    let p = FileProvider::new(&path, None);
    let before: Value = serde_json::from_str(&demo_text()).unwrap();

    let s = p.set_rollout("checkout-v2", 25.0).await.unwrap();
    assert_eq!(
        (s.rollout_percent, s.enabled, s.canary_variant.as_deref()),
        (Some(25.0), true, Some("canary"))
    );
    let after_text = std::fs::read_to_string(&path).unwrap();
    let after: Value = serde_json::from_str(&after_text).unwrap();
    // everything but the weights is unchanged
    for key in ["$schema", "metadata", "$evaluators"] {
        assert_eq!(after[key], before[key], "{key}");
    }
    assert_eq!(after["flags"]["search-v5"], before["flags"]["search-v5"]);
    assert_eq!(
        after["flags"]["checkout-v2"]["metadata"],
        before["flags"]["checkout-v2"]["metadata"]
    );
    assert_eq!(
        after["flags"]["checkout-v2"]["targeting"],
        json!({"fractional": [["canary", 25], ["baseline", 75]]})
    );
    // key order kept: $schema first, $evaluators last
    assert!(after_text.find("$schema").unwrap() < after_text.find("\"flags\"").unwrap());
    assert!(after_text.find("\"flags\"").unwrap() < after_text.find("$evaluators").unwrap());
    // no temp files left behind
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    assert_eq!(names, vec!["flags.json".to_string()]);

    let s = p.set_rollout("checkout-v2", 12.5).await.unwrap();
    assert_eq!(s.rollout_percent, Some(12.5));
    let r = p.rollback("checkout-v2").await.unwrap();
    assert_eq!((r.rollout_percent, r.enabled), (Some(0.0), true));
    assert!(p.set_rollout("checkout-v2", 101.0).await.is_err());
    assert!(matches!(
        p.set_rollout("search-v5", 10.0).await,
        Err(FlagError::Invalid { .. })
    ));
}

#[tokio::test]
async fn a_reader_never_sees_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, demo_text()).unwrap();
    let p = FileProvider::new(&path, None);
    let reader_path = path.clone();
    let reader = tokio::task::spawn_blocking(move || {
        for _ in 0..400 {
            let t = std::fs::read_to_string(&reader_path).unwrap();
            FlagFile::parse(&t, "reader").expect("a complete file");
        }
    });
    for i in 0..60 {
        p.set_rollout("checkout-v2", f64::from(i % 100))
            .await
            .unwrap();
    }
    reader.await.unwrap();
}

#[tokio::test]
async fn bad_files_name_the_file_and_json_path() {
    let p = FileProvider::new(fixture("bad-state.json"), None);
    let e = p.read("checkout-v2").await.unwrap_err().to_string();
    assert!(
        e.contains("bad-state.json")
            && e.contains("$.flags.checkout-v2.state")
            && e.contains("\"ON\""),
        "{e}"
    );
    let e = FileProvider::new(fixture("truncated.json"), None)
        .read("checkout-v2")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("truncated.json") && e.contains("invalid JSON at line"),
        "{e}"
    );
    let e = FileProvider::new(fixture("missing.json"), None)
        .read("x")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.json: read"), "{e}");
}

#[tokio::test]
async fn file_rollback_latency() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, demo_text()).unwrap();
    let p = FileProvider::new(&path, None);
    let mut ms = Vec::new();
    for _ in 0..20 {
        p.set_rollout("checkout-v2", 25.0).await.unwrap();
        let t = Instant::now();
        let s = p.rollback("checkout-v2").await.unwrap();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(s.rollout_percent, Some(0.0));
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "file provider rollback (write 0% + read back), 20 trials: median {:.2} ms, max {:.2} ms",
        (ms[9] + ms[10]) / 2.0,
        ms[19]
    );
}

#[tokio::test]
async fn cli_face_eval_set_rollback() {
    use clap::Parser;
    use flightdeck::flags::cli::{FlagsArgs, exit_code, run_flags};
    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: FlagsArgs,
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::write(&path, demo_text()).unwrap();
    let f = path.to_str().unwrap();
    let run = |argv: Vec<&str>| {
        run_flags(
            T::try_parse_from(std::iter::once("flags").chain(argv))
                .unwrap()
                .a,
        )
    };
    let (out, code) = run(vec![
        "set",
        "checkout-v2",
        "--percent",
        "25",
        "--flags-file",
        f,
    ])
    .await
    .unwrap();
    assert_eq!(code, 0);
    assert!(out.contains("canary 25%"), "{out}");
    let (out, _) = run(vec![
        "eval",
        "checkout-v2",
        "--context",
        r#"{"targetingKey":"user-1"}"#,
        "--flags-file",
        f,
        "--output",
        "json",
    ])
    .await
    .unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reason"], json!("TARGETING_MATCH"));
    let (out, _) = run(vec!["rollback", "checkout-v2", "--flags-file", f])
        .await
        .unwrap();
    assert!(
        out.starts_with("rolled back, confirmed in") && out.contains("canary 0%"),
        "{out}"
    );
    let e = run(vec!["get", "checkout-v2"]).await.unwrap_err();
    assert_eq!(exit_code(&e), 2);
    assert!(e.to_string().contains("choose exactly one"), "{e}");
}
