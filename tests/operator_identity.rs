//! Who acted, as the journal records it: the real binary, headless, run
//! where `$USER` and `$LOGNAME` are unset (containers, cron, `su`, systemd
//! units) names the operator by the account of its uid, never "unknown";
//! under SSH the operator's actions carry the client's address. No network
//! is involved: `SSH_CONNECTION` is only an environment variable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flightdeck::core::actor::{NameSource, Via};
use flightdeck::core::event::Event;
use flightdeck::core::state::RunState;
use flightdeck::record::journal;

/// A plan that needs nothing outside the process: an environment stage
/// without endpoints, and the gate.
fn config(dir: &Path) -> PathBuf {
    let path = dir.join("flightdeck.toml");
    let text = format!(
        r#"state_dir = "{}"

[run]
service = "shop-api"
release = "1.0.0"

[[stages]]
id = "env"
kind = "environment"

[[stages]]
id = "gate"
kind = "gate"
"#,
        dir.join("state").display()
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// `flightdeck run --headless --approve-apply`: the approval is an operator
/// action journalled at the start, so every run has one to look at.
fn run(dir: &Path, env: &[(&str, &str)]) -> (Output, RunState, Vec<Event>) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    c.args(["run", "--headless", "--approve-apply", "-c"])
        .arg(config(dir))
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("SSH_CONNECTION")
        .env_remove("FLIGHTDECK__RUN__OPERATOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run flightdeck");
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.join("state").join("runs"))
        .expect("runs dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let back = journal::read(&runs[0].join("journal.jsonl")).expect("journal");
    let events = back.envelopes.iter().map(|e| e.event.clone()).collect();
    (out, RunState::from_envelopes(&back.envelopes), events)
}

/// The account name of this process's uid, as `id` (not Flightdeck) says.
fn account() -> String {
    let o = Command::new("id").arg("-un").output().expect("id -un");
    assert!(o.status.success(), "id -un failed");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn uid() -> u32 {
    let o = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .expect("numeric uid")
}

#[test]
fn without_user_or_logname_the_account_of_the_uid_is_journalled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, state, events) = run(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let info = state.info.as_ref().expect("run_started");
    let want = account();
    assert_eq!(info.operator, want, "{stderr}");
    assert_ne!(info.operator, "unknown");
    let identity = info
        .operator_identity
        .as_ref()
        .expect("identity journalled");
    assert_eq!(identity.uid, Some(uid()));
    assert_eq!(identity.named_by, Some(NameSource::Account));
    assert_eq!(identity.via, Via::Local);
    let action = state
        .actions
        .iter()
        .find(|a| a.action.as_str() == "approve_apply")
        .expect("the approval is an operator action");
    assert_eq!(action.actor, want);
    assert_eq!(action.identity.as_ref(), Some(identity));
    // The journal keeps the name where version 1 put it, the rest beside it.
    let raw = events
        .iter()
        .find_map(|e| match e {
            Event::OperatorAction { actor, .. } => Some(actor.clone()),
            _ => None,
        })
        .expect("operator_action");
    assert_eq!(raw, want);
}

#[test]
fn under_ssh_the_operator_action_carries_the_client_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, state, _) = run(
        dir.path(),
        &[
            ("SSH_CONNECTION", "203.0.113.9 52311 127.0.0.1 22"),
            ("LOGNAME", "sam"),
        ],
    );
    let action = state
        .actions
        .iter()
        .find(|a| a.action.as_str() == "approve_apply")
        .expect("the approval is an operator action");
    assert_eq!(action.actor, "sam");
    let identity = action.identity.as_ref().expect("identity journalled");
    assert_eq!(identity.named_by, Some(NameSource::Environment));
    assert_eq!(
        identity.via,
        Via::Ssh {
            client: "203.0.113.9".into(),
            port: Some(52311)
        }
    );
    let log = state
        .logs
        .iter()
        .find(|l| l.message.contains("approve_apply"))
        .expect("narrative line");
    assert!(
        log.message.contains("sam (ssh from 203.0.113.9)"),
        "{}",
        log.message
    );
}

#[test]
fn operator_on_the_command_line_wins_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    c.args(["run", "--headless", "--operator", "olga", "-c"])
        .arg(config(dir.path()))
        .env("USER", "ursula")
        .env_remove("SSH_CONNECTION");
    c.output().expect("run flightdeck");
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.path().join("state").join("runs"))
        .expect("runs dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let back = journal::read(&runs[0].join("journal.jsonl")).expect("journal");
    let state = RunState::from_envelopes(&back.envelopes);
    let info = state.info.as_ref().expect("run_started");
    assert_eq!(info.operator, "olga");
    assert_eq!(
        info.operator_identity.as_ref().and_then(|a| a.named_by),
        Some(NameSource::Option)
    );
}
