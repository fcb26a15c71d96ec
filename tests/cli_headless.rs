//! The real binary without a terminal: headless demo, exit codes, reports that
//! match the journal, replay, check-config and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flightdeck::core::state::RunState;
use flightdeck::record::journal;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    c.env_remove("NO_COLOR").env("FLIGHTDECK_LOG", "info");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run flightdeck")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn only_run_dir(state: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
        .expect("runs dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

#[test]
fn headless_demo_is_go_and_the_report_matches_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let o = run(bin()
        .args(["demo", "--headless", "--state-dir"])
        .arg(&state));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("env        PASS"), "{err}");
    assert!(err.contains("decision GO score"), "{err}");

    let run_dir = only_run_dir(&state);
    // The demo has no database of its own: with PostgreSQL on the machine
    // its data stage runs for real against two throwaway clusters, without
    // it the stage is skipped with the reason.
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("report.json")).expect("report"),
    )
    .expect("json");
    let data = report["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "data"))
        .expect("a data stage in the demo");
    let summary = data["summary"].as_str().unwrap_or_default();
    let postgres = std::env::var_os("FLIGHTDECK_PGBIN").is_some()
        || std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|mut d| d.next().is_some());
    if postgres {
        assert_eq!(data["verdict"], "pass", "{data}");
        assert!(
            summary.contains("2 tables, 1200 rows copied; 0 leak findings"),
            "{summary}"
        );
    } else {
        assert_eq!(data["verdict"], "skipped", "{data}");
        assert!(
            summary.contains("found no PostgreSQL") && summary.contains("data.source"),
            "{summary}"
        );
    }
    for f in [
        "journal.jsonl",
        "report.json",
        "report.md",
        "junit.xml",
        "flightdeck.log",
    ] {
        assert!(run_dir.join(f).is_file(), "missing {f}");
    }
    let back = journal::read(&run_dir.join("journal.jsonl")).expect("journal");
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    let folded = RunState::from_envelopes(&back.envelopes);
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("report.json")).expect("report"),
    )
    .expect("json");
    let stages = report["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), folded.stages.len());
    for (r, s) in stages.iter().zip(&folded.stages) {
        assert_eq!(r["id"], s.plan.id.as_str());
        assert_eq!(
            r["verdict"],
            s.verdict.map(|v| v.as_str()).unwrap_or("none"),
            "stage {}",
            s.plan.id
        );
    }
    assert_eq!(report["outcome"], "go");

    // Replay gives identical reports.
    let replay_dir = dir.path().join("replayed");
    let o = run(bin()
        .args(["replay", "--headless", "--report-dir"])
        .arg(&replay_dir)
        .arg(run_dir.join("journal.jsonl")));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for f in ["report.json", "report.md", "junit.xml"] {
        let a = std::fs::read_to_string(run_dir.join(f)).expect("original");
        let b = std::fs::read_to_string(replay_dir.join(f)).expect("replayed");
        assert_eq!(a, b, "{f} differs after replay");
    }
}

#[test]
fn unhealthy_demo_is_no_go_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(bin()
        .args(["demo", "--quick", "--scenario", "unhealthy", "--state-dir"])
        .arg(dir.path())
        .env("FLIGHTDECK__ENVIRONMENT__HEALTH__RETRY_DELAY_MS", "10"));
    // stdout is a pipe here: headless is chosen automatically.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("api: HTTP 503 (expected 200)"), "{t}");
    assert!(t.contains("hard gate failed: env"), "{t}");
}

#[test]
fn unreachable_targets_give_a_clear_failed_check_and_a_decision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let cfg = dir.path().join("fd.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[environment.health]
retries = 0
[[environment.endpoints]]
name = "api"
url = "http://127.0.0.1:{port}/healthz"
[[stages]]
id = "env"
kind = "environment"
hard = true
[[stages]]
id = "gate"
kind = "gate"
"#
        ),
    )
    .expect("write config");
    let report_dir = dir.path().join("out");
    let o = run(bin()
        .args(["run", "--headless", "-c"])
        .arg(&cfg)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--report-dir")
        .arg(&report_dir));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot connect"), "{}", text(&o));
    let junit = std::fs::read_to_string(report_dir.join("junit.xml")).expect("junit copy");
    assert!(junit.contains("<failure"), "{junit}");
}

#[test]
fn check_config_reports_every_problem_and_exits_2() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs/unknown_keys.toml");
    let o = run(bin().arg("check-config").arg("-c").arg(&bad));
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert_eq!(t.matches("error: ").count(), 4, "{t}");
    assert!(
        t.contains("4 problems in the configuration; nothing was run"),
        "{t}"
    );

    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flightdeck.toml");
    let o = run(bin().arg("check-config").arg("-c").arg(&good));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("ok (8 stages: env, load, canary, scans, policy, drills, data, gate)"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_broken_config_never_starts_a_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs/wrong_types.toml");
    let o = run(bin()
        .args(["run", "--headless", "-c"])
        .arg(&bad)
        .arg("--state-dir")
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        !dir.path().join("runs").exists(),
        "no run directory for a broken config"
    );
}

#[test]
fn run_refuses_demo_placeholders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(bin()
        .args(["run", "--headless", "-c"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flightdeck.toml"))
        .arg("--state-dir")
        .arg(dir.path()));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("only `flightdeck demo` fills"),
        "{}",
        text(&o)
    );
}

#[test]
fn an_unwritable_state_dir_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("write");
    let o = run(bin()
        .args(["demo", "--headless"])
        .env("FLIGHTDECK__STATE_DIR", &file));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("is not writable") && t.contains("FLIGHTDECK__STATE_DIR"),
        "{t}"
    );
}

#[test]
fn replay_of_a_missing_or_garbage_journal_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(bin()
        .args(["replay", "--headless"])
        .arg(dir.path().join("nope.jsonl")));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("cannot open journal"), "{}", text(&o));
    let garbage = dir.path().join("garbage.jsonl");
    std::fs::write(&garbage, "hello\nworld\n").expect("write");
    let o = run(bin().args(["replay", "--headless"]).arg(&garbage));
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(
        t.contains("line 1:") && t.contains("no events could be read"),
        "{t}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(bin().arg("frobnicate"));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn degrading_canary_is_rolled_back_automatically_and_the_flag_file_shows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let o = run(bin()
        .args(["demo", "--quick", "--scenario", "degraded", "--state-dir"])
        .arg(&state));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("hard gate failed: canary"), "{t}");
    assert!(t.contains("rolled back automatically"), "{t}");
    let run_dir = only_run_dir(&state);
    let back = journal::read(&run_dir.join("journal.jsonl")).expect("journal");
    let folded = RunState::from_envelopes(&back.envelopes);
    let canary = folded.canary.as_ref().expect("canary view");
    assert_eq!(canary.percent, Some(0.0), "rolled back to 0%");
    let rb = canary.rollback.as_ref().expect("rollback recorded");
    // The trigger rolled it back, after a countdown nobody held (headless).
    assert!(
        ["live guard", "judge"].contains(&rb.actor.as_str()),
        "{rb:?}"
    );
    let auto = canary.auto.as_ref().expect("countdown announced");
    assert_eq!(auto.trigger, rb.actor);
    assert_eq!(auto.delay_ms, 3_000);
    assert!(auto.held_by.is_empty());
    assert!(t.contains("automatic rollback of checkout-v2 in 3s"), "{t}");
    assert_eq!(
        rb.status,
        flightdeck::core::state::canary::RollbackStatus::Confirmed
    );
    // The flag file itself says 0%: the demo app sends nobody to the canary.
    let flags = std::fs::read_to_string(run_dir.join("demo-assets/flags.json")).expect("flags");
    let ctx = serde_json::json!({"targetingKey": "user-42"});
    for i in 0..200 {
        let ctx = serde_json::json!({"targetingKey": format!("user-{i}")});
        let e = flightdeck::flags::evaluate(&flags, "checkout-v2", &ctx).expect("evaluate");
        assert_eq!(e.variant.as_deref(), Some("baseline"), "{ctx}");
    }
    let _ = ctx;
}
