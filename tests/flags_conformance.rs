//! The flagd evaluator against the OpenFeature flagd testbed: its flag files
//! (copied into `tests/fixtures/flags/flagd-testbed/`, see the README there)
//! and the values, reasons and error codes its gherkin features expect. Each
//! test names the feature and scenario it follows. Also: one malformed flag
//! fails alone, and `flags eval` reports resolution details and exit codes.

use std::path::PathBuf;

use flightdeck::flags::{ErrorCode, EvalReason, FileProvider, FlagFile, FlagProvider, Resolution};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flags")
        .join(name)
}

fn load(name: &str) -> FlagFile {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    FlagFile::parse(&text, &path.display().to_string()).expect("the file loads")
}

fn testkit() -> FlagFile {
    load("flagd-testbed/testkit-flags.json")
}

fn email(e: &str) -> Value {
    if e.is_empty() {
        json!({})
    } else {
        json!({ "email": e })
    }
}

/// Resolve and check value, reason and error code at once, naming the case.
#[track_caller]
fn expect(
    f: &FlagFile,
    key: &str,
    ctx: Value,
    default: Value,
    value: Value,
    reason: EvalReason,
    code: Option<ErrorCode>,
) -> Resolution {
    let r = f.resolve(key, &ctx, &default);
    assert_eq!(
        (&r.value, r.reason, r.error_code),
        (&value, reason, code),
        "{key} with context {ctx} and default {default}: {r:?}"
    );
    assert_eq!(r.error_message.is_some(), code.is_some(), "{r:?}");
    r
}

#[test]
fn a_file_with_flags_without_default_variant_loads_whole() {
    // The issue: one flag with `defaultVariant: null` (or none) made every
    // flag in the file fail. The testkit has both kinds among 47 flags.
    let f = testkit();
    assert!(f.malformed().is_empty(), "{:?}", f.malformed());
    assert_eq!(f.flag_names().len(), 47);
    let e = f.evaluate("boolean-flag", &json!({})).unwrap();
    assert_eq!((e.value, e.reason), (json!(true), EvalReason::Static));
}

/// evaluator/gherkin/evaluation.feature, "Resolve basic values".
#[test]
fn evaluation_feature_resolve_basic_values() {
    let f = testkit();
    for (key, default, want) in [
        ("boolean-flag", json!(false), json!(true)),
        ("string-flag", json!("bye"), json!("hi")),
        ("integer-flag", json!(1), json!(10)),
        ("float-flag", json!(0.1), json!(0.5)),
        (
            "object-flag",
            json!({}),
            json!({"showImages": true, "title": "Check out these pics!", "imagesPerPage": 100}),
        ),
    ] {
        expect(&f, key, json!({}), default, want, EvalReason::Static, None);
    }
}

/// gherkin/evaluation.feature: "Resolves zero value" (STATIC), "... with
/// targeting" (TARGETING_MATCH) and "... with targeting using default"
/// (DEFAULT): a zero value is a value, never the caller's default.
#[test]
fn evaluation_feature_zero_values() {
    let f = testkit();
    for (ty, default, zero) in [
        ("boolean", json!(true), json!(false)),
        ("string", json!("hi"), json!("")),
        ("integer", json!(1), json!(0)),
        ("float", json!(0.1), json!(0.0)),
    ] {
        let key = format!("{ty}-zero-flag");
        expect(
            &f,
            &key,
            json!({}),
            default.clone(),
            zero.clone(),
            EvalReason::Static,
            None,
        );
        let key = format!("{ty}-targeted-zero-flag");
        let hit = email("ballmer@macrosoft.com");
        let r = expect(
            &f,
            &key,
            hit,
            default.clone(),
            zero.clone(),
            EvalReason::TargetingMatch,
            None,
        );
        assert_eq!(r.variant.as_deref(), Some("zero"));
        let miss = email("ballmer@none.com");
        expect(&f, &key, miss, default, zero, EvalReason::Default, None);
    }
}

/// evaluator/gherkin/no-default-variant.feature, "Resolve flag with no
/// default variant": `defaultVariant` null or absent resolves to the
/// caller's default with reason DEFAULT, not an error.
#[test]
fn no_default_variant_feature() {
    let f = testkit();
    for (key, mail, default, want, reason) in [
        (
            "null-default-flag",
            "",
            json!(true),
            json!(true),
            EvalReason::Default,
        ),
        (
            "null-default-flag",
            "",
            json!(false),
            json!(false),
            EvalReason::Default,
        ),
        (
            "undefined-default-flag",
            "",
            json!(100),
            json!(100),
            EvalReason::Default,
        ),
        (
            "no-default-flag-null-targeting-variant",
            "wozniak@orange.com",
            json!("Inventor"),
            json!("Inventor"),
            EvalReason::Default,
        ),
        (
            "no-default-flag-null-targeting-variant",
            "jobs@orange.com",
            json!("CEO"),
            json!("CEO"),
            EvalReason::TargetingMatch,
        ),
        (
            "no-default-flag-undefined-targeting-variant",
            "wozniak@orange.com",
            json!("Retired"),
            json!("Retired"),
            EvalReason::Default,
        ),
    ] {
        let r = expect(&f, key, email(mail), default, want, reason, None);
        assert_eq!(r.variant.is_none(), reason == EvalReason::Default, "{r:?}");
    }
    // The strict evaluator agrees: no variant, no error.
    let e = f.evaluate("null-default-flag", &json!({})).unwrap();
    assert_eq!((e.variant, e.reason), (None, EvalReason::Default));
}

/// evaluator/gherkin/targeting.feature, "Targeting by targeting key", and
/// gherkin/targeting.feature, "Evaluator reuse".
#[test]
fn targeting_feature() {
    let f = testkit();
    let key = |k: &str| json!({ "targetingKey": k });
    let fb = json!("fallback");
    let hit = key("5c3d8535-f81a-4478-a6d3-afaa4d51199e");
    let miss = key("f20bd32d-703b-48b6-bc8e-79d53c85134a");
    expect(
        &f,
        "targeting-key-flag",
        hit,
        fb.clone(),
        json!("hit"),
        EvalReason::TargetingMatch,
        None,
    );
    expect(
        &f,
        "targeting-key-flag",
        miss,
        fb.clone(),
        json!("miss"),
        EvalReason::Default,
        None,
    );
    let ballmer = email("ballmer@macrosoft.com");
    let r = f.resolve("some-email-targeted-flag", &ballmer, &fb);
    assert_eq!(r.value, json!("hi"));
    let r = f.resolve("some-other-email-targeted-flag", &ballmer, &fb);
    assert_eq!(r.value, json!("yes"));
}

/// gherkin/targeting.feature, "Ref to nonexistent evaluator yields parse
/// error": an error of that flag alone, with the caller's default.
#[test]
fn a_ref_to_a_missing_evaluator_is_a_parse_error() {
    let f = testkit();
    let r = expect(
        &f,
        "ref-to-nonexistent-evaluator-flag",
        json!({}),
        json!("fallback"),
        json!("fallback"),
        EvalReason::Error,
        Some(ErrorCode::ParseError),
    );
    let m = r.error_message.unwrap();
    assert!(
        m.contains("nonexistent_evaluator") && m.contains("$evaluators"),
        "{m}"
    );
}

/// gherkin/targeting.feature, "Errors and edge cases" (an Integer flag asked
/// with default 3): a null from targeting serves the default variant; a rule
/// that cannot run is PARSE_ERROR; a variant the flag lacks is GENERAL; a
/// boolean result names the variant by its text.
#[test]
fn targeting_feature_errors_and_edge_cases() {
    let f = load("flagd-testbed/edge-case-flags.json");
    let three = json!(3);
    use EvalReason::{Default, Error, TargetingMatch};
    expect(
        &f,
        "targeting-null-variant-flag",
        json!({}),
        three.clone(),
        json!(2),
        Default,
        None,
    );
    let parse = Some(ErrorCode::ParseError);
    expect(
        &f,
        "error-targeting-flag",
        json!({}),
        three.clone(),
        json!(3),
        Error,
        parse,
    );
    let general = Some(ErrorCode::General);
    let r = expect(
        &f,
        "missing-variant-targeting-flag",
        json!({}),
        three.clone(),
        json!(3),
        Error,
        general,
    );
    let m = r.error_message.unwrap();
    assert!(m.contains("\"three\"") && m.contains("one, two"), "{m}");
    let key = "non-string-variant-targeting-flag";
    expect(&f, key, json!({}), three, json!(2), TargetingMatch, None);
}

/// evaluator/gherkin/errors.feature: "Flag not found", "Type mismatch" and
/// "Type mismatch across the value types": the caller's default comes back
/// with the code, never a coerced value.
#[test]
fn errors_feature() {
    let f = testkit();
    let code = Some(ErrorCode::FlagNotFound);
    let r = expect(
        &f,
        "missing-flag",
        json!({}),
        json!("uh-oh"),
        json!("uh-oh"),
        EvalReason::Error,
        code,
    );
    assert!(
        r.error_message.unwrap().contains("boolean-flag"),
        "names the known flags"
    );
    let mismatch = Some(ErrorCode::TypeMismatch);
    for (key, default) in [
        ("wrong-flag", json!(13)),
        ("boolean-flag", json!("fallback")),
        ("boolean-flag", json!(1)),
        ("boolean-flag", json!(0.1)),
        ("string-flag", json!(false)),
        ("string-flag", json!(1)),
        ("string-flag", json!(0.1)),
        ("integer-flag", json!(false)),
        ("integer-flag", json!("fallback")),
        ("float-flag", json!(false)),
        ("float-flag", json!("fallback")),
    ] {
        expect(
            &f,
            key,
            json!({}),
            default.clone(),
            default,
            EvalReason::Error,
            mismatch,
        );
    }
}

/// evaluator/gherkin/disabled.feature: a disabled flag resolves to the
/// caller's default with reason DISABLED, and no variant; it is no error.
#[test]
fn disabled_feature() {
    let f = load("flagd-testbed/disabled-flags.json");
    for (key, default) in [
        ("disabled-boolean-flag", json!(false)),
        ("disabled-string-flag", json!("bye")),
        ("disabled-integer-flag", json!(1)),
        ("disabled-float-flag", json!(0.1)),
        ("disabled-object-flag", json!({})),
    ] {
        let r = expect(
            &f,
            key,
            json!({}),
            default.clone(),
            default,
            EvalReason::Disabled,
            None,
        );
        assert_eq!(r.variant, None);
    }
}

/// gherkin/targeting.feature, "Semantic version operator ..." and
/// "Substring operators", and "Fractional operator hash edge cases"
/// (@fractional-v2, the bucketing flagd uses now).
#[test]
fn targeting_feature_custom_operators() {
    let f = testkit();
    let fb = json!("fallback");
    let value = |key: &str, ctx: Value| f.resolve(key, &ctx, &fb).value;
    for (version, want) in [
        ("2.0.0", "equal"),
        ("2.1.0", "greater"),
        ("1.9.0", "lesser"),
        ("2.0.0-alpha", "lesser"),
        ("2.0.0.0", "none"),
    ] {
        let ctx = json!({ "version": version });
        assert_eq!(
            value("equal-greater-lesser-version-flag", ctx),
            json!(want),
            "{version}"
        );
    }
    for (version, want) in [("3.0.1", "minor"), ("3.1.0", "major"), ("4.0.0", "none")] {
        let ctx = json!({ "version": version });
        assert_eq!(
            value("major-minor-version-flag", ctx),
            json!(want),
            "{version}"
        );
    }
    for (id, want) in [
        ("abcdef", "prefix"),
        ("uvwxyz", "postfix"),
        ("abcxyz", "prefix"),
        ("lmnopq", "none"),
        ("3", "none"),
    ] {
        assert_eq!(
            value("starts-ends-flag", json!({ "id": id })),
            json!(want),
            "{id}"
        );
    }
    for (key, want) in [
        ("ejOoVL", "lower"),
        ("bY9fO-", "lower"),
        ("SI7p-", "lower"),
        ("6LvT0", "upper"),
        ("ceQdGm", "upper"),
    ] {
        let ctx = json!({ "targetingKey": key });
        assert_eq!(
            value("fractional-hash-edge-flag", ctx),
            json!(want),
            "{key}"
        );
    }
}

/// A malformed flag is an error for that flag alone: the others in the file
/// load, evaluate and can be rolled out, and the malformed one names the
/// file, the JSON path and the fix wherever it is used (a canary on it).
#[tokio::test]
async fn one_malformed_flag_fails_alone() {
    let f = load("one-bad-flag.json");
    let bad = f.malformed();
    assert_eq!(bad.len(), 1, "{bad:?}");
    let r = f.resolve("legacy-banner", &json!({}), &json!(false));
    assert_eq!(
        (r.value, r.error_code),
        (json!(false), Some(ErrorCode::ParseError))
    );
    let m = r.error_message.unwrap();
    assert!(
        m.contains("one-bad-flag.json")
            && m.contains("$.flags.legacy-banner.state")
            && m.contains("\"ON\"")
            && m.contains("\"ENABLED\" or \"DISABLED\""),
        "{m}"
    );
    let ctx = json!({ "targetingKey": "user-1" });
    assert!(
        f.resolve("checkout-v2", &ctx, &json!("baseline"))
            .error_code
            .is_none()
    );
    let r = f.resolve("new-search", &json!({}), &json!(true));
    assert_eq!((r.value, r.reason), (json!(true), EvalReason::Default));
    let beta = json!({ "plan": "beta" });
    let r = f.resolve("beta-pricing", &beta, &json!(false));
    assert_eq!(
        (r.value, r.reason),
        (json!(true), EvalReason::TargetingMatch)
    );
    let r = f.resolve("beta-pricing", &json!({ "plan": "pro" }), &json!(false));
    assert_eq!((r.value, r.reason), (json!(false), EvalReason::Default));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    std::fs::copy(fixture("one-bad-flag.json"), &path).unwrap();
    let p = FileProvider::new(&path, None);
    // a canary on the good flag rolls out, the bad flag is left as written
    let s = p.set_rollout("checkout-v2", 25.0).await.unwrap();
    assert_eq!(s.rollout_percent, Some(25.0));
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(after["flags"]["legacy-banner"]["state"], json!("ON"));
    // a canary on the bad flag cannot start, and says where and how to fix it
    let e = p.read("legacy-banner").await.unwrap_err().to_string();
    assert!(
        e.contains("flags.json")
            && e.contains("$.flags.legacy-banner.state")
            && e.contains("\"ON\""),
        "{e}"
    );
    let e = p
        .set_rollout("legacy-banner", 5.0)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("$.flags.legacy-banner.state"), "{e}");
    // a flag without a default variant has no baseline for a rollout
    let e = p
        .set_rollout("new-search", 5.0)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no defaultVariant"), "{e}");
}

#[tokio::test]
async fn flags_eval_reports_resolution_details_and_exit_codes() {
    use clap::Parser;
    use flightdeck::flags::cli::{FlagsArgs, run_flags};
    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: FlagsArgs,
    }
    let run = |file: &str, args: &[&str]| {
        let path = fixture(file).display().to_string();
        let argv: Vec<String> = ["flags", "eval"]
            .iter()
            .map(|s| s.to_string())
            .chain(args.iter().map(|s| s.to_string()))
            .chain(["--flags-file".to_string(), path])
            .collect();
        run_flags(T::try_parse_from(argv).unwrap().a)
    };
    let json_of = |out: &str| serde_json::from_str::<Value>(out).unwrap();
    let testkit = "flagd-testbed/testkit-flags.json";

    // DEFAULT because the flag has no default variant: exit 0, camelCase details
    let (out, code) = run(
        testkit,
        &["null-default-flag", "--default", "true", "--output", "json"],
    )
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}");
    let v = json_of(&out);
    assert_eq!(
        v,
        json!({"flag": "null-default-flag", "value": true, "variant": null, "reason": "DEFAULT",
               "errorCode": null, "errorMessage": null})
    );
    let (out, code) = run(testkit, &["null-default-flag", "--default", "true"])
        .await
        .unwrap();
    assert_eq!(code, 0);
    assert!(
        out.contains("= true: the caller's default (reason DEFAULT"),
        "{out}"
    );

    // the caller's default because of an error: exit 1, in JSON and in words
    let edge = "flagd-testbed/edge-case-flags.json";
    let args = [
        "missing-variant-targeting-flag",
        "--default",
        "3",
        "--output",
        "json",
    ];
    let (out, code) = run(edge, &args).await.unwrap();
    assert_eq!(code, 1, "{out}");
    let v = json_of(&out);
    assert_eq!(
        (&v["value"], &v["reason"], &v["errorCode"]),
        (&json!(3), &json!("ERROR"), &json!("GENERAL"))
    );
    let (out, code) = run(edge, &["missing-variant-targeting-flag", "--default", "3"])
        .await
        .unwrap();
    assert_eq!(code, 1);
    assert!(
        out.contains("= 3: the caller's default, because of an error: GENERAL"),
        "{out}"
    );

    // DISABLED is a resolution, not an error
    let (out, code) = run(
        "flagd-testbed/disabled-flags.json",
        &["disabled-string-flag", "--default", "bye"],
    )
    .await
    .unwrap();
    assert_eq!(code, 0);
    assert!(
        out.contains("disabled-string-flag = \"bye\"") && out.contains("DISABLED"),
        "{out}"
    );

    // a malformed flag: exit 1 with the file, path and fix; its neighbour: exit 0
    let args = ["legacy-banner", "--default", "false", "--output", "json"];
    let (out, code) = run("one-bad-flag.json", &args).await.unwrap();
    assert_eq!(code, 1);
    let v = json_of(&out);
    assert_eq!(v["errorCode"], json!("PARSE_ERROR"));
    let msg = v["errorMessage"].as_str().unwrap();
    assert!(
        msg.contains("one-bad-flag.json") && msg.contains("$.flags.legacy-banner.state"),
        "{msg}"
    );
    let ctx = r#"{"targetingKey":"user-1"}"#;
    let (out, code) = run("one-bad-flag.json", &["checkout-v2", "--context", ctx])
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("(variant ") && out.contains("reason TARGETING_MATCH"),
        "{out}"
    );

    // --default is JSON when it parses, else a string; a string default on a
    // boolean flag is a type mismatch
    let (out, code) = run(
        testkit,
        &[
            "boolean-flag",
            "--default",
            "yes please",
            "--output",
            "json",
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        (code, json_of(&out)["value"].clone()),
        (1, json!("yes please"))
    );
    assert_eq!(json_of(&out)["errorCode"], json!("TYPE_MISMATCH"));
    let (out, code) = run(
        testkit,
        &["object-flag", "--default", r#"{"a":1}"#, "--output", "json"],
    )
    .await
    .unwrap();
    assert_eq!(
        (code, json_of(&out)["reason"].clone()),
        (0, json!("STATIC"))
    );
    // no --default: an untyped null, and the text says how to give one
    let (out, code) = run(testkit, &["missing-flag"]).await.unwrap();
    assert_eq!(code, 1);
    assert!(
        out.contains("FLAG_NOT_FOUND") && out.contains("--default VALUE"),
        "{out}"
    );
}
