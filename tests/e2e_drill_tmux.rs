//! End to end: a drill in the real binary in a real terminal (tmux). The
//! drill runs, the Drills pane (7) shows its steps, `K` aborts it, and its
//! rollbacks still run: the rollback's file appears, and the journal holds
//! the operator's abort and the drill's end.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    /// Start `script` (a shell command) in a detached tmux session of the given size.
    fn start(size: (u16, u16), script: &str) -> Tmux {
        let socket = format!("fd-e2e-{}-{}", std::process::id(), uuid_like());
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
            ])
            .args(["-x", &size.0.to_string(), "-y", &size.1.to_string()])
            .arg("-e")
            .arg("TERM=xterm-256color")
            .arg(script)
            .status()
            .expect("tmux must be installed (.ci/run installs it)");
        assert!(ok.success(), "tmux new-session failed");
        let t = Tmux { socket };
        t.cmd(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        t
    }

    fn cmd(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Wait until `pred` holds for the screen; panic with the screen after `secs`.
    fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn uuid_like() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

fn wait_path(p: &Path, secs: u64) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if p.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn k_on_the_drills_pane_aborts_the_drill_and_its_rollbacks_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let marker = d.join("rolled-back");
    let cfg = d.join("drill.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
state_dir = "{state}"
[run]
service = "drill-e2e"
release = "1.0.0"

[[drill]]
name = "long-drill"
objectives = ["wait_s <= 120"]
[[drill.method]]
name = "long wait"
action = "wait"
duration = "90s"
measure = "wait_s"
[[drill.rollbacks]]
name = "undo the fault"
action = "command"
argv = ["touch", "{marker}"]

[[stages]]
id = "drills"
kind = "drill"

[[stages]]
id = "gate"
kind = "gate"
"#,
            state = d.join("state").display(),
            marker = marker.display()
        ),
    )
    .expect("config");
    let script = format!(
        "{} run -c {}; echo $? > {}/exit; sleep 60",
        env!("CARGO_BIN_EXE_flightdeck"),
        cfg.display(),
        d.display()
    );
    let t = Tmux::start((120, 40), &script);
    t.wait_for("the drill stage to run", 60, |s| {
        s.contains("drills") && s.contains("RUN")
    });
    t.keys(&["7"]);
    let screen = t.wait_for("the Drills pane with the running step", 30, |s| {
        s.contains("[7 Drills]") && s.contains("long-drill") && s.contains("long wait")
    });
    assert!(screen.contains("K aborts the running drill"), "{screen}");
    assert!(!marker.exists(), "the rollback ran before the abort");
    t.keys(&["K"]);
    assert!(
        wait_path(&marker, 30),
        "the rollback did not run after K; screen:\n{}",
        t.screen()
    );
    let screen = t.wait_for("the drill to end aborted", 30, |s| s.contains("aborted"));
    assert!(screen.contains("long-drill"), "{screen}");
    t.keys(&["q"]);
    let runs = d.join("state").join("runs");
    let start = Instant::now();
    let journal = loop {
        let j = std::fs::read_dir(&runs)
            .ok()
            .and_then(|mut r| r.next())
            .and_then(|e| e.ok())
            .map(|e| e.path().join("journal.jsonl"))
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default();
        if j.contains("run_finished") || start.elapsed() > Duration::from_secs(30) {
            break j;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(journal.contains(r#""action":"abort_drill""#), "{journal}");
    assert!(journal.contains(r#""end":"aborted""#), "{journal}");
    assert!(journal.contains(r#""step":"undo the fault""#), "{journal}");
}
