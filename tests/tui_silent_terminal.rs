//! The control room on a terminal that answers no questions: under
//! `script` with nothing upstream, a cursor-position query (ESC[6n) never
//! gets its reply, as with some SSH clients, serial consoles and session
//! recorders. The TUI must not depend on one: it draws, the run goes to its
//! end with a complete journal, and `q` quits cleanly.
//!
//! `script` (util-linux, Debian's `bsdutils`) gives the binary a real pty
//! whose other side is this test: it reads the screen from `script`'s
//! output and types into its stdin, and answers nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use flightdeck::core::state::RunState;
use flightdeck::record::journal;

/// `script` running the demo on a pty, stopped by PID when dropped.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    output: PathBuf,
}

impl Session {
    fn start(dir: &Path) -> Session {
        let d = dir.display();
        // The pty has no size until told; 100x30 gets the compact layout.
        let inner = format!(
            "stty cols 100 rows 30; {bin} demo --quick --state-dir {d}/state; echo $? > {d}/exit",
            bin = env!("CARGO_BIN_EXE_flightdeck"),
        );
        let output = dir.join("screen.out");
        let out = std::fs::File::create(&output).expect("output file");
        let child = Command::new("script")
            .args(["-q", "-f", "-c", &inner, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .expect("`script` (util-linux) must be installed: scripts/test installs bsdutils");
        let mut s = Session {
            child,
            stdin: None,
            output,
        };
        s.stdin = s.child.stdin.take();
        s
    }

    /// What the binary wrote to its terminal so far, escapes and all.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.output).unwrap_or_default()).into_owned()
    }

    fn type_keys(&mut self, keys: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(keys.as_bytes()).expect("type");
        stdin.flush().expect("flush");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Killing `script` hangs up the pty: the binary gets SIGHUP.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn journal_of(state: &Path) -> Option<PathBuf> {
    std::fs::read_dir(state.join("runs"))
        .ok()?
        .flatten()
        .map(|e| e.path().join("journal.jsonl"))
        .next()
}

#[test]
fn the_tui_draws_and_records_the_run_when_the_terminal_never_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Session::start(dir.path());
    let state = dir.path().join("state");
    let start = Instant::now();
    let journal = loop {
        let done = journal_of(&state).filter(|j| {
            std::fs::read_to_string(j)
                .unwrap_or_default()
                .contains("\"type\":\"run_finished\"")
        });
        if let Some(j) = done {
            break j;
        }
        let exit = std::fs::read_to_string(dir.path().join("exit")).unwrap_or_default();
        assert!(
            exit.is_empty(),
            "the binary exited ({}) before the run finished:\n{}",
            exit.trim(),
            s.screen()
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the run never finished:\n{}",
            s.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // The decision reaches the screen at the next frame.
    let start = Instant::now();
    while !s.screen().contains("GO") && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let screen = s.screen();
    assert!(screen.contains("\x1b[?1049h"), "no alternate screen");
    for drawn in ["flightdeck", "Stages", "GO"] {
        assert!(screen.contains(drawn), "`{drawn}` never drawn:\n{screen}");
    }
    assert!(
        !screen.contains("cursor position"),
        "the TUI waited for a reply:\n{screen}"
    );
    s.type_keys("q");
    let start = Instant::now();
    let code = loop {
        let exit = std::fs::read_to_string(dir.path().join("exit")).unwrap_or_default();
        if !exit.trim().is_empty() {
            break exit.trim().to_string();
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "q did not quit:\n{}",
            s.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(code, "0", "exit code of a GO demo:\n{}", s.screen());
    let screen = s.screen();
    assert!(screen.contains("\x1b[?1049l"), "alternate screen left");
    let back = journal::read(&journal).expect("journal");
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    let folded = RunState::from_envelopes(&back.envelopes);
    assert_eq!(
        folded.outcome,
        Some(flightdeck::core::event::Outcome::Go),
        "{:?}",
        folded.end_reason
    );
    assert!(journal.with_file_name("report.json").is_file());
}
