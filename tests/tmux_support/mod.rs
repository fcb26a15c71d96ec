//! The terminal the end-to-end tests drive: a detached tmux session of a
//! given size on its own server socket (so tests never share a server),
//! with `remain-on-exit` so a crashed binary's last screen can still be
//! read. One copy for every `e2e_*` test.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server with one session `t`, killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Start `script` (a shell command) in a detached tmux session of the
    /// given size; `name` keeps the server socket apart from other tests'.
    pub fn start(name: &str, size: (u16, u16), script: &str) -> Tmux {
        let socket = format!("fd-{name}-{}-{}", std::process::id(), uuid_like());
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
            .args(["-e", "TERM=xterm-256color"])
            .arg(script)
            .status()
            .expect("tmux must be installed (scripts/test installs it)");
        assert!(ok.success(), "tmux new-session failed");
        let t = Tmux { socket };
        t.cmd(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        t
    }

    /// Run a tmux command against this server; its stdout.
    pub fn cmd(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "t"])
    }

    /// Type keys (tmux key names: `q`, `Enter`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Wait until `pred` holds for the screen; panic with the screen after `secs`.
    pub fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The pid of the process the session runs.
    pub fn pane_pid(&self) -> u32 {
        self.cmd(&["display-message", "-p", "-t", "t", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("pane pid")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// A number that differs between two tests started in the same process.
pub fn uuid_like() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}
