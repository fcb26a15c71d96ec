//! Pre-flight through the real binary: `check-config` names every file,
//! folder and program a config refers to that does not exist. Where the run
//! would fail (a hard stage needs it) it is an error and nothing runs
//! (exit 2); where the stage is optional it is a `warning:` line, the check
//! exits 0 and a run starts, with the warning in its journal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flightdeck::core::state::RunState;
use flightdeck::record::journal;

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

fn flightdeck(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .arg("-c")
        .arg(config)
        .env_remove("NO_COLOR")
        .output()
        .expect("run flightdeck")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn missing_files_and_programs_of_hard_stages_are_errors() {
    let o = flightdeck(
        &["check-config"],
        &corpus("invalid_configs/missing_paths.toml"),
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    for part in [
        "error: ",
        "canary.provider.path: /nonexistent/flags.json does not exist",
        "scan.sarif[0]: /nonexistent/trivy.sarif does not exist",
        "scan.scanners[0].argv[0]: scanner semgrep: program `no-such-scanner-flightdeck` not found",
        "environment.iac.working_dir: /nonexistent/tf does not exist",
        "environment.iac.binary: program /nonexistent/terraform does not exist",
        "warning: ",
        "policy.dir: /nonexistent/policies does not exist",
        "7 problems in the configuration; nothing was run",
    ] {
        assert!(t.contains(part), "missing {part}:\n{t}");
    }
    // The demo's placeholder is filled later: never reported.
    assert!(!t.contains("bandit.sarif"), "{t}");
    assert_eq!(t.matches("error: ").count(), 7, "{t}");
    assert_eq!(t.matches("warning: ").count(), 1, "{t}");
}

#[test]
fn missing_optional_things_are_warnings_and_the_check_passes() {
    let cfg = corpus("valid_configs/optional_paths_missing.toml");
    let o = flightdeck(&["check-config"], &cfg);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert_eq!(t.matches("warning: ").count(), 2, "{t}");
    assert!(!t.contains("error: "), "{t}");
    assert!(
        t.contains("ok (3 stages: env, scans, gate) with 2 warnings"),
        "{t}"
    );
}

#[test]
fn a_run_with_only_warnings_starts_and_journals_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let cfg = corpus("valid_configs/optional_paths_missing.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["run", "--headless", "-c"])
        .arg(&cfg)
        .arg("--state-dir")
        .arg(&state)
        .output()
        .expect("run flightdeck");
    let t = text(&o);
    assert_ne!(o.status.code(), Some(2), "the run must start:\n{t}");
    assert!(
        t.contains("warning: ")
            && t.contains("scan.sarif[0]: /nonexistent/trivy.sarif does not exist"),
        "{t}"
    );
    let runs: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
        .expect("a run directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let back = journal::read(&runs[0].join("journal.jsonl")).expect("journal");
    let folded = RunState::from_envelopes(&back.envelopes);
    assert!(folded.outcome.is_some(), "the run finished");
    assert!(
        folded
            .logs
            .iter()
            .any(|l| l.message.contains("config warning: ")
                && l.message.contains("trivy.sarif does not exist")),
        "{:#?}",
        folded.logs
    );
}
