//! End to end: a drill in the real binary in a real terminal (tmux). The
//! drill runs, the Drills pane (7) shows its steps, `K` aborts it, and its
//! rollbacks still run: the rollback's file appears, and the journal holds
//! the operator's abort and the drill's end.

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "tmux_support/mod.rs"]
mod tmux_support;
use tmux_support::Tmux;

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
    let t = Tmux::start("drill", (120, 40), &script);
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
