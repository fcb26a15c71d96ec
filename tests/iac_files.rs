//! The IaC faces and parsers on the plan, state and var files under
//! tests/fixtures/iac (written for this project in the shapes Terraform
//! 1.0.3 and current Terraform print).

use std::path::{Path, PathBuf};

use flightdeck::iac::face::{
    DriftArgs, OutputFormat, ParityArgs, PlanArgs, run_drift, run_parity, run_plan,
};
use flightdeck::iac::plan::{self, ChangeAction, RiskLevel};
use flightdeck::iac::{IacError, drift, parity, vars};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iac")
        .join(name)
}

fn plan_args(name: &str, output: OutputFormat) -> PlanArgs {
    PlanArgs {
        file: fixture(name),
        output,
    }
}

#[test]
fn both_format_versions_give_the_same_counts_reasons_and_risks() {
    for (name, version, replaces) in [("plan-0.2.json", "0.2", 1), ("plan-1.2.json", "1.2", 2)] {
        let s = plan::read(&fixture(name)).unwrap();
        assert_eq!(s.format_version, version);
        let c = &s.counts;
        assert_eq!(
            (c.create, c.update, c.delete, c.replace, c.no_op, c.read),
            (1, 1, 1, replaces, 1, 1),
            "{name}"
        );
        let db = s
            .changes
            .iter()
            .find(|c| c.address == "aws_db_instance.main")
            .unwrap();
        assert_eq!(db.action, ChangeAction::Replace);
        assert_eq!(
            db.action_reason.as_deref(),
            Some("replace_because_cannot_update")
        );
        assert_eq!(db.replace_paths, vec!["engine_version"]);
        assert!(
            db.attributes
                .iter()
                .any(|a| a.path == "engine_version" && a.after.as_deref() == Some("\"15.4\""))
        );
        assert!(
            db.attributes
                .iter()
                .any(|a| a.path == "id" && a.after.as_deref() == Some("(known after apply)"))
        );
        let sg = s
            .changes
            .iter()
            .find(|c| c.address == "aws_security_group.app")
            .unwrap();
        assert_eq!(sg.attributes[0].path, "ingress[0].cidr_blocks[0]");
        let high: Vec<&str> = s
            .risks
            .iter()
            .filter(|r| r.level == RiskLevel::High)
            .map(|r| r.address.as_str())
            .collect();
        assert!(
            high.contains(&"aws_db_instance.main") && high.contains(&"aws_s3_bucket.old_logs"),
            "{high:?}"
        );
        assert!(
            s.risks
                .iter()
                .any(|r| r.address == "aws_security_group.app" && r.message.contains("access"))
        );
        assert!(s.failure().is_none());
    }
    let s12 = plan::read(&fixture("plan-1.2.json")).unwrap();
    let lb = s12
        .changes
        .iter()
        .find(|c| c.address == "aws_lb.front")
        .unwrap();
    assert!(lb.create_before_destroy);
    assert_eq!(lb.action_reason.as_deref(), Some("replace_because_tainted"));
    assert_eq!((s12.applyable, s12.complete), (Some(true), Some(true)));
}

#[test]
fn plan_face_prints_summary_and_risk_in_text_and_json() {
    let (text, code) = run_plan(&plan_args("plan-0.2.json", OutputFormat::Text)).unwrap();
    assert_eq!(code, 0);
    assert!(
        text.contains("1 to create, 1 to update, 1 to delete, 1 to replace (1 unchanged, 1 read)"),
        "{text}"
    );
    assert!(
        text.contains(
            "-/+ aws_db_instance.main (replace_because_cannot_update; forced by engine_version)"
        ),
        "{text}"
    );
    assert!(text.contains("HIGH"), "{text}");
    let (json, _) = run_plan(&plan_args("plan-1.2.json", OutputFormat::Json)).unwrap();
    let back: plan::PlanSummary = serde_json::from_str(&json).unwrap();
    assert_eq!(back.counts.replace, 2);
}

#[test]
fn sensitive_values_never_appear_in_any_output() {
    const SECRET: &str = "S3cr3t-Hunter2";
    let raw = std::fs::read_to_string(fixture("plan-sensitive.json")).unwrap();
    assert!(
        raw.contains(SECRET),
        "the fixture must hold the secret for this test to mean anything"
    );
    let s = plan::read(&fixture("plan-sensitive.json")).unwrap();
    for out in [
        serde_json::to_string(&s).unwrap(),
        format!("{s:?}"),
        s.to_text(),
        run_plan(&plan_args("plan-sensitive.json", OutputFormat::Json))
            .unwrap()
            .0,
        run_plan(&plan_args("plan-sensitive.json", OutputFormat::Text))
            .unwrap()
            .0,
    ] {
        assert!(!out.contains(SECRET), "secret leaked: {out}");
        assert!(out.contains("(sensitive value)"), "{out}");
    }
    let db = &s.changes[0];
    assert!(
        db.attributes.iter().any(|a| a.path == "username"),
        "non-sensitive changes still listed"
    );
    assert!(
        db.attributes.iter().any(|a| a.path == "password"),
        "sensitive changes are listed, masked"
    );
    assert!(s.outputs[0].sensitive);
    // Parity over the same plan masks too.
    let snap = parity::read(&fixture("plan-sensitive.json")).unwrap();
    assert!(!format!("{snap:?}").contains(SECRET));
}

#[test]
fn errored_plan_fails_with_exit_1() {
    let s = plan::read(&fixture("plan-errored.json")).unwrap();
    assert!(s.errored);
    assert!(s.failure().unwrap().contains("errored"));
    let (text, code) = run_plan(&plan_args("plan-errored.json", OutputFormat::Text)).unwrap();
    assert_eq!(code, 1);
    assert!(text.contains("FAIL"), "{text}");
}

#[test]
fn truncated_non_json_and_unknown_versions_are_clear_errors() {
    let e = plan::read(&fixture("truncated.json")).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, IacError::Json { .. }), "{m}");
    assert!(
        m.contains("truncated.json") && m.contains("truncated JSON") && m.contains("line "),
        "{m}"
    );

    let e = run_plan(&plan_args("unknown-format.json", OutputFormat::Text)).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("unknown-format.json")
            && m.contains("\"9.0\"")
            && m.contains("unsupported format_version"),
        "{m}"
    );

    let e = plan::read(&fixture("preprod.tfvars")).unwrap_err();
    assert!(
        e.to_string().contains("preprod.tfvars") && e.to_string().contains("invalid JSON"),
        "{e}"
    );

    let e = plan::read(&fixture("no-such-file.json")).unwrap_err();
    assert!(
        e.to_string().contains("no-such-file.json: cannot read"),
        "{e}"
    );
}

#[test]
fn drift_from_resource_drift_not_exit_codes() {
    let d = drift::read(&fixture("refresh-only.json")).unwrap();
    assert_eq!(d.drifted.len(), 2);
    let web = &d.drifted[0];
    assert_eq!(web.address, "aws_instance.web[0]");
    let paths: Vec<&str> = web.attributes.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(paths, vec!["instance_type", "tags.ManualFix"]);
    assert_eq!(d.drifted[1].action, ChangeAction::Delete);
    let (text, code) = run_drift(&DriftArgs {
        file: fixture("refresh-only.json"),
        output: OutputFormat::Text,
    })
    .unwrap();
    assert_eq!(code, 1);
    assert!(text.contains("deleted outside Terraform"), "{text}");
    let (_, code) = run_drift(&DriftArgs {
        file: fixture("plan-1.2.json"),
        output: OutputFormat::Json,
    })
    .unwrap();
    assert_eq!(code, 0, "empty resource_drift is no drift");
}

fn parity_args() -> ParityArgs {
    ParityArgs {
        preprod: fixture("parity-preprod-plan.json"),
        prod: fixture("parity-prod-state.json"),
        ignore: vec!["aws_instance.*:instance_type".into()],
        strip: vec![r"^module\.(preprod|prod)\.".into()],
        strip_index: false,
        preprod_vars: Some(fixture("preprod.tfvars")),
        prod_vars: Some(fixture("prod.tfvars.json")),
        min_score: 100.0,
        output: OutputFormat::Json,
    }
}

#[test]
fn parity_has_one_intended_and_one_unintended_difference() {
    let (json, code) = run_parity(&parity_args()).unwrap();
    assert_eq!(code, 1, "below --min-score 100");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let r: parity::ParityReport = serde_json::from_value(v["resources"].clone()).unwrap();
    assert_eq!(r.resources_matched, 2);
    let intended: Vec<_> = r.differences.iter().filter(|d| d.intended).collect();
    let unintended: Vec<_> = r.unintended().collect();
    assert_eq!(intended.len(), 1);
    assert_eq!(
        (intended[0].address.as_str(), intended[0].attribute.as_str()),
        ("aws_instance.web", "instance_type")
    );
    assert_eq!(unintended.len(), 1);
    assert_eq!(
        (
            unintended[0].address.as_str(),
            unintended[0].attribute.as_str()
        ),
        ("aws_db_instance.main", "multi_az")
    );
    // ami, monitoring, tags.Service, engine, engine_version, instance_class, multi_az
    assert_eq!((r.matching, r.comparable), (6, 7));
    assert_eq!(r.score, Some(85.7));
    assert!(
        !json.contains("pw-XYZ") && !json.contains("pw-ABC"),
        "secrets leaked: {json}"
    );
    // var files: instance_type and replicas differ, db_password too (masked)
    let vr: vars::VarParityReport = serde_json::from_value(v["var_files"].clone()).unwrap();
    let keys: Vec<&str> = vr.differences.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, vec!["db_password", "instance_type", "replicas"]);
    assert_eq!(vr.matching, 2);
}

#[test]
fn parity_without_stripping_sees_missing_resources_and_ignore_declares_them() {
    let mut a = parity_args();
    a.strip.clear();
    a.preprod_vars = None;
    a.prod_vars = None;
    let (json, code) = run_parity(&a).unwrap();
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let r: parity::ParityReport = serde_json::from_value(v["resources"].clone()).unwrap();
    assert_eq!(r.only_in_prod.len(), 2);
    assert_eq!(r.score, Some(0.0));
    a.ignore = vec!["module.*".into()];
    a.output = OutputFormat::Text;
    let (text, code) = run_parity(&a).unwrap();
    assert_eq!(code, 0, "everything declared intended: {text}");
    assert!(text.contains("nothing comparable"), "{text}");
}

#[test]
fn var_files_compare_across_formats_with_intended_differences() {
    let intended = vec![flightdeck::iac::face::parse_ignore("var.instance_type")];
    let r = vars::compare(
        &fixture("preprod.tfvars"),
        &fixture("prod.tfvars.json"),
        &intended,
    )
    .unwrap();
    let unintended: Vec<&str> = r.unintended().map(|d| d.key.as_str()).collect();
    assert_eq!(unintended, vec!["db_password", "replicas"]);
    let pw = &r.differences[0];
    assert_eq!(pw.preprod.as_deref(), Some("(sensitive value)"));
}
