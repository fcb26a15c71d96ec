//! Running PostgreSQL's tools in their own process group: a one-shot tool
//! ([`run`]: `initdb`, `pg_dump`, `pg_basebackup`...) is killed with its
//! group at its timeout or when the caller cancels; a long-running one
//! ([`Group`]: the server, `pg_receivewal`) is killed with its group when
//! asked and when dropped. Groups are signalled by the id of the process
//! this module started, never by a name.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::PgError;

/// Most bytes of a tool's stderr quoted in an error (the tail).
const ERR_TAIL: usize = 600;

/// A tool that exited 0.
#[derive(Debug, Clone)]
pub struct ToolRun {
    /// What it printed on stdout.
    pub stdout: String,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Run `cmd` (named `what` in errors: `base backup (pg_basebackup)`) to
/// its end, at most `timeout`. A non-zero exit is an error quoting the
/// tail of its stderr.
pub async fn run(
    mut cmd: tokio::process::Command,
    what: &str,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<ToolRun, PgError> {
    let start = Instant::now();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let program = cmd.as_std().get_program().to_string_lossy().to_string();
    let mut child = cmd.spawn().map_err(|e| start_error(what, &program, &e))?;
    let pid = child.id();
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let read = async {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let ro = async {
            if let Some(s) = out.as_mut() {
                let _ = s.read_to_end(&mut o).await;
            }
        };
        let re = async {
            if let Some(s) = err.as_mut() {
                let _ = s.read_to_end(&mut e).await;
            }
        };
        tokio::join!(ro, re);
        let status = child.wait().await;
        (o, e, status)
    };
    tokio::select! {
        (o, e, status) = read => {
            let code = status.ok().and_then(|s| s.code()).unwrap_or(-1);
            if code == 0 {
                Ok(ToolRun { stdout: String::from_utf8_lossy(&o).into_owned(), elapsed: start.elapsed() })
            } else {
                let text = String::from_utf8_lossy(&e);
                Err(PgError::Failed(format!("{what}: exit code {code}: {}", tail(&text))))
            }
        }
        _ = tokio::time::sleep(timeout) => {
            kill_group(pid);
            Err(PgError::Failed(format!("{what}: did not finish within {} s; killed", timeout.as_secs())))
        }
        _ = cancel.cancelled() => {
            kill_group(pid);
            Err(PgError::Cancelled)
        }
    }
}

fn start_error(what: &str, program: &str, e: &std::io::Error) -> PgError {
    if e.kind() == std::io::ErrorKind::NotFound {
        PgError::MissingTool(format!("{what}: `{program}` not found"))
    } else {
        PgError::Failed(format!("{what}: `{program}` could not start: {e}"))
    }
}

/// The last lines of a tool's stderr, on one line.
pub fn tail(text: &str) -> String {
    let t = text.trim();
    let mut start = t.len().saturating_sub(ERR_TAIL);
    while !t.is_char_boundary(start) {
        start += 1;
    }
    t[start..].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SIGKILL a process group by the id of its leader.
pub fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 1) {
        use nix::sys::signal::{Signal, killpg};
        let _ = killpg(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
    }
}

/// A long-running tool in its own process group (its leader is the
/// process started here: `runuser` as root, the tool itself otherwise).
/// PostgreSQL's server children each call `setsid()`, so a process group
/// does not hold them: the group is killed as a *tree* (the leader and
/// every descendant, plus any process remembered earlier, each checked by
/// its start time so a reused PID is never hit), frozen with SIGSTOP first
/// so that none of them can act between the kills. Dropped: killed.
#[derive(Debug)]
pub struct Group {
    child: tokio::process::Child,
    pid: Option<u32>,
    what: String,
    known: Vec<Proc>,
}

impl Group {
    /// Start `cmd` with its stdout and stderr appended to `log`.
    pub fn spawn(
        mut cmd: tokio::process::Command,
        what: &str,
        log: &Path,
    ) -> Result<Group, PgError> {
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|e| PgError::Failed(format!("{what}: open log {}: {e}", log.display())))
        };
        cmd.stdin(Stdio::null())
            .stdout(open()?)
            .stderr(open()?)
            .kill_on_drop(true)
            .process_group(0);
        let program = cmd.as_std().get_program().to_string_lossy().to_string();
        let child = cmd.spawn().map_err(|e| start_error(what, &program, &e))?;
        let pid = child.id();
        Ok(Group {
            child,
            pid,
            what: what.to_string(),
            known: Vec::new(),
        })
    }

    /// The leader's PID.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// What it is, for messages.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Whether the leader has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Remember every process of the tree now, so that a process later
    /// orphaned (its parent killed alone) is still killed by PID.
    pub fn remember(&mut self) {
        for p in self.members_now() {
            if !self.known.contains(&p) {
                self.known.push(p);
            }
        }
    }

    fn members_now(&self) -> Vec<Proc> {
        let mut all = self.pid.map(tree).unwrap_or_default();
        for k in &self.known {
            if k.alive() && !all.contains(k) {
                all.push(*k);
            }
        }
        all
    }

    /// Every live process of the tree (and remembered ones still alive).
    pub fn members(&self) -> Vec<u32> {
        self.members_now().iter().map(|p| p.pid).collect()
    }

    /// Freeze then SIGKILL the whole tree at once, then reap the leader
    /// (bounded).
    pub async fn kill(&mut self) {
        self.kill_now();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }

    fn kill_now(&mut self) {
        freeze_and_kill(|| self.members_now());
        kill_group(self.pid);
    }
}

/// Freeze every process `members` lists, again until no new one appears (a
/// frozen parent forks no more; bounded in case something keeps
/// escaping), then SIGKILL them all: none can act between the kills.
pub fn freeze_and_kill(members: impl Fn() -> Vec<Proc>) {
    use nix::sys::signal::{Signal, kill};
    let mut stopped: Vec<Proc> = Vec::new();
    for _ in 0..10 {
        let new: Vec<Proc> = members()
            .into_iter()
            .filter(|p| !stopped.contains(p))
            .collect();
        if new.is_empty() {
            break;
        }
        for p in new {
            let _ = kill(p.nix(), Signal::SIGSTOP);
            stopped.push(p);
        }
    }
    for p in &stopped {
        if p.alive() {
            let _ = kill(p.nix(), Signal::SIGKILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// A process by PID and start time (so a reused PID is another process).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proc {
    /// Its PID.
    pub pid: u32,
    start: u64,
}

impl Proc {
    /// This process.
    pub fn me() -> Option<Proc> {
        let pid = std::process::id();
        stat(pid).map(|s| Proc {
            pid,
            start: s.start,
        })
    }

    /// `PID START`, as [`Proc::parse`] reads it back.
    pub fn to_line(&self) -> String {
        format!("{} {}", self.pid, self.start)
    }

    /// A process written by [`Proc::to_line`].
    pub fn parse(line: &str) -> Option<Proc> {
        let (pid, start) = line.trim().split_once(' ')?;
        Some(Proc {
            pid: pid.parse().ok()?,
            start: start.parse().ok()?,
        })
    }

    /// Whether this very process is alive (same start time, not a zombie).
    pub fn alive(&self) -> bool {
        stat(self.pid).is_some_and(|s| s.start == self.start && s.state != 'Z')
    }

    fn nix(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(i32::try_from(self.pid).unwrap_or(i32::MAX))
    }
}

struct Stat {
    state: char,
    ppid: u32,
    start: u64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's closing parenthesis: state(3) ppid(4)
    // ... starttime(22).
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        start: f.get(19)?.parse().ok()?,
    })
}

/// `root` and its live descendants.
pub fn tree(root: u32) -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let all: Vec<(u32, Stat)> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter_map(|pid| stat(pid).map(|s| (pid, s)))
        .filter(|(_, s)| s.state != 'Z')
        .collect();
    let mut out: Vec<Proc> = Vec::new();
    if let Some((_, s)) = all.iter().find(|(p, _)| *p == root) {
        out.push(Proc {
            pid: root,
            start: s.start,
        });
    } else {
        return out;
    }
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].pid;
        for (pid, s) in &all {
            if s.ppid == parent && !out.iter().any(|p| p.pid == *pid) {
                out.push(Proc {
                    pid: *pid,
                    start: s.start,
                });
            }
        }
        i += 1;
    }
    out
}

/// Every live process (but this one) whose command line names `path`, with
/// its descendants (a server's children have command lines of their own).
pub fn naming(path: &Path) -> Vec<Proc> {
    use std::os::unix::ffi::OsStrExt;
    let needle = path.as_os_str().as_bytes();
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out: Vec<Proc> = Vec::new();
    for pid in dir
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|p| *p != me)
    {
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if !needle.is_empty() && cmdline.windows(needle.len()).any(|w| w == needle) {
            for p in tree(pid) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Whether a process is alive (not gone, not a zombie).
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|s| s.state != 'Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_group_is_killed_whole_when_dropped_even_children_in_their_own_session() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = tokio::process::Command::new("sh");
        cmd.args(["-c", "setsid sleep 30 & sleep 30 & wait"]);
        let g = Group::spawn(cmd, "test group", &dir.path().join("log")).unwrap();
        let mut members = Vec::new();
        for _ in 0..100 {
            members = g.members();
            if members.len() >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(members.len() >= 3, "{members:?}");
        drop(g);
        for _ in 0..200 {
            if members.iter().all(|p| !alive(*p)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("members outlived the dropped group: {members:?}");
    }

    #[tokio::test]
    async fn a_failing_tool_quotes_its_stderr_and_a_cancelled_one_stops() {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.args(["-c", "echo 'disk full' >&2; exit 3"]);
        let e = run(
            cmd,
            "base backup (sh)",
            Duration::from_secs(5),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.to_string(), "base backup (sh): exit code 3: disk full");
        let cancel = CancellationToken::new();
        cancel.cancel();
        let mut cmd = tokio::process::Command::new("sleep");
        cmd.arg("30");
        let e = run(cmd, "sleep", Duration::from_secs(60), &cancel)
            .await
            .unwrap_err();
        assert_eq!(e, PgError::Cancelled);
        let cmd = tokio::process::Command::new("/nonexistent/pg_dump");
        let e = run(
            cmd,
            "dump",
            Duration::from_secs(5),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, PgError::MissingTool(_)), "{e}");
    }
}
