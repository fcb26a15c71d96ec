//! Running one command of a drill: in its own process group, with a
//! timeout after which the whole group is killed, stdout and stderr merged
//! in arrival order and capped. Once the command has exited, whatever it
//! left running in its group is killed too, so a drill never leaves a
//! stray process behind.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Most bytes of output kept per command (the rest is read and dropped).
pub const MAX_OUTPUT_BYTES: usize = 256 * 1024;

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it (not ours).
    Signalled,
    /// It ran past its timeout; its group was killed.
    TimedOut,
    /// It could not start: the program does not exist or cannot run.
    NotStarted(String),
}

/// What a command did.
#[derive(Clone, Debug)]
pub struct Execution {
    /// How it ended.
    pub ended: Ended,
    /// stdout and stderr, merged, at most [`MAX_OUTPUT_BYTES`].
    pub output: String,
    /// Output beyond the cap was dropped.
    pub truncated: bool,
    /// Wall time.
    pub elapsed: Duration,
}

impl Execution {
    /// The exit code, when it exited.
    pub fn code(&self) -> Option<i32> {
        match self.ended {
            Ended::Exited(c) => Some(c),
            _ => None,
        }
    }
}

/// Run `argv` in `cwd` with extra `env`, killing its process group after
/// `timeout`.
pub async fn run(
    argv: &[String],
    cwd: Option<&Path>,
    env: &[(String, String)],
    timeout: Duration,
) -> Execution {
    let started = Instant::now();
    let Some((program, args)) = argv.split_first() else {
        return not_started(started, "empty command".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                format!("{program}: command not found")
            } else {
                format!("{program}: cannot start: {e}")
            };
            return not_started(started, why);
        }
    };
    let pgid = child.id();
    // Dropped (the drill aborted mid-step) or not, the group goes.
    let _group = pgid.map(GroupGuard);
    let buf = Arc::new(Mutex::new(Capped::default()));
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(drain(out, buf.clone())));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(drain(err, buf.clone())));
    }
    let ended = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => match status.code() {
            Some(c) => Ended::Exited(c),
            None => Ended::Signalled,
        },
        Ok(Err(e)) => Ended::NotStarted(format!("{program}: cannot wait for it: {e}")),
        Err(_) => Ended::TimedOut,
    };
    // The group goes on every path: on a timeout it is the command itself,
    // after an exit it is what the command left in the background (which
    // would otherwise hold the output pipes open).
    if let Some(id) = pgid {
        kill_group(id);
    }
    if ended == Ended::TimedOut {
        let _ = child.wait().await;
    }
    for r in readers {
        // A grandchild that left the group can still hold a pipe: don't wait
        // for it longer than a moment.
        let _ = tokio::time::timeout(Duration::from_secs(2), r).await;
    }
    let (output, truncated) = match buf.lock() {
        Ok(b) => (String::from_utf8_lossy(&b.bytes).into_owned(), b.truncated),
        Err(_) => (String::new(), false),
    };
    Execution {
        ended,
        output,
        truncated,
        elapsed: started.elapsed(),
    }
}

fn not_started(started: Instant, why: String) -> Execution {
    Execution {
        ended: Ended::NotStarted(why),
        output: String::new(),
        truncated: false,
        elapsed: started.elapsed(),
    }
}

/// Kills a process group when dropped.
struct GroupGuard(u32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

/// SIGKILL to a process group (ours: the child was made its leader).
pub fn kill_group(pgid: u32) {
    if let Ok(id) = i32::try_from(pgid) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(id),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    truncated: bool,
}

async fn drain(mut r: impl AsyncRead + Unpin, buf: Arc<Mutex<Capped>>) {
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Ok(mut b) = buf.lock() {
                    let room = MAX_OUTPUT_BYTES.saturating_sub(b.bytes.len());
                    if n > room {
                        b.truncated = true;
                    }
                    let keep = n.min(room);
                    b.bytes.extend_from_slice(&chunk[..keep]);
                }
            }
        }
    }
}

/// The head and tail of an output, at most `max` characters, with the cut
/// marked: what a pane or report shows of a step.
pub fn trim_output(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.trim_end().chars().collect();
    if chars.len() <= max {
        return chars.into_iter().collect();
    }
    let half = max / 2;
    let head: String = chars[..half].iter().collect();
    let tail: String = chars[chars.len() - half..].iter().collect();
    format!(
        "{head}\n[... {} characters cut ...]\n{tail}",
        chars.len() - 2 * half
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[tokio::test]
    async fn exit_code_and_merged_output() {
        let e = run(
            &sh("echo out; echo err >&2; exit 3"),
            None,
            &[],
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(e.ended, Ended::Exited(3));
        assert!(
            e.output.contains("out") && e.output.contains("err"),
            "{}",
            e.output
        );
    }

    #[tokio::test]
    async fn a_hang_is_killed_with_its_group() {
        // The background sleep holds stdout: without the group kill the
        // readers would wait for it.
        let e = run(
            &sh("sleep 30 & sleep 30"),
            None,
            &[],
            Duration::from_millis(300),
        )
        .await;
        assert_eq!(e.ended, Ended::TimedOut);
    }

    #[tokio::test]
    async fn a_missing_program_is_named() {
        let argv = vec!["flightdeck-no-such-program".to_string()];
        let e = run(&argv, None, &[], Duration::from_secs(5)).await;
        assert!(matches!(e.ended, Ended::NotStarted(ref w) if w.contains("command not found")));
    }

    #[tokio::test]
    async fn output_is_capped() {
        let e = run(
            &sh("head -c 600000 /dev/zero | tr '\\0' x"),
            None,
            &[],
            Duration::from_secs(20),
        )
        .await;
        assert_eq!(e.output.len(), MAX_OUTPUT_BYTES);
        assert!(e.truncated);
    }

    #[test]
    fn trimming_keeps_head_and_tail() {
        let t = trim_output(&"a".repeat(50).replace("aaaaa", "abcde"), 10);
        assert!(t.starts_with("abcde") && t.ends_with("abcde") && t.contains("40 characters cut"));
        assert_eq!(trim_output("short\n", 10), "short");
    }
}
