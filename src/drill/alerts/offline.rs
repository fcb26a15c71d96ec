//! The offline alerting drill: `promtool check rules` and `promtool test
//! rules` over the rule and test files, `amtool check-config` and `amtool
//! config routes test` for each expected route. Each invocation is a step;
//! what the tools print becomes findings.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::promtool;
use super::routes::{self, ExpectRoute};
use super::tools::Tool;
use crate::core::drill_ops::{OpsFinding, OpsStep, OpsStepOutcome};
use crate::drill::runbook::exec::{self, Ended};

/// Longest a tool invocation may take.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// Characters of a tool's output kept in its step.
const KEPT: usize = 2000;

/// What to check offline.
#[derive(Clone, Debug, Default)]
pub struct OfflineSpec {
    /// Rule files (`promtool check rules`).
    pub rules: Vec<PathBuf>,
    /// promtool unit test files (`promtool test rules`, run from their folder).
    pub tests: Vec<PathBuf>,
    /// Alertmanager config (`amtool check-config`).
    pub alertmanager_config: Option<PathBuf>,
    /// Routes that must reach their receivers (`amtool config routes test`).
    pub routes: Vec<ExpectRoute>,
}

impl OfflineSpec {
    /// Every named file must exist: a missing one is a usage error, named
    /// with the option that gave it.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for (opt, files) in [("--rules", &self.rules), ("--tests", &self.tests)] {
            for f in files {
                if !f.is_file() {
                    problems.push(format!("{opt} {}: no such file", f.display()));
                }
            }
        }
        if let Some(f) = &self.alertmanager_config
            && !f.is_file()
        {
            problems.push(format!(
                "--alertmanager-config {}: no such file",
                f.display()
            ));
        }
        if !self.routes.is_empty() && self.alertmanager_config.is_none() {
            problems.push("--expect-route needs --alertmanager-config FILE".into());
        }
        if self.rules.is_empty() && self.tests.is_empty() && self.alertmanager_config.is_none() {
            problems
                .push("nothing to check: give --rules, --tests or --alertmanager-config".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

/// The steps and findings of the offline checks, timed from `t0`.
pub async fn run(spec: &OfflineSpec, t0: Instant) -> (Vec<OpsStep>, Vec<OpsFinding>) {
    let mut steps = Vec::new();
    let mut findings = Vec::new();
    for f in &spec.rules {
        let shown = f.display().to_string();
        let argv = args(&["check", "rules"], f);
        let (step, out) = tool_step(
            Tool::Promtool,
            format!("promtool check rules {shown}"),
            argv,
            None,
            t0,
        )
        .await;
        if step.outcome == OpsStepOutcome::Fail {
            findings.extend(promtool::check_findings(&shown, &out));
        }
        steps.push(step);
    }
    for t in &spec.tests {
        let shown = t.display().to_string();
        let dir = t
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = t
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| t.clone());
        let argv = args(&["test", "rules"], &name);
        let (step, out) = tool_step(
            Tool::Promtool,
            format!("promtool test rules {shown}"),
            argv,
            Some(dir),
            t0,
        )
        .await;
        if step.outcome == OpsStepOutcome::Fail {
            findings.extend(promtool::test_findings(&shown, &out, &groups_for_test(t)));
        }
        steps.push(step);
    }
    if let Some(am) = &spec.alertmanager_config {
        let shown = am.display().to_string();
        let (step, out) = tool_step(
            Tool::Amtool,
            format!("amtool check-config {shown}"),
            args(&["check-config"], am),
            None,
            t0,
        )
        .await;
        if step.outcome == OpsStepOutcome::Fail {
            findings.extend(routes::check_config_findings(&shown, &out));
        }
        steps.push(step);
        for r in &spec.routes {
            let mut argv = vec![
                "config".to_string(),
                "routes".into(),
                "test".into(),
                format!("--config.file={}", am.display()),
                format!("--verify.receivers={}", r.receiver),
            ];
            argv.extend(r.label_args());
            let (mut step, out) =
                tool_step(Tool::Amtool, format!("route {r}"), argv, None, t0).await;
            if step.outcome == OpsStepOutcome::Fail {
                let got = routes::resolved_receivers(&out);
                let f = routes::misroute_finding(&shown, r, &got);
                step.reason = Some(f.message.clone());
                findings.push(f);
            }
            steps.push(step);
        }
    }
    (steps, findings)
}

fn args(head: &[&str], file: &Path) -> Vec<String> {
    let mut v: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    v.push(file.display().to_string());
    v
}

/// The `(group, alert)` pairs of the rule files a test file loads.
fn groups_for_test(test: &Path) -> Vec<(String, String)> {
    let dir = test.parent().unwrap_or(Path::new("."));
    let Ok(text) = std::fs::read_to_string(test) else {
        return Vec::new();
    };
    promtool::test_rule_files(&text)
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .flat_map(|t| promtool::rule_groups(&t))
        .collect()
}

/// Run one tool invocation as a step; also returns its whole output.
async fn tool_step(
    tool: Tool,
    name: String,
    args: Vec<String>,
    cwd: Option<&Path>,
    t0: Instant,
) -> (OpsStep, String) {
    let start_ms = t0.elapsed().as_millis() as u64;
    let bin = match tool.find() {
        Ok(b) => b,
        Err(why) => {
            let step = OpsStep {
                name,
                start_ms,
                end_ms: start_ms,
                outcome: OpsStepOutcome::Error,
                reason: Some(why),
                output: String::new(),
            };
            return (step, String::new());
        }
    };
    let mut argv = vec![bin.display().to_string()];
    argv.extend(args);
    let e = exec::run(&argv, cwd, &[], TOOL_TIMEOUT).await;
    let (outcome, reason) = match &e.ended {
        Ended::Exited(0) => (OpsStepOutcome::Pass, None),
        Ended::Exited(c) => (
            OpsStepOutcome::Fail,
            Some(format!(
                "{} exited {c}: {}",
                tool.name(),
                first_problem(&e.output)
            )),
        ),
        Ended::TimedOut => (
            OpsStepOutcome::TimedOut,
            Some(format!(
                "{} did not finish within {}s",
                tool.name(),
                TOOL_TIMEOUT.as_secs()
            )),
        ),
        Ended::Signalled => (
            OpsStepOutcome::Error,
            Some(format!("{} was killed by a signal", tool.name())),
        ),
        Ended::NotStarted(why) => (OpsStepOutcome::Error, Some(why.clone())),
    };
    let step = OpsStep {
        name,
        start_ms,
        end_ms: t0.elapsed().as_millis() as u64,
        outcome,
        reason,
        output: exec::trim_output(&e.output, KEPT),
    };
    (step, e.output)
}

/// The first line of a tool's output that says what is wrong.
fn first_problem(output: &str) -> String {
    let line = output
        .lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty()
                && !l.starts_with("Checking ")
                && !l.starts_with("Unit Testing:")
                && *l != "FAILED:"
                && !l.to_lowercase().starts_with("warning")
        })
        .unwrap_or("see its output");
    exec::trim_output(line, 160)
}
