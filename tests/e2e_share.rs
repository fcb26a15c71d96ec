//! End to end, three terminals (tmux) and three accounts: the owner runs
//! the demo; a viewer (a throwaway account in `share.group`) attaches and
//! its `R` is refused; an operator (a throwaway account in
//! `share.operators`) attaches and its `R` rolls the canary back, journalled
//! with that account's identity; the owner's header shows both.
//!
//! Creating accounts needs root; without it the test says so loudly and
//! proves nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use flightdeck::core::state::RunState;
use flightdeck::record::journal;

#[path = "tmux_support/mod.rs"]
mod tmux_support;
use tmux_support::Tmux;

/// A throwaway group and two accounts in it, removed on drop.
struct Accounts {
    group: String,
    viewer: String,
    operator: String,
}

impl Accounts {
    fn create() -> Option<Accounts> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
        if !root {
            eprintln!(
                "SKIPPED: the shared-run end-to-end test creates two throwaway accounts and needs root; it proves nothing here"
            );
            return None;
        }
        let n = std::process::id() % 100_000;
        let a = Accounts {
            group: format!("fdsh{n}"),
            viewer: format!("fdv{n}"),
            operator: format!("fdo{n}"),
        };
        let run = |cmd: &str, args: &[&str]| {
            let ok = Command::new(cmd)
                .args(args)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "{cmd} {args:?} failed");
        };
        run("groupadd", &["-r", &a.group]);
        for u in [&a.viewer, &a.operator] {
            run(
                "useradd",
                &[
                    "-r",
                    "-M",
                    "-N",
                    "-g",
                    &a.group,
                    "-s",
                    "/usr/sbin/nologin",
                    u,
                ],
            );
        }
        Some(a)
    }

    fn uid(&self, user: &str) -> u32 {
        let o = Command::new("id").args(["-u", user]).output().expect("id");
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .expect("uid")
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for u in [&self.viewer, &self.operator] {
            let _ = Command::new("userdel").arg(u).status();
        }
        let _ = Command::new("groupdel").arg(&self.group).status();
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn wait_journal(state: &Path, what: &str, secs: u64, needle: &str) -> PathBuf {
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(state.join("runs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("journal.jsonl"))
            .find(|j| read(j).contains(needle));
        if let Some(j) = found {
            return j;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_viewer_is_refused_an_operator_rolls_back_as_themselves_and_the_owner_sees_both() {
    use std::os::unix::fs::PermissionsExt;
    let Some(acc) = Accounts::create() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let d = dir.path().display().to_string();
    let shipped = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flightdeck.toml"));
    assert!(
        shipped.contains("operators = []"),
        "the shipped [share] section"
    );
    let config = dir.path().join("flightdeck.toml");
    std::fs::write(
        &config,
        shipped.replacen(
            "operators = []",
            &format!(
                "operators = [\"{}\"]\ngroup = \"{}\"",
                acc.operator, acc.group
            ),
            1,
        ),
    )
    .expect("config");
    let bin = env!("CARGO_BIN_EXE_flightdeck");
    let state = dir.path().join("state");
    // The full-length healthy demo: its canary holds each step for 10 s.
    let owner = Tmux::start(
        "owner",
        (160, 45),
        &format!(
            "cd {d} && {bin} demo -c {c} --state-dir {d}/state --operator sam; echo $? > {d}/exit; sleep 60",
            c = config.display()
        ),
    );
    wait_journal(&state, "the run to start", 60, "\"type\":\"run_started\"");
    let attach = |user: &str| {
        format!("cd {d} && runuser -u {user} -- {bin} attach --state-dir {d}/state; sleep 60")
    };
    let viewer = Tmux::start("viewer", (160, 45), &attach(&acc.viewer));
    viewer.wait_for("the viewer's screen", 30, |s| {
        s.contains(&format!("{} (viewer you)", acc.viewer)) && s.contains("Stages")
    });
    let op = Tmux::start("operator", (160, 45), &attach(&acc.operator));
    op.wait_for("the operator's screen", 30, |s| {
        s.contains(&format!("{} (operator you)", acc.operator))
    });
    let both = format!(
        "attached: {} (viewer), {} (operator)",
        acc.viewer, acc.operator
    );
    owner.wait_for("the owner's header naming both", 10, |s| s.contains(&both));

    let journal = wait_journal(
        &state,
        "the canary at 5%",
        90,
        "\"reason\":\"step 1/4: 5%\"",
    );
    viewer.keys(&["R"]);
    viewer.wait_for("the viewer's refusal", 10, |s| {
        s.contains("read-only: ask the operator for control")
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !read(&journal).contains("\"action\":\"rollback\""),
        "a viewer's R changes nothing"
    );

    op.keys(&["R"]);
    let start = Instant::now();
    while !read(&journal).contains("\"reason\":\"rollback: operator key R\"") {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no confirmed rollback:\n{}",
            op.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let back = journal::read(&journal).expect("journal");
    let folded = RunState::from_envelopes(&back.envelopes);
    let action = folded
        .actions
        .iter()
        .find(|a| a.action.as_str() == "rollback")
        .expect("the rollback is journalled");
    assert_eq!(action.actor, acc.operator);
    let who = action
        .identity
        .as_ref()
        .expect("with the operator's identity");
    assert_eq!(who.uid, Some(acc.uid(&acc.operator)));
    let c = folded.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    assert_eq!(
        c.rollback.as_ref().map(|r| r.actor.as_str()),
        Some(acc.operator.as_str())
    );
    // Everyone sees the one confirmed rollback.
    for (name, t) in [("owner", &owner), ("viewer", &viewer), ("operator", &op)] {
        t.wait_for(&format!("the {name}'s rolled-back canary"), 15, |s| {
            s.contains(&format!("by {}", acc.operator))
        });
    }
    owner.wait_for("the decision", 90, |s| s.contains("NO-GO"));
    viewer.wait_for("the viewer's NO-GO", 10, |s| s.contains("NO-GO"));
    owner.keys(&["q"]);
    let start = Instant::now();
    while read(&dir.path().join("exit")).trim().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the owner did not quit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(read(&dir.path().join("exit")).trim(), "1");
    viewer.wait_for("the viewer told the run ended", 15, |s| {
        s.contains("the run has ended")
    });
    let back = journal::read(&journal).expect("journal");
    let joined: Vec<String> = back
        .envelopes
        .iter()
        .filter_map(|e| match &e.event {
            flightdeck::core::event::Event::PeerJoined { peer } => Some(peer.actor.name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(joined, [acc.viewer.clone(), acc.operator.clone()]);
}
