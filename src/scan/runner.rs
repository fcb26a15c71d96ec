//! Running an external scanner that writes SARIF. A scanner that is missing,
//! fails, times out or leaves no readable file gives `Inconclusive` with the
//! reason, never "0 findings".

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::judge::Unavailable;
use super::sarif::parse_sarif_file;
use crate::scan::Finding;

/// One scanner invocation, as written in config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerCommand {
    /// Display name, e.g. `trivy`.
    pub name: String,
    /// Program and arguments; never passed through a shell.
    pub argv: Vec<String>,
    /// Kill the scanner after this many seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Exit codes that mean "ran fine" (many scanners exit 1 when they found something).
    #[serde(default = "default_ok_exit_codes")]
    pub ok_exit_codes: Vec<i32>,
    /// SARIF file the scanner writes (relative paths are relative to `cwd`).
    pub output: PathBuf,
    /// Working directory.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
}

fn default_timeout_secs() -> u64 {
    600
}

fn default_ok_exit_codes() -> Vec<i32> {
    vec![0]
}

/// What one scanner run produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ScanOutcome {
    /// The scanner ran and its SARIF was read.
    Findings {
        /// Scanner name.
        scanner: String,
        /// The SARIF file read.
        output: PathBuf,
        /// Exit code (one of the accepted ones).
        exit_code: i32,
        /// Normalised findings.
        findings: Vec<Finding>,
    },
    /// No trustworthy result; the reason says why.
    Inconclusive {
        /// Scanner name.
        scanner: String,
        /// e.g. `trivy not found on PATH (argv[0] "trivy")`.
        reason: String,
    },
}

impl ScanOutcome {
    /// The findings, empty when inconclusive.
    pub fn findings(&self) -> &[Finding] {
        match self {
            ScanOutcome::Findings { findings, .. } => findings,
            ScanOutcome::Inconclusive { .. } => &[],
        }
    }

    /// For the judge: why this scanner gave no result, if it did not.
    pub fn unavailable(&self) -> Option<Unavailable> {
        match self {
            ScanOutcome::Findings { .. } => None,
            ScanOutcome::Inconclusive { scanner, reason } => Some(Unavailable {
                source: scanner.clone(),
                reason: reason.clone(),
            }),
        }
    }
}

/// Run the scanner and read its SARIF output. Any stale output file is removed
/// first, so an old report is never mistaken for this run's.
pub async fn run_scanner(cmd: &ScannerCommand) -> ScanOutcome {
    let inconclusive = |reason: String| ScanOutcome::Inconclusive {
        scanner: cmd.name.clone(),
        reason,
    };
    let Some((program, args)) = cmd.argv.split_first() else {
        return inconclusive(format!("scanner {}: `argv` is empty", cmd.name));
    };
    let output = match &cmd.cwd {
        Some(dir) if cmd.output.is_relative() => dir.join(&cmd.output),
        _ => cmd.output.clone(),
    };
    if let Err(e) = std::fs::remove_file(&output)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return inconclusive(format!(
            "cannot remove stale output {}: {e}",
            output.display()
        ));
    }
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = &cmd.cwd {
        command.current_dir(dir);
    }
    let child = match command.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return inconclusive(format!(
                "{} not found (argv[0] {program:?}); install it or fix `argv`",
                cmd.name
            ));
        }
        Err(e) => return inconclusive(format!("{} could not start: {e}", cmd.name)),
    };
    let limit = Duration::from_secs(cmd.timeout_secs);
    let out = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return inconclusive(format!("{} failed while running: {e}", cmd.name)),
        Err(_) => {
            return inconclusive(format!(
                "{} timed out after {}s and was killed",
                cmd.name, cmd.timeout_secs
            ));
        }
    };
    let Some(code) = out.status.code() else {
        return inconclusive(format!(
            "{} was killed by a signal ({})",
            cmd.name, out.status
        ));
    };
    if !cmd.ok_exit_codes.contains(&code) {
        return inconclusive(format!(
            "{} exited with {code} (accepted: {:?}){}",
            cmd.name,
            cmd.ok_exit_codes,
            stderr_tail(&out.stderr)
        ));
    }
    if !output.exists() {
        return inconclusive(format!(
            "{} exited with {code} but wrote no output file {}",
            cmd.name,
            output.display()
        ));
    }
    match parse_sarif_file(&output) {
        Ok(findings) => ScanOutcome::Findings {
            scanner: cmd.name.clone(),
            output,
            exit_code: code,
            findings,
        },
        Err(e) => inconclusive(format!("{} output unreadable: {e}", cmd.name)),
    }
}

fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(3)..];
    format!("; stderr: {}", tail.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(argv: &[&str], dir: &std::path::Path) -> ScannerCommand {
        ScannerCommand {
            name: "fake".into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            timeout_secs: 10,
            ok_exit_codes: vec![0, 1],
            output: PathBuf::from("out.sarif"),
            cwd: Some(dir.to_path_buf()),
        }
    }

    const SARIF: &str = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"fake"}},"results":[{"ruleId":"R","level":"error","message":{"text":"m"}}]}]}"#;

    fn reason(o: ScanOutcome) -> String {
        match o {
            ScanOutcome::Inconclusive { reason, .. } => reason,
            other => panic!("expected inconclusive, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn missing_scanner_is_inconclusive() {
        let dir = tempfile::tempdir().unwrap();
        let r = reason(run_scanner(&cmd(&["flightdeck-no-such-scanner"], dir.path())).await);
        assert!(r.contains("not found"), "{r}");
    }

    #[tokio::test]
    async fn accepted_exit_code_with_output_gives_findings() {
        let dir = tempfile::tempdir().unwrap();
        let script = format!("printf '%s' '{SARIF}' > out.sarif; exit 1");
        let out = run_scanner(&cmd(&["sh", "-c", &script], dir.path())).await;
        assert_eq!(out.findings().len(), 1, "{out:?}");
    }

    #[tokio::test]
    async fn bad_exit_no_file_stale_file_and_timeout_are_inconclusive() {
        let dir = tempfile::tempdir().unwrap();
        let r = reason(run_scanner(&cmd(&["sh", "-c", "echo boom >&2; exit 3"], dir.path())).await);
        assert!(r.contains("exited with 3") && r.contains("boom"), "{r}");
        // A stale report from an earlier run must not be read.
        std::fs::write(dir.path().join("out.sarif"), SARIF).unwrap();
        let r = reason(run_scanner(&cmd(&["true"], dir.path())).await);
        assert!(r.contains("wrote no output file"), "{r}");
        let r = reason(
            run_scanner(&cmd(
                &["sh", "-c", "echo '{\"runs\": [' > out.sarif"],
                dir.path(),
            ))
            .await,
        );
        assert!(r.contains("truncated"), "{r}");
        let mut slow = cmd(&["sleep", "5"], dir.path());
        slow.timeout_secs = 1;
        let r = reason(run_scanner(&slow).await);
        assert!(r.contains("timed out"), "{r}");
    }
}
