//! Journals written by an earlier build still replay into the same reports.
//!
//! `tests/fixtures/replay/*/journal.jsonl` are demo journals (healthy and
//! degraded) recorded before the architecture moved to `core/` + `engine/`;
//! the reports beside them were produced by that build's `replay --headless`.
//! Any change to the event vocabulary or the fold that alters a verdict, a
//! score or a line of evidence shows up here as a byte difference.

use std::path::Path;
use std::process::Command;

fn replay_matches(name: &str) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/replay")
        .join(name);
    let out = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["replay", "--headless", "--report-dir"])
        .arg(out.path())
        .arg(fixture.join("journal.jsonl"))
        .env_remove("NO_COLOR")
        .output()
        .expect("run flightdeck replay");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "replay of {name} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    for file in ["report.json", "report.md", "junit.xml"] {
        let want = std::fs::read_to_string(fixture.join(file)).expect("fixture report");
        let got = std::fs::read_to_string(out.path().join(file)).expect("replayed report");
        assert!(
            want == got,
            "{name}/{file} differs after replay:\n--- recorded\n{want}\n--- replayed\n{got}"
        );
    }
}

#[test]
fn a_healthy_demo_journal_replays_into_the_same_reports() {
    replay_matches("healthy");
}

#[test]
fn a_degraded_demo_journal_replays_into_the_same_reports() {
    replay_matches("degraded");
}
