//! `flightdeck drill alerts` and `flightdeck drill runbook`: the alerting
//! and runbook drills without a run, as text or one JSON document. Exit 0
//! pass, 1 fail, 2 usage (bad option, missing file, malformed runbook), 3
//! inconclusive (a tool missing, nothing could be checked).

use std::fmt::Write as _;

use super::Failure;
use crate::core::drill_ops::{OpsOutcome, OpsStepOutcome};
use crate::core::verdict::Verdict;
use crate::drill::ops_args::{AlertsArgs, DrillOpsCommand, RunbookArgs};
use crate::drill::{alerts, runbook};
use crate::output::OutputFormat;

/// Run one of the commands: its output and exit code.
pub async fn run(cmd: DrillOpsCommand) -> Result<(String, i32), Failure> {
    match cmd {
        DrillOpsCommand::Alerts(a) => run_alerts(&a).await,
        DrillOpsCommand::Runbook(a) => run_runbook(&a).await,
    }
}

async fn run_alerts(a: &AlertsArgs) -> Result<(String, i32), Failure> {
    let routes = a
        .expect_route
        .iter()
        .map(|s| alerts::ExpectRoute::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::usage(format!("error: {e}")))?;
    let spec = alerts::OfflineSpec {
        rules: a.rules.clone(),
        tests: a.tests.clone(),
        alertmanager_config: a.alertmanager_config.clone(),
        routes,
    };
    spec.validate()
        .map_err(|e| Failure::usage(prefix_errors(&e)))?;
    let outcome = alerts::run_offline(&spec).await;
    Ok(render(&outcome, a.output))
}

async fn run_runbook(a: &RunbookArgs) -> Result<(String, i32), Failure> {
    let result = if a.dry_run {
        runbook::dry_run(&a.file)
    } else {
        runbook::run(&a.file, &runbook::RunbookOptions::default()).await
    };
    let outcome = result.map_err(|e| Failure::usage(format!("error: {e}")))?;
    Ok(render(&outcome, a.output))
}

fn prefix_errors(text: &str) -> String {
    text.lines()
        .map(|l| format!("error: {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The exit code of an outcome: 0 pass (and a dry run), 1 fail, 3 inconclusive.
pub fn exit_code(o: &OpsOutcome) -> i32 {
    match o.verdict {
        Verdict::Pass | Verdict::Warn | Verdict::Skipped => 0,
        Verdict::Fail => 1,
        Verdict::Inconclusive => 3,
    }
}

/// The outcome as text or JSON, with its exit code.
pub fn render(o: &OpsOutcome, format: OutputFormat) -> (String, i32) {
    let code = exit_code(o);
    if format == OutputFormat::Json {
        let text =
            serde_json::to_string_pretty(o).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        return (format!("{text}\n"), code);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", o.verdict.badge(), o.summary);
    let width = o
        .steps
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for s in &o.steps {
        let time = if s.outcome == OpsStepOutcome::Skipped {
            String::new()
        } else {
            format!("{:>6.2}s", s.duration_s())
        };
        let _ = write!(out, "  {:<7} {:<width$} {time}", s.outcome.badge(), s.name);
        if let Some(r) = &s.reason {
            let _ = write!(out, "  {r}");
        }
        out.push('\n');
        let show_output = matches!(s.outcome, OpsStepOutcome::Fail | OpsStepOutcome::TimedOut)
            && !s.output.trim().is_empty()
            && o.findings.is_empty();
        if show_output {
            for l in s.output.lines().take(12) {
                let _ = writeln!(out, "          | {l}");
            }
        }
    }
    if !o.findings.is_empty() {
        let _ = writeln!(out, "findings:");
        for f in &o.findings {
            let place = match (&f.group, &f.subject) {
                (Some(g), Some(s)) => format!("group {g}, {s}: "),
                (None, Some(s)) => format!("{s}: "),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {} {}: {place}{}", f.tool, f.file, f.message);
            if let Some(e) = &f.expected {
                let _ = writeln!(out, "      expected: {e}");
            }
            if let Some(g) = &f.got {
                let _ = writeln!(out, "      got:      {g}");
            }
        }
    }
    let shown: Vec<_> = o
        .measurements
        .iter()
        .filter(|m| !m.name.starts_with("step_time_s."))
        .collect();
    if !shown.is_empty() {
        let _ = writeln!(out, "measurements:");
        for m in shown {
            let v = m
                .value
                .map(|v| format!("{v:.2}"))
                .unwrap_or_else(|| "never reached".into());
            let bound = m
                .bound
                .as_deref()
                .map(|b| format!("  (objective {b})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {:<26} {v}{bound}", m.name);
        }
    }
    (out, code)
}
