//! The alerting and runbook kinds inside the drill core, through the
//! binary: `flightdeck drill run FILE --only NAME --output json` with the
//! real promtool and amtool (FLIGHTDECK_PROMTOOL / FLIGHTDECK_AMTOOL from
//! `scripts/test`, or the PATH). Without them the alerting tests fail when
//! CI=true and are skipped with a printed reason otherwise.

use serde_json::Value;

mod ops_support;
use ops_support::{drills, flightdeck, have_tools, json};

fn drill(v: &Value) -> &Value {
    &v["drills"][0]
}

#[test]
fn the_shipped_alerting_drill_passes_with_its_tool_runs_as_steps() {
    if !have_tools() {
        return;
    }
    let (code, out, err) = flightdeck(&[
        "drill",
        "run",
        "config/drills/ops.toml",
        "--only",
        "alert-rules",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v = json(&out);
    let d = drill(&v);
    assert_eq!(d["kind"], "alerting", "{out}");
    assert_eq!(d["verdict"], "pass", "{out}");
    let steps = d["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 5, "{out}");
    assert!(steps.iter().all(|s| s["outcome"] == "ok"), "{out}");
    assert!(steps.iter().all(|s| s["phase"] == "method"), "{out}");
    assert!(
        steps[1]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("promtool test rules")),
        "{out}"
    );
}

#[test]
fn a_broken_rule_test_fails_the_drill_naming_the_alert() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = std::fs::read_to_string(drills().join("alert-rules.yml")).expect("rules");
    std::fs::write(
        dir.path().join("alert-rules.yml"),
        rules.replacen("severity: page", "severity: critical", 1),
    )
    .expect("write rules");
    std::fs::copy(
        drills().join("alert-rules.test.yml"),
        dir.path().join("alert-rules.test.yml"),
    )
    .expect("copy tests");
    let file = dir.path().join("drill.toml");
    std::fs::write(
        &file,
        "[[drill]]\nname = \"alerts\"\nkind = \"alerting\"\n[drill.params]\n\
         rules = [\"alert-rules.yml\"]\ntests = [\"alert-rules.test.yml\"]\n",
    )
    .expect("write drill");
    let path = file.to_str().expect("utf-8");
    let (code, out, err) = flightdeck(&["drill", "run", path, "--output", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    let d = drill(&v);
    assert_eq!(d["verdict"], "fail", "{out}");
    let failed: Vec<&Value> = d["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{out}");
    assert!(
        failed[0]["detail"]
            .as_str()
            .is_some_and(|t| t.contains("CanaryHighErrorRate")),
        "{out}"
    );
    assert!(
        d["summary"]
            .as_str()
            .is_some_and(|t| t.contains("CanaryHighErrorRate")),
        "{out}"
    );
}

#[test]
fn the_shipped_runbook_drill_passes_with_its_blocks_as_steps() {
    if !have_tools() {
        return;
    }
    let (code, out, err) = flightdeck(&[
        "drill",
        "run",
        "config/drills/ops.toml",
        "--only",
        "checkout-runbook",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v = json(&out);
    let d = drill(&v);
    assert_eq!(d["kind"], "runbook", "{out}");
    let names: Vec<&str> = d["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["rules-load", "alert-defined", "route-to-oncall"],
        "{out}"
    );
}

#[test]
fn a_stale_runbook_fails_the_drill_naming_the_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("runbook.md"),
        "# Runbook\n\n```sh {step=\"pager-route\" expect=\"oncall-pager\"}\necho team-default\n```\n",
    )
    .expect("write runbook");
    let file = dir.path().join("drill.toml");
    std::fs::write(
        &file,
        "[[drill]]\nname = \"book\"\nkind = \"runbook\"\n[drill.params]\nfile = \"runbook.md\"\n",
    )
    .expect("write drill");
    let path = file.to_str().expect("utf-8");
    let (code, out, err) = flightdeck(&["drill", "run", path, "--output", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    let d = drill(&v);
    assert_eq!(d["verdict"], "fail", "{out}");
    assert!(
        d["summary"]
            .as_str()
            .is_some_and(|t| t.contains("pager-route")),
        "{out}"
    );
}

#[test]
fn bad_params_are_a_usage_error_naming_the_drill_and_the_param() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (body, param) in [
        (
            "kind = \"alerting\"\n[drill.params]\nrules = [\"missing.yml\"]\n",
            "params.rules",
        ),
        (
            "kind = \"alerting\"\n[drill.params]\nrule = [\"alert-rules.yml\"]\n",
            "params",
        ),
        (
            "kind = \"runbook\"\n[drill.params]\nfile = \"nope.md\"\n",
            "params.file",
        ),
    ] {
        let file = dir.path().join("drill.toml");
        std::fs::write(&file, format!("[[drill]]\nname = \"ops\"\n{body}")).expect("write");
        let path = file.to_str().expect("utf-8");
        let (code, out, err) = flightdeck(&["drill", "run", path, "--output", "json"]);
        assert_eq!(code, 2, "{body}\n{out}\n{err}");
        let all = format!("{out}{err}");
        assert!(
            all.contains(&format!("drill \"ops\".{param}")),
            "{body}\n{all}"
        );
    }
}
