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
    if !a.live {
        return Ok(render(
            &alerts::run(&spec, None, std::future::pending()).await,
            a.output,
        ));
    }
    // The embedded demo is the default target; it lives as long as the drill.
    let mut demo = None;
    let live = live_spec(a, &spec, &mut demo).await?;
    live.validate()
        .map_err(|e| Failure::usage(prefix_errors(&e)))?;
    let outcome = alerts::run(&spec, Some(&live), interrupted()).await;
    drop(demo);
    Ok(render(&outcome, a.output))
}

async fn live_spec(
    a: &AlertsArgs,
    spec: &alerts::OfflineSpec,
    demo: &mut Option<crate::demo::DemoTargets>,
) -> Result<alerts::LiveSpec, Failure> {
    if a.rules.is_empty() {
        return Err(Failure::usage(
            "error: --live needs --rules FILE (the rules Prometheus evaluates)",
        ));
    }
    let alert = a.alert.clone().unwrap_or_default();
    let defined: Vec<String> = a
        .rules
        .iter()
        .filter_map(|r| std::fs::read_to_string(r).ok())
        .flat_map(|t| alerts::promtool::rule_groups(&t))
        .map(|(_, name)| name)
        .collect();
    if !defined.contains(&alert) {
        return Err(Failure::usage(format!(
            "error: --alert {alert}: no such alert in the --rules files (defined: {})",
            if defined.is_empty() {
                "none".to_string()
            } else {
                defined.join(", ")
            }
        )));
    }
    let am = spec.alertmanager_config.clone().unwrap_or_default();
    let config = std::fs::read_to_string(&am)
        .map_err(|e| Failure::usage(format!("error: {}: cannot read: {e}", am.display())))?;
    let (target_url, fault_url, traffic_url) = match &a.target {
        Some(t) => (
            t.clone(),
            a.fault_url.clone().unwrap_or_default(),
            a.traffic_url.clone(),
        ),
        None => {
            let d = crate::demo::DemoTargets::start(crate::demo::Scenario::Healthy, None)
                .await
                .map_err(|e| Failure {
                    code: super::EXIT_INTERNAL,
                    message: format!("error: cannot start the demo target: {e:#}"),
                })?;
            let c = d.canary_url();
            let urls = (
                format!("{c}/metrics"),
                a.fault_url.clone().unwrap_or(format!("{c}/admin/fault")),
                Some(a.traffic_url.clone().unwrap_or(format!("{c}/api/cart"))),
            );
            *demo = Some(d);
            urls
        }
    };
    let parsed = reqwest::Url::parse(&target_url)
        .map_err(|e| Failure::usage(format!("error: --target {target_url}: {e}")))?;
    let host = parsed.host_str().unwrap_or("");
    let port = parsed.port_or_known_default().unwrap_or(80);
    Ok(alerts::LiveSpec {
        rules: a.rules.clone(),
        alertmanager_config: config,
        alert,
        expect_receiver: a.expect_receiver.clone(),
        scrape_target: format!("{host}:{port}"),
        metrics_path: parsed.path().to_string(),
        fault_url,
        traffic_url,
        fire_within: a.fire_within,
        resolve_within: a.resolve_within,
    })
}

async fn run_runbook(a: &RunbookArgs) -> Result<(String, i32), Failure> {
    let mut opts = runbook::RunbookOptions::default();
    for name in &a.secret_env {
        match std::env::var(name) {
            Ok(v) => opts.secrets.push(crate::secrets::Secret::new(v)),
            Err(_) => {
                return Err(Failure::usage(format!(
                    "error: --secret-env {name}: the variable is not set"
                )));
            }
        }
    }
    let result = if a.dry_run {
        runbook::dry_run(&a.file)
    } else {
        runbook::run(&a.file, &opts, interrupted()).await
    };
    let outcome = result.map_err(|e| Failure::usage(format!("error: {e}")))?;
    Ok(render(&outcome, a.output))
}

/// Completes on SIGINT or SIGTERM with the reason: the drill stops, clears
/// its fault and stops what it started before the process exits.
async fn interrupted() -> String {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "aborted: SIGINT".into(),
        _ = term.recv() => "aborted: SIGTERM".into(),
    }
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
