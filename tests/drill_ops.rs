//! `flightdeck drill alerts` (offline) with the real promtool and amtool,
//! and `flightdeck drill runbook` with real shell steps, through the binary:
//! exit codes, JSON, and findings that name the alert, group, route or step.
//!
//! promtool and amtool come from FLIGHTDECK_PROMTOOL / FLIGHTDECK_AMTOOL
//! (exported by `scripts/test`) or the PATH. Without them these tests fail
//! when CI=true and are skipped with a printed reason otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

mod ops_support;
use ops_support::{drills, flightdeck, have_tools, json};

#[test]
fn the_shipped_alerting_files_pass_offline() {
    if !have_tools() {
        return;
    }
    let (code, out, err) = flightdeck(&[
        "drill",
        "alerts",
        "--rules",
        "config/drills/alert-rules.yml",
        "--tests",
        "config/drills/alert-rules.test.yml",
        "--alertmanager-config",
        "config/drills/alertmanager.yml",
        "--expect-route",
        "severity=page,team=checkout=oncall-pager",
        "--expect-route",
        "severity=ticket=team-tickets",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(v["verdict"], "pass");
    let steps = v["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 5, "{out}");
    assert!(steps.iter().all(|s| s["outcome"] == "pass"), "{out}");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_failed_unit_test_names_the_alert_and_its_group() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // The rule's severity label changed; the unit test still expects `page`.
    let rules = std::fs::read_to_string(drills().join("alert-rules.yml")).expect("rules");
    std::fs::write(
        dir.path().join("alert-rules.yml"),
        rules.replacen("severity: page", "severity: critical", 1),
    )
    .expect("write");
    std::fs::copy(
        drills().join("alert-rules.test.yml"),
        dir.path().join("alert-rules.test.yml"),
    )
    .expect("copy");
    let test = dir.path().join("alert-rules.test.yml");
    let (code, out, err) = flightdeck(&[
        "drill",
        "alerts",
        "--tests",
        test.to_str().expect("utf-8"),
        "--output",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    let f = &v["findings"][0];
    assert_eq!(f["tool"], "promtool");
    assert_eq!(f["subject"], "CanaryHighErrorRate");
    assert_eq!(f["group"], "demo-canary");
    assert!(
        f["expected"]
            .as_str()
            .unwrap_or("")
            .contains("severity=\"page\""),
        "{out}"
    );
    assert!(
        f["got"]
            .as_str()
            .unwrap_or("")
            .contains("severity=\"critical\""),
        "{out}"
    );
    // The text face says the same.
    let (code, text, _) =
        flightdeck(&["drill", "alerts", "--tests", test.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(
        text.contains("group demo-canary, CanaryHighErrorRate"),
        "{text}"
    );
}

#[test]
fn a_broken_rule_and_a_misroute_are_findings() {
    if !have_tools() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "groups:\n  - name: g1\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5s]) >\n",
    )
    .expect("write");
    let (code, out, err) = flightdeck(&[
        "drill",
        "alerts",
        "--rules",
        bad.to_str().expect("utf-8"),
        "--alertmanager-config",
        "config/drills/alertmanager.yml",
        "--expect-route",
        "severity=ticket=oncall-pager",
        "--output",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    let findings = v["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["group"] == "g1" && f["subject"] == "Broken"),
        "{out}"
    );
    let route = findings
        .iter()
        .find(|f| f["tool"] == "amtool")
        .expect("a route finding");
    assert_eq!(route["expected"], "oncall-pager");
    assert_eq!(route["got"], "team-tickets");
}

#[test]
fn bad_options_are_usage_errors() {
    let (code, _, err) = flightdeck(&["drill", "alerts", "--rules", "no/such/rules.yml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--rules no/such/rules.yml: no such file"),
        "{err}"
    );
    let (code, _, err) = flightdeck(&[
        "drill",
        "alerts",
        "--alertmanager-config",
        "config/drills/alertmanager.yml",
        "--expect-route",
        "oncall-pager",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no receiver"), "{err}");
}

fn write_runbook(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("runbook.md");
    std::fs::write(&p, text).expect("write runbook");
    p
}

#[test]
fn a_runbook_that_matches_reality_passes_and_docs_never_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("documentation-ran");
    let rb = write_runbook(
        dir.path(),
        &format!(
            "# Restart\n\nDocumentation only:\n\n```sh\ntouch {m}\n```\n\n\
             ```sh {{step=\"status\" expect=\"active\" timeout=\"10s\"}}\necho active\n```\n\n\
             ```bash {{step=\"where\" expect=\"/^runbook\\.md$/\"}}\nls\n```\n",
            m = marker.display()
        ),
    );
    let (code, out, err) = flightdeck(&[
        "drill",
        "runbook",
        rb.to_str().expect("utf-8"),
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!marker.exists(), "an unmarked block ran");
    let v = json(&out);
    assert_eq!(v["verdict"], "pass");
    let names: Vec<&str> = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["status", "where"]);
    assert!(
        v["measurements"]
            .as_array()
            .expect("measurements")
            .iter()
            .any(|m| m["name"] == "step_time_s.status" && m["value"].is_number()),
        "{out}"
    );
}

#[test]
fn a_stale_runbook_fails_and_names_the_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A command that no longer exists.
    let rb = write_runbook(
        dir.path(),
        "```sh {step=\"ok\"}\ntrue\n```\n\n```sh {step=\"restart\" expect=\"active\"}\nflightdeckctl-retired restart checkout\n```\n\n```sh {step=\"after\"}\ntrue\n```\n",
    );
    let (code, out, err) = flightdeck(&[
        "drill",
        "runbook",
        rb.to_str().expect("utf-8"),
        "--output",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    assert!(
        v["summary"]
            .as_str()
            .unwrap_or("")
            .contains("step \"restart\" failed"),
        "{out}"
    );
    assert_eq!(v["steps"][1]["outcome"], "fail");
    assert!(
        v["steps"][1]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("no longer exists"),
        "{out}"
    );
    assert_eq!(v["steps"][2]["outcome"], "skipped");
    // Output that changed.
    let rb = write_runbook(
        dir.path(),
        "```sh {step=\"status\" expect=\"active\"}\necho 'failed (Result: exit-code)'\n```\n",
    );
    let (code, text, _) = flightdeck(&["drill", "runbook", rb.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("step \"status\" failed: output changed"),
        "{text}"
    );
    // A hang is killed at its timeout.
    let rb = write_runbook(
        dir.path(),
        "```sh {step=\"hang\" timeout=\"300ms\"}\nsleep 30\n```\n",
    );
    let (code, out, _) = flightdeck(&[
        "drill",
        "runbook",
        rb.to_str().expect("utf-8"),
        "--output",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(json(&out)["steps"][0]["outcome"], "timed_out");
}

#[test]
fn a_malformed_runbook_is_a_usage_error_with_its_line_and_dry_run_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rb = write_runbook(
        dir.path(),
        "# x\n\n```sh {step=\"a\" timeout=\"soon\"}\ntrue\n```\n",
    );
    let (code, _, err) = flightdeck(&["drill", "runbook", rb.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("runbook.md:3:"), "{err}");
    assert!(err.contains("not a duration"), "{err}");
    let (code, out, err) =
        flightdeck(&["drill", "runbook", "config/drills/runbook.md", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    for step in ["rules-load", "alert-defined", "route-to-oncall"] {
        assert!(out.contains(step), "{out}");
    }
}

#[test]
fn the_shipped_runbook_matches_reality() {
    if !have_tools() {
        return;
    }
    let (code, out, err) = flightdeck(&["drill", "runbook", "config/drills/runbook.md"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn runbook_output_is_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rb = write_runbook(
        dir.path(),
        "```sh {step=\"creds\" expect=\"connected\"}\necho \"db_password=hunter2 key $RUNBOOK_KEY connected\"\n```\n",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "drill",
            "runbook",
            rb.to_str().expect("utf-8"),
            "--secret-env",
            "RUNBOOK_KEY",
            "--output",
            "json",
        ])
        .env("RUNBOOK_KEY", "k-7f3a9e")
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        !out.contains("hunter2") && !out.contains("k-7f3a9e"),
        "{out}"
    );
    assert!(
        out.contains("db_password=***") && out.contains("key *** connected"),
        "{out}"
    );
}

#[test]
fn an_interrupted_runbook_kills_its_step_group_and_is_inconclusive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("pid");
    let rb = write_runbook(
        dir.path(),
        &format!(
            "```sh {{step=\"hang\" timeout=\"5m\"}}\nsleep 300 &\necho $! > {}\nwait\n```\n",
            pid_file.display()
        ),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "drill",
            "runbook",
            rb.to_str().expect("utf-8"),
            "--output",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait (bounded) for the step to be running.
    let mut sleeper = None;
    for _ in 0..200 {
        if let Some(p) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
        {
            sleeper = Some(p);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sleeper = sleeper.expect("the step started");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let o = child.wait_with_output().expect("wait");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{out}");
    let v = json(&out);
    assert_eq!(v["steps"][0]["outcome"], "error", "{out}");
    assert!(
        v["steps"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("SIGINT"),
        "{out}"
    );
    // The background sleep went with the step's group (reaped by init).
    let proc_dir = PathBuf::from(format!("/proc/{sleeper}"));
    let mut gone = false;
    for _ in 0..100 {
        let zombie_or_gone = std::fs::read_to_string(proc_dir.join("stat"))
            .map(|s| s.split_whitespace().nth(2) == Some("Z"))
            .unwrap_or(true);
        if zombie_or_gone {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(gone, "sleep {sleeper} still runs");
}
