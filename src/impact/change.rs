//! Reading a change from git: `BASE..HEAD` (or `BASE...HEAD`, from their
//! merge base) resolved to commits, then `git diff --numstat -M` for the
//! files, renames and lines added and removed. The `git` binary is run
//! with an argv (never a shell), in the configured repository, and every
//! call is bounded in time.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::core::impact::{ChangeSet, ChangedFile};

/// Longest a git call may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(60);

/// A change that could not be read; it names the range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("change range `{range}`: {message} (hint: {hint})")]
pub struct ChangeError {
    /// The range as given.
    pub range: String,
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Where and with what git runs.
#[derive(Clone, Debug)]
pub struct Git {
    /// The binary.
    pub binary: String,
    /// The repository (any directory inside its work tree).
    pub repo: PathBuf,
}

impl Git {
    /// `git` on PATH in `repo`.
    pub fn new(binary: Option<&str>, repo: Option<&Path>) -> Git {
        Git {
            binary: binary.unwrap_or("git").to_string(),
            repo: repo.map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        }
    }

    /// Run git with `args`; stdout on success, stderr's first line on failure.
    fn run(&self, args: &[&str]) -> Result<Vec<u8>, String> {
        let mut child = Command::new(&self.binary)
            .arg("-C")
            .arg(&self.repo)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}` ({e})", self.binary))?;
        // Read stdout on a thread so a large diff cannot fill the pipe and
        // stall git while we wait for it to exit.
        let mut stdout = child.stdout.take();
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(out) = stdout.as_mut() {
                let _ = out.read_to_end(&mut buf);
            }
            buf
        });
        let deadline = Instant::now() + GIT_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "git {} took longer than {GIT_TIMEOUT:?}",
                        args.join(" ")
                    ));
                }
                Err(e) => return Err(format!("cannot wait for git ({e})")),
            }
        };
        let out = reader.join().unwrap_or_default();
        if status.success() {
            Ok(out)
        } else {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
                .trim()
                .to_string();
            Err(first)
        }
    }

    fn resolve(&self, range: &str, rev: &str) -> Result<String, ChangeError> {
        let spec = format!("{rev}^{{commit}}");
        self.run(&["rev-parse", "--verify", "--quiet", "--end-of-options", &spec])
            .map(|o| String::from_utf8_lossy(&o).trim().to_string())
            .map_err(|e| ChangeError {
                range: range.to_string(),
                message: format!(
                    "git cannot resolve `{rev}` in {}{}",
                    self.repo.display(),
                    if e == "no message" {
                        String::new()
                    } else {
                        format!(" ({e})")
                    }
                ),
                hint: "name commits, branches or tags that exist here, e.g. origin/main..HEAD (fetch first in CI)".into(),
            })
    }

    /// Read the change `range` (`BASE..HEAD` or `BASE...HEAD`).
    pub fn change(&self, range: &str) -> Result<ChangeSet, ChangeError> {
        let fail = |message: String, hint: &str| ChangeError {
            range: range.to_string(),
            message,
            hint: hint.to_string(),
        };
        let (base, head, merge_base) = match range.split_once("...") {
            Some((b, h)) => (b, h, true),
            None => match range.split_once("..") {
                Some((b, h)) => (b, h, false),
                None => {
                    return Err(fail(
                        "is not a range".into(),
                        "write BASE..HEAD, e.g. origin/main..HEAD",
                    ));
                }
            },
        };
        let (base, head) = (base.trim(), head.trim());
        if base.is_empty() || head.is_empty() || base.starts_with('-') || head.starts_with('-') {
            return Err(fail(
                "names no base or no head".into(),
                "write BASE..HEAD, e.g. origin/main..HEAD",
            ));
        }
        if !self.repo.is_dir() {
            return Err(fail(
                format!("{} is not a directory", self.repo.display()),
                "set impact.repo to the repository the release is built from",
            ));
        }
        self.run(&["rev-parse", "--show-toplevel"]).map_err(|e| {
            fail(
                format!(
                    "{} is not inside a git repository ({e})",
                    self.repo.display()
                ),
                "set impact.repo to the repository the release is built from",
            )
        })?;
        let mut base_sha = self.resolve(range, base)?;
        let head_sha = self.resolve(range, head)?;
        if merge_base {
            base_sha = self
                .run(&["merge-base", &base_sha, &head_sha])
                .map(|o| String::from_utf8_lossy(&o).trim().to_string())
                .map_err(|e| {
                    fail(
                        format!("`{base}` and `{head}` have no common ancestor ({e})"),
                        "use BASE..HEAD for unrelated histories",
                    )
                })?;
        }
        let out = self
            .run(&[
                "diff",
                "--numstat",
                "-z",
                "-M",
                "--no-color",
                "--no-ext-diff",
                &base_sha,
                &head_sha,
            ])
            .map_err(|e| fail(format!("git diff failed ({e})"), "check the repository"))?;
        Ok(ChangeSet {
            range: range.to_string(),
            base: short(&base_sha),
            head: short(&head_sha),
            files: parse_numstat(&out),
        })
    }
}

fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

/// Parse `git diff --numstat -z -M`: `added\tremoved\tpath\0`, or for a
/// rename `added\tremoved\t\0old\0new\0`; binary files count `-`.
pub fn parse_numstat(out: &[u8]) -> Vec<ChangedFile> {
    let text = String::from_utf8_lossy(out);
    let mut parts = text.split('\0');
    let mut files = Vec::new();
    while let Some(head) = parts.next() {
        if head.is_empty() {
            continue;
        }
        let mut cols = head.splitn(3, '\t');
        let (Some(a), Some(r), Some(path)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        let binary = a == "-" || r == "-";
        let (path, renamed_from) = if path.is_empty() {
            let old = parts.next().unwrap_or_default().to_string();
            let new = parts.next().unwrap_or_default().to_string();
            (new, Some(old))
        } else {
            (path.to_string(), None)
        };
        files.push(ChangedFile {
            path,
            renamed_from,
            added: a.parse().unwrap_or(0),
            removed: r.parse().unwrap_or(0),
            binary,
        });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numstat_reads_plain_files_renames_and_binaries() {
        let out = b"3\t1\tsrc/a.rs\x000\t0\t\x00docs/old.md\x00docs/new.md\x00-\t-\tlogo.png\x00";
        let files = parse_numstat(out);
        assert_eq!(files.len(), 3);
        assert_eq!(
            (files[0].path.as_str(), files[0].added, files[0].removed),
            ("src/a.rs", 3, 1)
        );
        assert_eq!(files[1].path, "docs/new.md");
        assert_eq!(files[1].renamed_from.as_deref(), Some("docs/old.md"));
        assert!(files[2].binary);
    }

    #[test]
    fn a_range_without_dots_is_refused_naming_it() {
        let e = Git::new(None, None).change("main").unwrap_err();
        assert_eq!(e.range, "main");
        assert!(
            e.to_string()
                .starts_with("change range `main`: is not a range"),
            "{e}"
        );
    }
}
