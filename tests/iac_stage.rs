//! The IaC stage with the `command` provisioner and with saved plan JSON,
//! through real processes: argv without a shell, timeouts, and a stand-in
//! `terraform` script that stops an apply half-way.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use flightdeck::core::verdict::Verdict;
use flightdeck::iac::IacError;
use flightdeck::iac::config::{ApplyMode, CommandConfig, IacConfig, ProvisionerKind};
use flightdeck::iac::provisioner::Terraform;
use flightdeck::iac::stage::run_stage;
use flightdeck::record::recorder::Recorder;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iac")
        .join(name)
}

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn command_cfg(plan: Vec<String>) -> IacConfig {
    IacConfig {
        provisioner: ProvisionerKind::Command,
        command: CommandConfig {
            plan,
            timeout_s: 10,
            ..CommandConfig::default()
        },
        ..IacConfig::default()
    }
}

#[tokio::test]
async fn command_plan_json_is_judged_and_risky_replaces_warn() {
    let cfg = command_cfg(argv(&["cat", fixture("plan-1.2.json").to_str().unwrap()]));
    let out = run_stage(&cfg, "env", &Recorder::new(None)).await;
    assert_eq!(out.plan.as_ref().unwrap().counts.replace, 2);
    assert_eq!(out.verdict, Verdict::Warn, "{:?}", out.evidence);
    assert!(
        out.evidence
            .iter()
            .any(|e| e.label == "plan risk" && e.value.contains("aws_db_instance.main"))
    );
    assert!(
        out.evidence
            .iter()
            .any(|e| e.label == "drift" && e.verdict == Verdict::Skipped)
    );
    assert!(out.summary.contains("1 to create"), "{}", out.summary);
}

#[tokio::test]
async fn command_errored_plan_fails_and_no_shell_is_used() {
    let cfg = command_cfg(argv(&[
        "cat",
        fixture("plan-errored.json").to_str().unwrap(),
    ]));
    let out = run_stage(&cfg, "env", &Recorder::new(None)).await;
    assert_eq!(out.verdict, Verdict::Fail);
    // Without shell = true, `;` is an argument, not a command separator.
    let cfg = command_cfg(argv(&["echo", "{}", ";", "false"]));
    let out = run_stage(&cfg, "env", &Recorder::new(None)).await;
    assert_eq!(out.verdict, Verdict::Fail);
    assert!(
        out.evidence[0]
            .value
            .contains("command.plan output: invalid JSON"),
        "{:?}",
        out.evidence
    );
}

#[tokio::test]
async fn a_slow_command_times_out_inconclusive() {
    let mut cfg = command_cfg(argv(&["sleep", "30"]));
    cfg.command.timeout_s = 1;
    let started = std::time::Instant::now();
    let out = run_stage(&cfg, "env", &Recorder::new(None)).await;
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(out.verdict, Verdict::Inconclusive);
    assert!(
        out.evidence[0].value.contains("did not finish within 1 s"),
        "{:?}",
        out.evidence
    );
}

#[tokio::test]
async fn shell_is_used_only_when_asked() {
    let mut cfg = command_cfg(argv(&[&format!(
        "cat {} | cat",
        fixture("plan-0.2.json").display()
    )]));
    cfg.command.shell = true;
    let out = run_stage(&cfg, "env", &Recorder::new(None)).await;
    assert_eq!(
        out.plan.as_ref().map(|p| p.format_version.as_str()),
        Some("0.2"),
        "{:?}",
        out.evidence
    );
}

#[tokio::test]
async fn saved_plan_json_without_provisioner() {
    let cfg = IacConfig {
        plan_json: Some(fixture("plan-sensitive.json")),
        ..IacConfig::default()
    };
    let out = run_stage(&cfg, "env", &Recorder::new(None)).await;
    assert_eq!(out.verdict, Verdict::Pass, "{:?}", out.evidence);
    assert!(!serde_json::to_string(&out).unwrap().contains("S3cr3t"));
    let out = run_stage(&IacConfig::default(), "env", &Recorder::new(None)).await;
    assert_eq!(out.verdict, Verdict::Skipped);
}

#[tokio::test]
async fn config_problems_are_inconclusive_not_pass() {
    let cfg = IacConfig {
        provisioner: ProvisionerKind::Command,
        ..IacConfig::default()
    };
    let out = run_stage(&cfg, "env", &Recorder::new(None)).await;
    assert_eq!(out.verdict, Verdict::Inconclusive);
    assert_eq!(out.evidence[0].label, "iac.command.plan");
}

/// A stand-in for `terraform apply -json` that completes one change and fails the next.
const HALF_APPLY: &str = r#"#!/bin/sh
echo '{"@level":"info","@message":"aws_instance.a: Creation complete","type":"apply_complete","hook":{"resource":{"addr":"aws_instance.a"},"action":"create"}}'
echo '{"@level":"error","@message":"aws_instance.b: Creation errored","type":"apply_errored","hook":{"resource":{"addr":"aws_instance.b"},"action":"create"}}'
echo '{"@level":"error","@message":"Error: quota exceeded","type":"diagnostic","diagnostic":{"severity":"error","summary":"quota exceeded","detail":"vCPU limit"}}'
exit 1
"#;

#[tokio::test]
async fn a_half_finished_apply_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("terraform");
    std::fs::write(&bin, HALF_APPLY).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = IacConfig {
        provisioner: ProvisionerKind::Terraform,
        binary: Some(bin.display().to_string()),
        working_dir: dir.path().to_path_buf(),
        apply: Some(ApplyMode::Auto),
        ..IacConfig::default()
    };
    let lines = std::sync::Mutex::new(Vec::new());
    let sink = |l: flightdeck::iac::process::OutputLine| lines.lock().unwrap().push(l.text);
    let e = Terraform::from_config(&cfg)
        .apply(2, &sink)
        .await
        .unwrap_err();
    match &e {
        IacError::ApplyIncomplete {
            completed,
            errored,
            planned,
            ..
        } => {
            assert_eq!(
                (completed.as_slice(), errored.as_slice(), *planned),
                (
                    &["aws_instance.a".to_string()][..],
                    &["aws_instance.b".to_string()][..],
                    2
                )
            );
        }
        other => panic!("expected ApplyIncomplete, got {other}"),
    }
    let m = e.to_string();
    assert!(
        m.contains("half-finished") && m.contains("1 of 2") && m.contains("quota exceeded"),
        "{m}"
    );
    let lines = lines.into_inner().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l == "aws_instance.a: Creation complete"),
        "rendered, not raw JSON: {lines:?}"
    );
    assert!(lines.iter().all(|l| !l.starts_with('{')));
}

#[test]
fn the_stage_future_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let cfg = IacConfig::default();
    let rec = Recorder::new(None);
    let fut = run_stage(&cfg, "env", &rec);
    assert_send(&fut);
}
