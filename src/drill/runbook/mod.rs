//! The runbook drill: an incident-response runbook in Markdown, executed.
//! Its marked shell blocks ([`parse`]) run in order, each with its timeout,
//! in the runbook's folder; each one's output is checked against its
//! `expect` and its exit code against `exit`. The first step that fails
//! (command gone, output changed, wrong exit code, timeout) fails the drill
//! and is named; the steps after it are not run, as an operator following
//! the runbook would stop there. The result says whether the runbook still
//! matches reality.

pub mod exec;
pub mod parse;
pub mod redact;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::core::drill_ops::{OpsMeasurement, OpsOutcome, OpsStep, OpsStepOutcome};
use crate::secrets::Secret;

pub use parse::{ParseError, Step, parse_runbook};

/// Characters of a step's output kept in its result.
pub const KEPT_OUTPUT_CHARS: usize = 2000;

/// A runbook that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    /// The file could not be read.
    #[error("{path}: cannot read the runbook: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A malformed annotation or block.
    #[error("{path}:{}: {}", .error.line, .error.message)]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where and what.
        error: ParseError,
    },
}

/// How to run a runbook.
#[derive(Clone, Debug, Default)]
pub struct RunbookOptions {
    /// Values to hide in every output (the drill's resolved secrets).
    pub secrets: Vec<Secret>,
    /// Extra environment for every step.
    pub env: Vec<(String, String)>,
}

/// Read and parse a runbook.
pub fn load(path: &Path) -> Result<Vec<Step>, RunbookError> {
    let text = std::fs::read_to_string(path).map_err(|source| RunbookError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_runbook(&text).map_err(|error| RunbookError::Parse {
        path: path.to_path_buf(),
        error,
    })
}

/// What a dry run reports: the steps, none run.
pub fn dry_run(path: &Path) -> Result<OpsOutcome, RunbookError> {
    let steps = load(path)?;
    let ops = steps
        .iter()
        .map(|s| OpsStep {
            name: s.name.clone(),
            start_ms: 0,
            end_ms: 0,
            outcome: OpsStepOutcome::Skipped,
            reason: Some(describe(s)),
            output: s.script.trim_end().to_string(),
        })
        .collect();
    Ok(OpsOutcome {
        kind: "runbook".into(),
        verdict: crate::core::verdict::Verdict::Skipped,
        summary: format!(
            "{}: {} step(s) would run (dry run)",
            path.display(),
            steps.len()
        ),
        steps: ops,
        findings: Vec::new(),
        measurements: Vec::new(),
    })
}

/// What a step checks, in words: `line 12, sh, timeout 30s, expects ...`.
pub fn describe(s: &Step) -> String {
    let mut d = format!(
        "line {}, {}, timeout {}, exit {}",
        s.line,
        s.shell,
        crate::core::format::duration_text(s.timeout),
        s.exit
    );
    if let Some(e) = &s.expect {
        d.push_str(", expects ");
        d.push_str(&e.describe());
    }
    d
}

/// Run a runbook's steps in order, in its folder. When `cancel` completes
/// (the operator's abort, a signal) the running step is killed with its
/// process group and the rest are not run.
pub async fn run(
    path: &Path,
    opts: &RunbookOptions,
    cancel: impl std::future::Future<Output = String>,
) -> Result<OpsOutcome, RunbookError> {
    let mut cancel = std::pin::pin!(cancel);
    let steps = load(path)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let started = Instant::now();
    let mut results: Vec<OpsStep> = Vec::new();
    let mut measurements = Vec::new();
    let mut failed: Option<String> = None;
    for step in &steps {
        if let Some(first) = &failed {
            results.push(OpsStep {
                name: step.name.clone(),
                start_ms: ms(started),
                end_ms: ms(started),
                outcome: OpsStepOutcome::Skipped,
                reason: Some(format!("not run: step \"{first}\" failed")),
                output: String::new(),
            });
            continue;
        }
        let start_ms = ms(started);
        let result = tokio::select! {
            r = run_step(step, dir, opts, started) => r,
            why = &mut cancel => OpsStep {
                name: step.name.clone(),
                start_ms,
                end_ms: ms(started),
                outcome: OpsStepOutcome::Error,
                reason: Some(format!("{why}: killed with its process group")),
                output: String::new(),
            },
        };
        measurements.push(OpsMeasurement {
            name: format!("step_time_s.{}", step.name),
            value: Some(result.duration_s()),
            bound: None,
        });
        if result.outcome != OpsStepOutcome::Pass {
            failed = Some(step.name.clone());
        }
        results.push(result);
    }
    measurements.push(OpsMeasurement {
        name: "runbook_time_s".into(),
        value: Some(started.elapsed().as_secs_f64()),
        bound: None,
    });
    let verdict = OpsOutcome::verdict_of(&results);
    let summary = match (&failed, steps.len()) {
        (_, 0) => format!("{}: no marked steps: nothing to check", path.display()),
        (Some(name), _) => {
            let why = results
                .iter()
                .find(|r| &r.name == name)
                .and_then(|r| r.reason.clone())
                .unwrap_or_default();
            format!(
                "{}: step \"{name}\" failed: {why}; the runbook no longer matches reality",
                path.display()
            )
        }
        (None, n) => format!(
            "{}: {n} step(s) passed in {:.1}s",
            path.display(),
            started.elapsed().as_secs_f64()
        ),
    };
    Ok(OpsOutcome {
        kind: "runbook".into(),
        verdict,
        summary,
        steps: results,
        findings: Vec::new(),
        measurements,
    })
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

async fn run_step(step: &Step, dir: &Path, opts: &RunbookOptions, t0: Instant) -> OpsStep {
    let start_ms = ms(t0);
    let argv = vec![step.shell.to_string(), "-c".into(), step.script.clone()];
    let e = exec::run(&argv, Some(dir), &opts.env, step.timeout).await;
    let output = redact::redact(&e.output, &opts.secrets);
    let (outcome, reason) = judge(step, &e, &output);
    OpsStep {
        name: step.name.clone(),
        start_ms,
        end_ms: ms(t0),
        outcome,
        reason,
        output: exec::trim_output(&output, KEPT_OUTPUT_CHARS),
    }
}

/// Whether a step's run matches what the runbook says it should print.
fn judge(step: &Step, e: &exec::Execution, output: &str) -> (OpsStepOutcome, Option<String>) {
    use exec::Ended;
    match &e.ended {
        Ended::NotStarted(why) => (OpsStepOutcome::Fail, Some(why.clone())),
        Ended::TimedOut => (
            OpsStepOutcome::TimedOut,
            Some(format!(
                "killed after its timeout of {}",
                crate::core::format::duration_text(step.timeout)
            )),
        ),
        Ended::Signalled => (OpsStepOutcome::Fail, Some("killed by a signal".into())),
        // The shell's "not found" (127) or "not executable" (126): the
        // command the runbook names no longer exists here.
        Ended::Exited(c @ (126 | 127)) if step.exit != *c => {
            let line = output
                .lines()
                .find(|l| l.contains("not found") || l.contains("ermission denied"))
                .unwrap_or("")
                .trim();
            (
                OpsStepOutcome::Fail,
                Some(format!(
                    "a command no longer exists or cannot run (exit {c}): {line}"
                )),
            )
        }
        Ended::Exited(c) if *c != step.exit => (
            OpsStepOutcome::Fail,
            Some(format!("exit code {c}, expected {}", step.exit)),
        ),
        Ended::Exited(_) => match &step.expect {
            Some(x) if !x.holds(output) => (
                OpsStepOutcome::Fail,
                Some(format!(
                    "output changed: expected {}, got \"{}\"",
                    x.describe(),
                    first_line(output)
                )),
            ),
            _ => (OpsStepOutcome::Pass, None),
        },
    }
}

fn first_line(s: &str) -> String {
    let l = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    exec::trim_output(l, 80)
}
