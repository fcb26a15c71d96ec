//! The Locust processes Flightdeck starts: each in its own process group,
//! its output kept as a short redacted tail, and stopped by its process
//! group id on every path (the end of the run, a failure, the stop key,
//! Flightdeck's SIGTERM turned into a cancellation, and `Drop` as a last
//! resort when the run's future is dropped).

use std::collections::VecDeque;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::load::error::LoadError;

/// Lines of output kept per process.
const TAIL_LINES: usize = 40;

/// One started process (and whatever it started, in its process group).
pub struct Proc {
    /// Flightdeck's name for it (`master`, `local-1`, a host name).
    pub label: String,
    child: tokio::process::Child,
    pgid: Option<i32>,
    tail: Arc<Mutex<VecDeque<String>>>,
    secrets: Vec<String>,
}

impl Proc {
    /// Start `argv` with `env` added, in a new process group. `secrets` are
    /// values never to show in its output tail (header values of the mix).
    pub fn spawn(
        label: &str,
        argv: &[String],
        env: &[(String, String)],
        secrets: Vec<String>,
    ) -> Result<Proc, LoadError> {
        let Some((program, args)) = argv.split_first() else {
            return Err(LoadError::Setup(format!("{label}: empty command")));
        };
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| LoadError::Setup(format!("{label}: cannot start `{program}`: {e}")))?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            keep_tail(out, tail.clone());
        }
        if let Some(err) = child.stderr.take() {
            keep_tail(err, tail.clone());
        }
        let pgid = child.id().and_then(|p| i32::try_from(p).ok());
        Ok(Proc {
            label: label.to_string(),
            child,
            pgid,
            tail,
            secrets,
        })
    }

    /// The process id (also its process group id).
    pub fn pid(&self) -> Option<i32> {
        self.pgid
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last lines of its output, redacted.
    pub fn tail(&self, lines: usize) -> Vec<String> {
        let t = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let skip = t.len().saturating_sub(lines);
        t.iter()
            .skip(skip)
            .map(|l| redact(l, &self.secrets))
            .collect()
    }

    /// True when any output line contains `needle`.
    pub fn said(&self, needle: &str) -> bool {
        let t = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        t.iter().any(|l| l.contains(needle))
    }

    /// Ask the whole group to stop (SIGTERM).
    pub fn terminate(&mut self) {
        if let Some(g) = self.pgid {
            let _ = killpg(Pid::from_raw(g), Signal::SIGTERM);
        }
    }

    /// Stop the whole group: SIGTERM, up to `grace`, then SIGKILL; and reap.
    pub async fn stop(&mut self, grace: Duration) {
        if self.exited().is_none() {
            self.terminate();
            if tokio::time::timeout(grace, self.child.wait())
                .await
                .is_err()
            {
                self.kill_group();
                let _ = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
            }
        }
        // Whatever the leader left behind in its group goes too.
        self.kill_group();
        self.pgid = None;
    }

    fn kill_group(&self) {
        if let Some(g) = self.pgid {
            let _ = killpg(Pid::from_raw(g), Signal::SIGKILL);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill_group();
    }
}

fn keep_tail<R: AsyncRead + Unpin + Send + 'static>(r: R, tail: Arc<Mutex<VecDeque<String>>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(r).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
            t.push_back(l.chars().take(400).collect());
            if t.len() > TAIL_LINES {
                t.pop_front();
            }
        }
    });
}

/// Hide `secrets` and anything that looks like a credential after a key
/// such as `password=`, `token:` or `Authorization:`.
pub fn redact(line: &str, secrets: &[String]) -> String {
    let mut out = line.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(s.as_str(), "****");
    }
    static KEYED: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)((?:password|passwd|pwd|token|secret|api[_-]?key|authorization|bearer)["']?\s*[=:]?\s*(?:(?:bearer|basic)\s+)?)("[^"]*"|'[^']*'|\S+)"#,
        )
        .ok()
    });
    if let Some(re) = KEYED.as_ref() {
        out = re.replace_all(&out, "${1}****").into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_known_values_and_keyed_credentials() {
        let l = "ssh: auth failed for token=abc123def and Authorization: Bearer s3cr3t, header x-key hunter22";
        let r = redact(l, &["hunter22".into()]);
        assert!(!r.contains("abc123def"), "{r}");
        assert!(!r.contains("s3cr3t"), "{r}");
        assert!(!r.contains("hunter22"), "{r}");
        assert!(r.contains("ssh: auth failed"), "{r}");
    }
}
