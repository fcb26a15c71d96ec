//! Rego rules that are not `deny`/`warn`, on OPA's own Terraform tutorial
//! (`tests/fixtures/opa-terraform`, Apache-2.0): `policy eval --query`
//! answers as `opa eval` does, and `[[policy.gates]]` gate on the boolean
//! `authz` and the numeric `score`; an undefined rule is inconclusive.

use std::path::{Path, PathBuf};
use std::process::Command;

use flightdeck::core::verdict::Verdict;
use flightdeck::output::OutputFormat;
use flightdeck::policy::cli::{EvalArgs, eval};
use flightdeck::policy::{
    GateLevel, PolicyGate, PolicyOutcome, PolicyResult, PolicySection, ScoreGate,
};
use flightdeck::record::recorder::Recorder;
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opa-terraform")
}

/// A policy directory holding only the tutorial's policy (the fixture
/// folder also holds the plans and the README).
fn policy_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        fixtures().join("terraform.rego"),
        dir.path().join("terraform.rego"),
    )
    .expect("copy policy");
    dir
}

fn plan(large: bool) -> PathBuf {
    fixtures().join(if large {
        "tfplan_large.json"
    } else {
        "tfplan.json"
    })
}

fn query_args(policy: &Path, large: bool, query: &str, output: OutputFormat) -> EvalArgs {
    EvalArgs {
        policy: policy.to_path_buf(),
        input: plan(large),
        query: Some(query.into()),
        fail: false,
        fail_defined: false,
        output,
    }
}

#[test]
fn query_answers_authz_and_score_as_opa_eval_does() {
    let dir = policy_dir();
    for (large, authz, score) in [(false, true, 11), (true, false, 31)] {
        let (out, code) = eval(&query_args(
            dir.path(),
            large,
            "data.terraform.analysis.authz",
            OutputFormat::Json,
        ))
        .expect("eval authz");
        assert_eq!(code, 0, "{out}");
        let got: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(
            got,
            json!({"result": [{"expressions": [{
                "value": authz,
                "text": "data.terraform.analysis.authz",
                "location": {"row": 1, "col": 1}
            }]}]}),
            "large plan: {large}"
        );
        let (out, code) = eval(&query_args(
            dir.path(),
            large,
            "data.terraform.analysis.score",
            OutputFormat::Text,
        ))
        .expect("eval score");
        assert_eq!((out.trim(), code), (score.to_string().as_str(), 0));
    }
}

#[test]
fn an_undefined_query_is_empty_and_fails_only_with_fail() {
    let dir = policy_dir();
    let mut args = query_args(
        dir.path(),
        false,
        "data.terraform.analysis.nope",
        OutputFormat::Json,
    );
    let (out, code) = eval(&args).expect("eval");
    assert_eq!(
        (serde_json::from_str::<Value>(&out).expect("json"), code),
        (json!({}), 0)
    );
    args.fail = true;
    assert_eq!(eval(&args).expect("eval").1, 1);
    args.output = OutputFormat::Text;
    assert_eq!(eval(&args).expect("eval").0, "undefined\n");
    // --fail-defined is the other way round.
    let mut defined = query_args(
        dir.path(),
        false,
        "data.terraform.analysis.authz",
        OutputFormat::Json,
    );
    defined.fail_defined = true;
    assert_eq!(eval(&defined).expect("eval").1, 1);
}

#[test]
fn the_binary_prints_the_query_and_sets_the_exit_code() {
    let dir = policy_dir();
    let run = |query: &str, extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(["policy", "eval", "--policy"])
            .arg(dir.path())
            .arg("--input")
            .arg(plan(false))
            .args(["--query", query])
            .args(extra)
            .output()
            .expect("run flightdeck");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code(),
        )
    };
    assert_eq!(
        run("data.terraform.analysis.authz", &[]),
        ("true\n".into(), Some(0))
    );
    assert_eq!(
        run("data.terraform.analysis.nope", &["--fail"]),
        ("undefined\n".into(), Some(1))
    );
    let (_, code) = run("data.terraform.analysis[", &[]);
    assert_eq!(
        code,
        Some(2),
        "a query that does not parse is a usage error"
    );
}

fn allow_gate(large: bool) -> PolicyGate {
    PolicyGate {
        allow: Some("data.terraform.analysis.authz".into()),
        input: Some(plan(large)),
        ..PolicyGate::default()
    }
}

fn score_gate(large: bool) -> PolicyGate {
    PolicyGate {
        name: Some("blast radius".into()),
        score: Some(ScoreGate {
            rule: "data.terraform.analysis.score".into(),
            max: Some(20.0),
            min: None,
        }),
        input: Some(plan(large)),
        ..PolicyGate::default()
    }
}

/// Run the policy stage with these gates; the verdict and the results.
fn stage(gates: Vec<PolicyGate>) -> (Verdict, Vec<PolicyResult>) {
    let dir = policy_dir();
    let section = PolicySection {
        dir: Some(dir.path().to_path_buf()),
        approver: None,
        gates,
    };
    let rec = Recorder::new(None);
    flightdeck::policy::stage::run_stage(
        dir.path(),
        &section,
        "policy",
        &rec,
        chrono::Utc::now().date_naive(),
    );
    let state = rec.snapshot();
    let verdict = state
        .stage("policy")
        .and_then(|s| s.verdict)
        .expect("the stage finished");
    (
        verdict,
        state.policies.into_iter().map(|p| p.result).collect(),
    )
}

fn outcomes(rs: &[PolicyResult]) -> Vec<(String, PolicyOutcome)> {
    rs.iter().map(|r| (r.rule.clone(), r.outcome)).collect()
}

#[test]
fn authz_true_passes_and_false_fails() {
    let (v, rs) = stage(vec![allow_gate(false)]);
    assert_eq!(v, Verdict::Pass, "{rs:#?}");
    // The package declares no deny/warn, but a gate speaks for it.
    assert_eq!(
        outcomes(&rs),
        [(
            "data.terraform.analysis.authz".to_string(),
            PolicyOutcome::Pass
        )]
    );
    let (v, rs) = stage(vec![allow_gate(true)]);
    assert_eq!(v, Verdict::Fail, "{rs:#?}");
    assert_eq!(
        rs[0].messages,
        ["data.terraform.analysis.authz is false (must be true)"]
    );
}

#[test]
fn score_under_the_max_passes_and_over_it_fails_or_warns() {
    let (v, rs) = stage(vec![score_gate(false)]);
    assert_eq!(v, Verdict::Pass, "{rs:#?}");
    assert_eq!(rs[0].policy, "blast radius");
    assert_eq!(
        rs[0].messages,
        ["data.terraform.analysis.score = 11, within max 20"]
    );
    let (v, rs) = stage(vec![score_gate(true)]);
    assert_eq!(v, Verdict::Fail, "{rs:#?}");
    assert_eq!(
        rs[0].messages,
        ["data.terraform.analysis.score = 31, above max 20"]
    );
    let warn = PolicyGate {
        level: GateLevel::Warn,
        ..score_gate(true)
    };
    assert_eq!(stage(vec![warn]).0, Verdict::Warn);
}

#[test]
fn an_undefined_rule_or_a_wrong_type_is_inconclusive() {
    let undefined = PolicyGate {
        allow: Some("data.terraform.analysis.nope".into()),
        ..allow_gate(false)
    };
    let (v, rs) = stage(vec![allow_gate(false), undefined]);
    assert_eq!(v, Verdict::Inconclusive, "{rs:#?}");
    assert_eq!(rs[1].outcome, PolicyOutcome::NotEvaluable);
    assert!(rs[1].messages[0].contains("is undefined"), "{rs:#?}");
    // A score is not a boolean: allow on it is not evaluable, not a pass.
    let wrong = PolicyGate {
        allow: Some("data.terraform.analysis.score".into()),
        ..allow_gate(false)
    };
    let (v, rs) = stage(vec![wrong]);
    assert_eq!(v, Verdict::Inconclusive, "{rs:#?}");
    assert!(rs[0].messages[0].contains("not a boolean"), "{rs:#?}");
    // A missing input file is not evaluable either.
    let missing = PolicyGate {
        input: Some(fixtures().join("no-such-plan.json")),
        ..allow_gate(false)
    };
    assert_eq!(stage(vec![missing]).0, Verdict::Inconclusive);
}

#[test]
fn without_a_gate_the_package_is_still_reported_not_evaluable() {
    let (v, rs) = stage(Vec::new());
    assert_eq!(v, Verdict::Inconclusive);
    assert!(
        rs[0].messages[0].contains("[[policy.gates]]"),
        "the message points at gates: {rs:#?}"
    );
}
