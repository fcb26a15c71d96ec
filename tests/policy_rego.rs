//! Rego policies in-process: the shipped examples, v0 and v1 styles, missing
//! builtins and parse errors (not evaluable, never pass), and `policy eval`.

use std::path::{Path, PathBuf};

use flightdeck::output::OutputFormat;
use flightdeck::policy::cli::{EvalArgs, eval};
use flightdeck::policy::{PolicyOutcome, PolicyResult, evaluate_dir, evaluate_sources};
use serde_json::json;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn demo_input() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("config/demo/policy-input.json")).unwrap(),
    )
    .unwrap()
}

fn shipped(input: &serde_json::Value) -> Vec<PolicyResult> {
    evaluate_dir(&root().join("config/policies"), input).unwrap()
}

fn find<'a>(rs: &'a [PolicyResult], package: &str, rule: &str) -> &'a PolicyResult {
    rs.iter()
        .find(|r| r.policy.contains(package) && r.rule == rule)
        .unwrap_or_else(|| panic!("no {package} {rule} in {rs:#?}"))
}

#[test]
fn shipped_policies_pass_on_the_demo_facts() {
    let rs = shipped(&demo_input());
    assert!(
        rs.iter().all(|r| r.outcome == PolicyOutcome::Pass),
        "{rs:#?}"
    );
    // v1 and v0 files both loaded: every package shows up.
    for pkg in [
        "data.flightdeck.findings",
        "data.flightdeck.load",
        "data.flightdeck.release",
        "data.flightdeck.approval",
    ] {
        assert!(
            rs.iter().any(|r| r.policy.contains(pkg)),
            "{pkg} missing: {rs:#?}"
        );
    }
}

#[test]
fn shipped_policies_deny_and_warn() {
    let mut input = demo_input();
    input["release"]["version"] = json!("2.14.0-SNAPSHOT");
    input["release"]["environment"] = json!("prod");
    input["release"]["approver"] = json!("");
    input["load"]["p95_ms"] = json!(73);
    input["findings"]["open"]["critical"] = json!(2);
    input["findings"]["open"]["high"] = json!(1);
    let rs = shipped(&input);
    let release = find(&rs, "flightdeck.release", "deny");
    assert_eq!(release.outcome, PolicyOutcome::Deny);
    assert_eq!(
        release.messages,
        vec!["release version \"2.14.0-SNAPSHOT\" is a SNAPSHOT build"]
    );
    assert!(
        release.policy.contains("release_version.rego"),
        "{}",
        release.policy
    );
    let load = find(&rs, "flightdeck.load", "deny");
    assert_eq!(
        load.messages,
        vec!["load p95 73ms is above the 50ms bound"],
        "v0 deny[msg]"
    );
    assert_eq!(
        find(&rs, "flightdeck.approval", "deny").outcome,
        PolicyOutcome::Deny
    );
    assert_eq!(find(&rs, "flightdeck.findings", "deny").messages.len(), 1);
    let warn = find(&rs, "flightdeck.findings", "warn");
    assert_eq!(
        (warn.outcome, warn.messages.clone()),
        (
            PolicyOutcome::Warn,
            vec!["1 open high finding(s)".to_string()]
        )
    );
}

fn one(name: &str, text: &str, input: serde_json::Value) -> Vec<PolicyResult> {
    evaluate_sources(&[(name.to_string(), text.to_string())], &input)
}

#[test]
fn v0_without_imports_and_v1_styles() {
    let v0 = "package t\n\ndeny[msg] {\n  input.x > 1\n  msg := \"x too big\"\n}\n";
    let rs = one("v0.rego", v0, json!({"x": 2}));
    assert_eq!(rs[0].outcome, PolicyOutcome::Deny, "{rs:?}");
    assert_eq!(rs[0].messages, vec!["x too big"]);
    assert_eq!(
        one("v0.rego", v0, json!({"x": 0}))[0].outcome,
        PolicyOutcome::Pass
    );

    let v0_future = "package t\nimport future.keywords.contains\nimport future.keywords.if\ndeny contains msg if { input.x > 1; msg := \"big\" }\n";
    assert_eq!(
        one("f.rego", v0_future, json!({"x": 5}))[0].messages,
        vec!["big"]
    );

    let v1_objects = "package t\ndeny contains {\"msg\": \"as object\", \"code\": 7} if input.x\nwarn contains \"careful\" if input.x\n";
    let rs = one("v1.rego", v1_objects, json!({"x": true}));
    assert_eq!(rs[0].messages, vec!["as object"]);
    assert_eq!(
        (rs[1].rule.as_str(), rs[1].outcome),
        ("warn", PolicyOutcome::Warn)
    );
}

#[test]
fn missing_builtins_and_parse_errors_are_not_evaluable() {
    let jwt = "package t\nimport rego.v1\ndeny contains \"bad token\" if {\n  [_, payload, _] := io.jwt.decode(input.token)\n  payload.admin\n}\n";
    let rs = one("jwt.rego", jwt, json!({"token": "a.b.c"}));
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].outcome, PolicyOutcome::NotEvaluable, "{rs:?}");
    assert!(
        rs[0].messages[0].contains("io.jwt.decode"),
        "{:?}",
        rs[0].messages
    );

    let http = "package t\nimport rego.v1\ndeny contains \"down\" if http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1:9/\"}).status_code != 200\n";
    let rs = one("http.rego", http, json!({}));
    assert_eq!(rs[0].outcome, PolicyOutcome::NotEvaluable);
    assert!(
        rs[0].messages[0].contains("http.send"),
        "{:?}",
        rs[0].messages
    );

    let broken = "package t\ndeny contains msg if {\n  msg := \n";
    let rs = one("broken.rego", broken, json!({}));
    assert_eq!(
        (rs[0].rule.as_str(), rs[0].outcome),
        ("*", PolicyOutcome::NotEvaluable)
    );
    assert!(
        rs[0].messages[0].contains("parse error"),
        "{:?}",
        rs[0].messages
    );
}

#[test]
fn one_broken_package_does_not_hide_another() {
    let good = (
        "good.rego".to_string(),
        "package good\nimport rego.v1\ndeny contains \"no\" if input.bad\n".to_string(),
    );
    let bad = (
        "bad.rego".to_string(),
        "package bad\nimport rego.v1\ndeny contains x if x := io.jwt.decode(input.t)\n".to_string(),
    );
    let rs = evaluate_sources(&[bad, good], &json!({"bad": true, "t": "x"}));
    assert_eq!(
        find(&rs, "data.good", "deny").outcome,
        PolicyOutcome::Deny,
        "{rs:#?}"
    );
    assert_eq!(
        find(&rs, "data.bad", "deny").outcome,
        PolicyOutcome::NotEvaluable,
        "{rs:#?}"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn eval_face_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.json", &demo_input().to_string());
    let args = EvalArgs {
        policy: root().join("config/policies"),
        input: input.clone(),
        query: None,
        fail: false,
        fail_defined: false,
        output: OutputFormat::Text,
    };
    let (out, code) = eval(&args).unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 deny"), "{out}");

    let mut snap = demo_input();
    snap["release"]["version"] = json!("1.0-SNAPSHOT");
    write(dir.path(), "snap.json", &snap.to_string());
    let (out, code) = eval(&EvalArgs {
        input: dir.path().join("snap.json"),
        output: OutputFormat::Json,
        ..args.clone()
    })
    .unwrap();
    assert_eq!(code, 1);
    let parsed: Vec<PolicyResult> = serde_json::from_str(&out).unwrap();
    assert!(parsed.iter().any(|r| r.outcome == PolicyOutcome::Deny));

    let pol = tempfile::tempdir().unwrap();
    write(
        pol.path(),
        "jwt.rego",
        "package t\nimport rego.v1\ndeny contains \"x\" if io.jwt.decode(input.t)\n",
    );
    let (_, code) = eval(&EvalArgs {
        policy: pol.path().to_path_buf(),
        ..args.clone()
    })
    .unwrap();
    assert_eq!(code, 3, "not evaluable is inconclusive");

    let empty = tempfile::tempdir().unwrap();
    let e = eval(&EvalArgs {
        policy: empty.path().to_path_buf(),
        ..args.clone()
    })
    .unwrap_err();
    assert!(e.to_string().contains("no .rego files"), "{e}");
    write(dir.path(), "bad.json", "{\"release\": {\"version\": }");
    let e = eval(&EvalArgs {
        input: dir.path().join("bad.json"),
        ..args
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("bad.json") && e.contains("line 1"), "{e}");
}
