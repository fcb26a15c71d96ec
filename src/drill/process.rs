//! Running a drill's command: argv (or `sh -c` when the drill says
//! `shell = true`) in its own process group, output captured and capped,
//! killed with its whole group at the timeout or when the drill is
//! cancelled, so nothing it started outlives the step.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use crate::secrets::Secret;

/// Most bytes of a step's output kept (the tail, where errors are).
pub const OUTPUT_CAP: usize = 2048;

/// How a command ended.
#[derive(Debug)]
pub enum Ran {
    /// It exited (a signal death reads as exit code -1).
    Exited {
        /// Exit code.
        code: i32,
        /// Stdout, capped.
        stdout: String,
        /// Stderr, capped.
        stderr: String,
    },
    /// It was killed at its timeout, with its group.
    TimedOut {
        /// What it printed until then.
        output: String,
    },
    /// The drill was cancelled while it ran; killed with its group.
    Cancelled,
    /// It could not start (not found, not executable).
    NotStarted(String),
}

/// Run `argv` (or `sh -c argv[0]` with `shell`) with extra `env`, at most
/// `timeout`.
pub async fn run(
    argv: &[String],
    shell: bool,
    env: &[(String, Secret)],
    timeout: Duration,
    cancel: &CancellationToken,
) -> (Ran, Duration) {
    let start = Instant::now();
    let mut cmd = if shell {
        let mut c = tokio::process::Command::new("sh");
        c.arg("-c").arg(argv.join(" "));
        c
    } else {
        let Some((program, args)) = argv.split_first() else {
            return (Ran::NotStarted("empty argv".into()), start.elapsed());
        };
        let mut c = tokio::process::Command::new(program);
        c.args(args);
        c
    };
    for (k, v) in env {
        cmd.env(k, v.expose());
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let what = argv.first().map(String::as_str).unwrap_or("sh");
            let msg = if e.kind() == std::io::ErrorKind::NotFound {
                format!("command `{what}` not found")
            } else {
                format!("command `{what}` could not start: {e}")
            };
            return (Ran::NotStarted(msg), start.elapsed());
        }
    };
    let pid = child.id();
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let read_out = async move {
        let mut buf = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_end(&mut buf).await;
        }
        buf
    };
    let read_err = async move {
        let mut buf = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_end(&mut buf).await;
        }
        buf
    };
    let outputs = async { tokio::join!(read_out, read_err) };
    let waited = async {
        let ((o, e), status) = tokio::join!(outputs, child.wait());
        (o, e, status)
    };
    tokio::select! {
        (o, e, status) = waited => {
            let code = status.ok().and_then(|s| s.code()).unwrap_or(-1);
            (
                Ran::Exited {
                    code,
                    stdout: cap(&String::from_utf8_lossy(&o)),
                    stderr: cap(&String::from_utf8_lossy(&e)),
                },
                start.elapsed(),
            )
        }
        _ = tokio::time::sleep(timeout) => {
            kill_group(pid);
            (Ran::TimedOut { output: String::new() }, start.elapsed())
        }
        _ = cancel.cancelled() => {
            kill_group(pid);
            (Ran::Cancelled, start.elapsed())
        }
    }
}

/// Kill a step's whole process group (its children too), by its id.
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// Keep at most [`OUTPUT_CAP`] bytes: the tail, on a char boundary.
pub fn cap(text: &str) -> String {
    let t = text.trim_end();
    if t.len() <= OUTPUT_CAP {
        return t.to_string();
    }
    let mut start = t.len() - OUTPUT_CAP;
    while !t.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &t[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hanging_command_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child.pid");
        let script = format!("sleep 30 & echo $! > {}; wait", marker.display());
        let (ran, _) = run(
            &[script],
            true,
            &[],
            Duration::from_millis(300),
            &CancellationToken::new(),
        )
        .await;
        assert!(matches!(ran, Ran::TimedOut { .. }), "{ran:?}");
        let pid: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild went with the group: signal 0 finds no such process
        // (after the kernel reaps it; zombie children of a dead sh are reaped by init).
        let mut gone = false;
        for _ in 0..50 {
            if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err() {
                gone = true;
                break;
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if stat.contains(") Z ") {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone, "the sleep child {pid} survived its step");
    }

    #[tokio::test]
    async fn a_missing_program_does_not_start() {
        let (ran, _) = run(
            &["flightdeck-no-such-program".into()],
            false,
            &[],
            Duration::from_secs(1),
            &CancellationToken::new(),
        )
        .await;
        assert!(matches!(ran, Ran::NotStarted(m) if m.contains("not found")));
    }

    #[test]
    fn output_is_capped_to_its_tail() {
        let long = "x".repeat(OUTPUT_CAP * 2) + "END";
        let c = cap(&long);
        assert!(c.ends_with("END"));
        assert!(c.len() <= OUTPUT_CAP + 4);
    }
}
