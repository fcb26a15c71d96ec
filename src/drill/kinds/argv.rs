//! A kind's own command (backup, restore, kill, restart): argv in its own
//! process group through [`crate::drill::process`], as a step's outcome,
//! detail and output.

use std::time::Duration;

use crate::core::drill::StepOutcome;
use crate::drill::process::Ran;
use crate::drill::runner::Runner;

/// Run a command: the step's outcome, detail and output.
pub async fn command(
    run: &Runner<'_>,
    argv: &[String],
    timeout: Duration,
) -> (StepOutcome, String, String) {
    let what = argv.first().cloned().unwrap_or_default();
    let (ran, _) = crate::drill::process::run(argv, false, &[], timeout, &run.cx.cancel).await;
    match ran {
        Ran::Exited {
            code: 0, stdout, ..
        } => (StepOutcome::Ok, format!("{what} exited 0"), stdout),
        Ran::Exited {
            code,
            stdout,
            stderr,
        } => (
            StepOutcome::Failed,
            format!("{what} exited {code}"),
            format!("{stdout}{stderr}"),
        ),
        Ran::TimedOut { output } => (
            StepOutcome::TimedOut,
            format!("{what} killed at its timeout"),
            output,
        ),
        Ran::Cancelled => (
            StepOutcome::Skipped,
            "cut short: the drill was stopped".into(),
            String::new(),
        ),
        Ran::NotStarted(e) => (StepOutcome::Error, e, String::new()),
    }
}
