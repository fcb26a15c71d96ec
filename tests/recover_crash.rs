//! `kill -9` in the middle of a canary, with the real binary: `flightdeck
//! demo --headless --quick` runs until its journal shows the flag at a
//! canary share, and is killed by SIGKILL. While it lived, `recover` left
//! it alone; once dead, another command that opens the state directory
//! tells about it on stderr, `recover` lists it, `recover --rollback` puts
//! the flag back through the run's own provider (the demo's flag file, or a
//! real unleash-server), and the old journal (cut mid-line on purpose)
//! replays as recovered and inconclusive.
//!
//! The Unleash test reads FLIGHTDECK_UNLEASH_URL / FLIGHTDECK_UNLEASH_TOKEN
//! (`scripts/test` starts unleash-server through `scripts/start-unleash.sh`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use flightdeck::core::event::Event;
use flightdeck::flags::{FileProvider, FlagProvider, Secret, UnleashProvider};
use flightdeck::record::journal;
use serde_json::{Value, json};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
}

/// The demo, killed (SIGKILL) on drop whatever happens.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_demo(state: &Path, config: Option<&Path>) -> Demo {
    let mut cmd = bin();
    cmd.args(["demo", "--headless", "--quick", "--state-dir"])
        .arg(state)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(c) = config {
        cmd.arg("-c").arg(c);
    }
    Demo(cmd.spawn().expect("start flightdeck demo"))
}

/// Wait (at most 120 s) until the run's journal shows the canary's flag
/// moved to a share above 0; the run directory.
fn wait_for_canary_share(state: &Path, demo: &mut Demo) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            demo.0.try_wait().expect("poll demo").is_none(),
            "the demo ended before its canary moved the flag"
        );
        let runs: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        for dir in runs {
            let Ok(back) = journal::read(&dir.join("journal.jsonl")) else {
                continue;
            };
            let moved = back
                .envelopes
                .iter()
                .any(|e| matches!(&e.event, Event::FlagChanged { to: Some(p), .. } if *p > 0.0));
            if moved {
                return dir;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no canary step within 120 s in {}",
            state.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(args: &[&str], state: &Path) -> Output {
    bin()
        .args(args)
        .arg("--state-dir")
        .arg(state)
        .stdin(Stdio::null())
        .output()
        .expect("run flightdeck")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Crash the demo mid-canary and check everything up to the listing; the
/// crashed run's directory and id.
fn crash_mid_canary(state: &Path, config: Option<&Path>) -> (PathBuf, String) {
    let mut demo = start_demo(state, config);
    let dir = wait_for_canary_share(state, &mut demo);
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .expect("run id");
    // Alive: not an orphan, and a rollback of it is refused.
    let o = run(&["recover"], state);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run(&["recover", "--run", &id, "--rollback"], state);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("still running"), "{}", stdout(&o));

    demo.0.kill().expect("SIGKILL the demo");
    demo.0.wait().expect("reap the demo");
    // A crash may cut the last line: the reader skips it, the append
    // starts on a fresh line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("journal.jsonl"))
        .expect("open journal");
    f.write_all(b"{\"v\":1,\"seq\":99999,\"ts\":\"2026-")
        .expect("cut a line");
    drop(f);

    let o = run(&["recover", "--output", "json"], state);
    assert_eq!(o.status.code(), Some(1), "orphans are left: exit 1");
    let listed: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(listed["orphans"][0]["run_id"], json!(id));
    assert_eq!(listed["orphans"][0]["flag"], json!("checkout-v2"));
    assert!(
        listed["orphans"][0]["share"]
            .as_f64()
            .is_some_and(|s| s > 0.0),
        "{listed}"
    );
    (dir, id)
}

/// After `recover --rollback`: the old journal replays as recovered.
fn assert_replays_as_recovered(dir: &Path, actor: &str) {
    let reports = dir.join("replay-after-recovery");
    let o = bin()
        .arg("replay")
        .arg(dir.join("journal.jsonl"))
        .args(["--headless", "--report-dir"])
        .arg(&reports)
        .stdin(Stdio::null())
        .output()
        .expect("replay");
    assert_eq!(o.status.code(), Some(3), "recovered runs are inconclusive");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line "),
        "the cut line is reported and skipped"
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("report.json")).expect("report.json"),
    )
    .expect("json");
    assert_eq!(report["outcome"], json!("inconclusive"));
    assert!(
        report["end_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("recovered after crash")),
        "{report}"
    );
    assert_eq!(report["recovered"]["actor"], json!(actor));
    assert_eq!(report["recovered"]["action"], json!("rolled_back"));
    let canary = report["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == json!("canary")))
        .expect("canary stage");
    assert_eq!(canary["verdict"], json!("inconclusive"));
    let md = std::fs::read_to_string(reports.join("report.md")).expect("report.md");
    assert!(
        md.contains("The run crashed; recovered after a crash by"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_canary_with_the_file_provider_then_recover() {
    let t = tempfile::tempdir().expect("tempdir");
    let state = t.path().join("state");
    let (dir, id) = crash_mid_canary(&state, None);
    let flags = dir.join("demo-assets").join("flags.json");
    let provider = FileProvider::new(&flags, None);
    let left = provider.read("checkout-v2").await.expect("read");
    assert!(left.rollout_percent.is_some_and(|p| p > 0.0), "{left:?}");

    // Another command that opens the state directory tells on stderr.
    let o = run(&["load", "http://127.0.0.1:1/", "-z", "1s"], &state);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "warning: run {id} did not finish and left flag checkout-v2 at"
        )) && err.contains(&format!(
            "flightdeck recover --state-dir {} --run {id} --rollback",
            state.display()
        )),
        "{err}"
    );

    let o = run(&["recover", "--rollback", "--operator", "tester"], &state);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("rolled back"), "{}", stdout(&o));
    let back = provider.read("checkout-v2").await.expect("read");
    assert_eq!(back.rollout_percent, Some(0.0), "the flag file is back");
    assert_replays_as_recovered(&dir, "tester");
    let o = run(&["recover"], &state);
    assert_eq!(o.status.code(), Some(0), "nothing left: {}", stdout(&o));
}

fn unleash() -> (String, String) {
    match (
        std::env::var("FLIGHTDECK_UNLEASH_URL"),
        std::env::var("FLIGHTDECK_UNLEASH_TOKEN"),
    ) {
        (Ok(u), Ok(t)) if !u.is_empty() && !t.is_empty() => (u, t),
        _ => panic!(
            "FLIGHTDECK_UNLEASH_URL / FLIGHTDECK_UNLEASH_TOKEN are not set: run `scripts/test` (or `eval \"$(scripts/start-unleash.sh)\"`), which starts unleash-server on 127.0.0.1"
        ),
    }
}

/// A fresh feature, off, with a flexibleRollout at 0%.
async fn create_feature(url: &str, token: &str) -> String {
    let name = format!("checkout-crash-{}", uuid::Uuid::new_v4().simple());
    let c = reqwest::Client::new();
    let base = format!("{url}/api/admin/projects/default/features");
    let r = c
        .post(&base)
        .header("Authorization", token)
        .json(&json!({"name": name, "type": "release"}))
        .send()
        .await
        .expect("create feature");
    assert!(r.status().is_success(), "create feature: {}", r.status());
    let r = c
        .post(format!("{base}/{name}/environments/development/strategies"))
        .header("Authorization", token)
        .json(&json!({"name": "flexibleRollout", "constraints": [], "parameters": {"rollout": "0", "stickiness": "default", "groupId": name}}))
        .send()
        .await
        .expect("add strategy");
    assert!(r.status().is_success(), "add strategy: {}", r.status());
    name
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_canary_with_a_real_unleash_server_then_recover() {
    let (url, token) = unleash();
    let flag = create_feature(&url, &token).await;
    let t = tempfile::tempdir().expect("tempdir");
    // The demo's own config, its canary driving the Unleash feature; the
    // token stays a reference to the environment variable.
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flightdeck.toml"),
    )
    .expect("shipped config");
    let file_provider = "provider = { kind = \"file\", path = \"{demo.assets}/flags.json\" }";
    assert!(shipped.contains(file_provider));
    let config = shipped
        .replace(
            file_provider,
            &format!(
                "provider = {{ kind = \"unleash\", url = \"{url}\", token = {{ env = \"FLIGHTDECK_UNLEASH_TOKEN\" }} }}"
            ),
        )
        .replace("flag = \"checkout-v2\"", &format!("flag = \"{flag}\""));
    let config_path = t.path().join("flightdeck.toml");
    std::fs::write(&config_path, config).expect("write config");
    let state = t.path().join("state");

    let mut demo = start_demo(&state, Some(&config_path));
    let dir = wait_for_canary_share(&state, &mut demo);
    let provider = UnleashProvider::new(&url, "default", "development", Secret::new(token.clone()));
    let left = provider.read(&flag).await.expect("read");
    assert!(left.enabled && left.rollout_percent.is_some_and(|p| p > 0.0));
    demo.0.kill().expect("SIGKILL the demo");
    demo.0.wait().expect("reap the demo");
    let saved = std::fs::read_to_string(dir.join("config.json")).expect("saved config");
    assert!(
        !saved.contains(&token),
        "the saved config holds the reference, never the token"
    );

    let o = run(&["recover", "--rollback", "--operator", "tester"], &state);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let back = provider.read(&flag).await.expect("read");
    assert_eq!(
        (back.enabled, back.rollout_percent),
        (false, Some(0.0)),
        "Unleash: rollout 0 and off"
    );
    let o = bin()
        .arg("replay")
        .arg(dir.join("journal.jsonl"))
        .args(["--headless", "--report-dir"])
        .arg(t.path().join("replay"))
        .stdin(Stdio::null())
        .output()
        .expect("replay");
    assert_eq!(o.status.code(), Some(3));
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(t.path().join("replay/report.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(report["recovered"]["provider"], json!("unleash"));
    assert_eq!(report["recovered"]["action"], json!("rolled_back"));
}
