//! SARIF ingest over fixtures that reproduce each tool's real shape (bandit.sarif
//! is real Bandit 1.9.4 output), baselines, acceptances, the judge and `scan import`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use flightdeck::core::verdict::Verdict;
use flightdeck::output::OutputFormat;
use flightdeck::policy::{PolicyOutcome, PolicyResult};
use flightdeck::scan::cli::{ImportArgs, import};
use flightdeck::scan::{
    BaselineState, Disposition, Finding, RiskAcceptance, ScanCriteria, ScanError, Severity,
    Suppression, Unavailable, apply_acceptances, judge, judge_with_unavailable, load_baseline,
    mark_known, parse_sarif_file, save_baseline,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sarif")
        .join(name)
}

fn parse(name: &str) -> Vec<Finding> {
    parse_sarif_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn by_rule<'a>(fs: &'a [Finding], rule: &str) -> &'a Finding {
    fs.iter()
        .find(|f| f.rule_id == rule)
        .unwrap_or_else(|| panic!("no finding {rule}"))
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn trivy_severity_comes_from_its_tags() {
    let fs = parse("trivy.sarif");
    assert_eq!(fs.len(), 3);
    let crit = by_rule(&fs, "CVE-2026-0001");
    assert_eq!(crit.tool, "Trivy");
    assert_eq!(crit.severity, Severity::Critical);
    assert_eq!(crit.severity_source, "rule properties.tags CRITICAL");
    assert_eq!(
        crit.title,
        "openssl: buffer overflow in X.509 name check (fixture)"
    );
    assert_eq!(
        crit.help.as_deref(),
        Some("https://example.com/advisories/CVE-2026-0001")
    );
    let high = by_rule(&fs, "CVE-2026-0002");
    assert_eq!(high.severity, Severity::High);
    assert_eq!(high.location.to_string(), "app/requirements.txt:4");
    assert_eq!(by_rule(&fs, "CVE-2026-0003").severity, Severity::Medium);
}

#[test]
fn bandit_severity_comes_from_issue_severity_even_without_level() {
    let fs = parse("bandit.sarif");
    assert_eq!(fs.len(), 4);
    let shell = by_rule(&fs, "B602");
    assert_eq!(shell.severity, Severity::High);
    assert_eq!(
        shell.severity_source,
        "result properties.issue_severity HIGH"
    );
    assert_eq!(shell.location.to_string(), "app.py:5");
    // Bandit writes no `level` for MEDIUM (the SARIF default); the adapter still knows.
    assert_eq!(by_rule(&fs, "B307").severity, Severity::Medium);
    assert_eq!(by_rule(&fs, "B105").severity, Severity::Low);
}

#[test]
fn semgrep_level_chain_suppressions_and_fingerprints() {
    let fs = parse("semgrep.sarif");
    assert_eq!(fs.len(), 3);
    let eval = by_rule(
        &fs,
        "python.lang.security.audit.eval-detected.eval-detected",
    );
    assert_eq!(eval.severity, Severity::Medium);
    assert_eq!(
        eval.severity_source,
        "rule defaultConfiguration.level warning"
    );
    assert_eq!(eval.location.to_string(), "app/views.py:42");
    let debug = by_rule(&fs, "python.django.security.audit.django-debug-enabled");
    assert_eq!(debug.suppression, Suppression::Accepted);
    assert_eq!(debug.severity, Severity::Low);
    assert!(matches!(
        debug.disposition(day("2026-06-01")),
        Disposition::Waived { .. }
    ));
    let sql = by_rule(
        &fs,
        "python.lang.security.audit.formatted-sql-query.formatted-sql-query",
    );
    assert_eq!(sql.suppression, Suppression::UnderReview);
    assert_eq!(sql.severity, Severity::High);
    assert!(matches!(
        sql.disposition(day("2026-06-01")),
        Disposition::Open { .. }
    ));
    // The tool's fingerprint is used, so moving the line keeps the identity.
    let text = std::fs::read_to_string(fixture("semgrep.sarif")).unwrap();
    let moved = flightdeck::scan::parse_sarif_str(
        &text.replace("\"startLine\": 42", "\"startLine\": 50"),
        "x",
    )
    .unwrap();
    let moved_eval = by_rule(
        &moved,
        "python.lang.security.audit.eval-detected.eval-detected",
    );
    assert_eq!(moved_eval.location.line, Some(50));
    assert_eq!(moved_eval.fingerprint, eval.fingerprint);
}

#[test]
fn gitleaks_leaks_are_high_and_do_not_share_commit_fingerprints() {
    let fs = parse("gitleaks.sarif");
    assert_eq!(fs.len(), 3);
    assert!(
        fs.iter()
            .all(|f| f.severity == Severity::High && f.is_secret())
    );
    assert_eq!(
        fs[0].severity_source,
        "gitleaks adapter: every leak is high"
    );
    // Same commit metadata in partialFingerprints, different leaks.
    assert_ne!(fs[0].fingerprint, fs[1].fingerprint);
    assert_ne!(fs[1].fingerprint, fs[2].fingerprint);
    assert!(fs[0].title.starts_with("Identified a pattern"));
}

#[test]
fn checkov_level_only_baseline_state_and_pass_results_skipped() {
    let fs = parse("checkov.sarif");
    assert_eq!(fs.len(), 2, "kind=pass is not a finding");
    let acl = by_rule(&fs, "CKV_AWS_20");
    assert_eq!(acl.severity, Severity::High);
    assert_eq!(acl.severity_source, "result level error");
    assert_eq!(acl.baseline_state, None);
    let logging = by_rule(&fs, "CKV_AWS_18");
    assert_eq!(logging.baseline_state, Some(BaselineState::Unchanged));
    assert!(!logging.is_new());
}

#[test]
fn codeql_security_severity_extensions_message_strings_and_absent() {
    let fs = parse("codeql.sarif");
    let sqli = by_rule(&fs, "py/sql-injection");
    assert_eq!(sqli.severity, Severity::High);
    assert_eq!(
        sqli.severity_source,
        "rule properties.security-severity 8.8"
    );
    assert_eq!(sqli.baseline_state, Some(BaselineState::New));
    let log = by_rule(&fs, "py/clear-text-logging-sensitive-data");
    assert_eq!(log.message, "This expression logs password as clear text.");
    assert_eq!(
        log.location.to_string(),
        "app/db.py:30",
        "uri from run.artifacts[index]"
    );
    assert_eq!(log.disposition(day("2026-01-01")), Disposition::Fixed);
}

#[test]
fn odd_but_readable_files_are_read_leniently() {
    let fs = parse("odd.sarif");
    assert_eq!(fs.len(), 2);
    assert_eq!(fs[0].tool, "unknown-tool");
    assert_eq!(
        fs[0].severity,
        Severity::High,
        "level \"Error\" in the wrong case"
    );
    assert_eq!(
        fs[0].message, "ODD1",
        "missing message falls back to the rule"
    );
    assert_eq!(fs[1].severity_source, "SARIF default level warning");
}

#[test]
fn truncated_sarif_names_file_and_line() {
    let err = parse_sarif_file(&fixture("truncated.sarif")).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            ScanError::InvalidSarif {
                truncated: true,
                ..
            }
        ) || msg.contains("truncated"),
        "{msg}"
    );
    assert!(msg.contains("truncated.sarif"), "{msg}");
    assert!(msg.contains("(line 10, column 48)"), "{msg}");
    assert!(msg.contains("runs[0].results[0].message.text"), "{msg}");
}

#[test]
fn wrong_shape_names_the_json_path() {
    let msg = parse_sarif_file(&fixture("wrong_type.sarif"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("wrong_type.sarif"), "{msg}");
    assert!(msg.contains("runs[0].results[1].locations"), "{msg}");
    assert!(msg.contains("line 8"), "{msg}");
}

#[test]
fn not_sarif_and_missing_files_are_clear_errors() {
    let e =
        flightdeck::scan::parse_sarif_str("{\"version\": \"1.0.0\", \"runs\": []}", "old.sarif")
            .unwrap_err();
    assert!(e.to_string().contains("unsupported SARIF version"), "{e}");
    let e = flightdeck::scan::parse_sarif_str("[1, 2]", "arr.sarif").unwrap_err();
    assert!(e.to_string().starts_with("arr.sarif: invalid SARIF"), "{e}");
    let e = flightdeck::scan::parse_sarif_str("", "empty.sarif").unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    let e = parse_sarif_file(Path::new("/nonexistent/x.sarif")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x.sarif"), "{e}");
}

#[test]
fn flightdeck_baseline_marks_known_findings() {
    let dir = tempfile::tempdir().unwrap();
    let trivy = parse("trivy.sarif");
    assert!(load_baseline(dir.path(), "shop-api").unwrap().is_none());
    save_baseline(dir.path(), "shop-api", &trivy[..2]).unwrap();
    let baseline = load_baseline(dir.path(), "shop-api").unwrap().unwrap();
    let mut again = parse("trivy.sarif");
    assert_eq!(mark_known(&mut again, &baseline), 2);
    assert!(again[0].known && again[1].known && !again[2].known);
    std::fs::write(flightdeck::scan::baseline_path(dir.path(), "broken"), "{").unwrap();
    let e = load_baseline(dir.path(), "broken").unwrap_err().to_string();
    assert!(
        e.contains("broken.baseline.json") && e.contains("invalid baseline"),
        "{e}"
    );
}

#[test]
fn expired_acceptance_turns_a_finding_back_into_a_blocker() {
    let mut fs = parse("trivy.sarif");
    let acc = RiskAcceptance {
        rule: Some("CVE-2026-0001".into()),
        fingerprint: None,
        justification: "no fix upstream; not reachable".into(),
        approver: "alice".into(),
        expires: day("2026-03-31"),
    };
    let criteria = ScanCriteria {
        max_new_high: 5,
        ..ScanCriteria::default()
    };
    assert_eq!(
        apply_acceptances(&mut fs, std::slice::from_ref(&acc), day("2026-03-20")),
        1
    );
    let (v, ev, _) = judge(&fs, &[], &criteria, day("2026-03-20"));
    assert_eq!(
        v,
        Verdict::Warn,
        "accepted, but expiring within 14 days: {ev:?}"
    );
    let (v, _, _) = judge(&fs, &[], &criteria, day("2026-01-01"));
    assert_eq!(v, Verdict::Pass);
    let (v, ev, summary) = judge(&fs, &[], &criteria, day("2026-04-01"));
    assert_eq!(v, Verdict::Fail);
    let crit = ev
        .iter()
        .find(|e| e.label == "new critical findings")
        .unwrap();
    assert!(
        crit.value
            .contains("CVE-2026-0001 at registry.example.com/shop-api:1 (Trivy)"),
        "{}",
        crit.value
    );
    assert!(
        crit.value
            .contains("acceptance by alice expired on 2026-03-31"),
        "{}",
        crit.value
    );
    assert!(summary.contains("1 new critical findings"), "{summary}");
    // A fingerprint-specific acceptance beats a rule-wide expired one.
    let specific = RiskAcceptance {
        fingerprint: Some(fs[0].fingerprint.clone()),
        expires: day("2026-12-31"),
        approver: "bob".into(),
        ..acc.clone()
    };
    apply_acceptances(&mut fs, &[acc, specific], day("2026-04-01"));
    assert_eq!(fs[0].acceptance.as_ref().unwrap().approver, "bob");
}

#[test]
fn judge_names_findings_policies_and_unavailable_scanners() {
    let fs = parse("semgrep.sarif");
    let today = day("2026-06-01");
    let (v, ev, _) = judge(&fs, &[], &ScanCriteria::default(), today);
    assert_eq!(v, Verdict::Fail, "new high under review: {ev:?}");
    let high = ev.iter().find(|e| e.label == "new high findings").unwrap();
    assert!(
        high.value.contains(
            "formatted-sql-query at app/db.py:17 (Semgrep OSS) [suppression under review]"
        ),
        "{}",
        high.value
    );
    assert_eq!(high.threshold.as_deref(), Some("<= 0"));

    let lenient = ScanCriteria {
        max_new_high: 1,
        max_medium: Some(0),
        ..ScanCriteria::default()
    };
    let (v, ev, _) = judge(&fs, &[], &lenient, today);
    assert_eq!(v, Verdict::Fail);
    let medium = ev
        .iter()
        .find(|e| e.label == "open medium findings")
        .unwrap();
    assert!(
        medium.value.contains("eval-detected at app/views.py:42"),
        "{}",
        medium.value
    );

    let ok = ScanCriteria {
        max_new_high: 1,
        ..ScanCriteria::default()
    };
    let warn = PolicyResult {
        policy: "p.rego (data.p)".into(),
        rule: "warn".into(),
        outcome: PolicyOutcome::Warn,
        messages: vec!["owner missing".into()],
    };
    let (v, _, _) = judge(&fs, std::slice::from_ref(&warn), &ok, today);
    assert_eq!(v, Verdict::Warn);
    let ne = PolicyResult {
        outcome: PolicyOutcome::NotEvaluable,
        rule: "deny".into(),
        messages: vec!["not evaluable: builtin `io.jwt.decode`".into()],
        ..warn.clone()
    };
    let (v, ev, _) = judge(&fs, &[warn.clone(), ne], &ok, today);
    assert_eq!(v, Verdict::Inconclusive);
    assert!(
        ev.iter()
            .any(|e| e.label == "policy p.rego (data.p) deny" && e.value.contains("io.jwt.decode"))
    );
    let deny = PolicyResult {
        outcome: PolicyOutcome::Deny,
        rule: "deny".into(),
        messages: vec!["version 1.0-SNAPSHOT".into()],
        ..warn
    };
    assert_eq!(
        judge(&fs, std::slice::from_ref(&deny), &ok, today).0,
        Verdict::Fail
    );
    let soft = ScanCriteria {
        deny_policies_pass: false,
        ..ok.clone()
    };
    assert_eq!(judge(&fs, &[deny], &soft, today).0, Verdict::Warn);
    let gone = Unavailable {
        source: "trivy".into(),
        reason: "trivy timed out after 600s and was killed".into(),
    };
    let (v, ev, _) = judge_with_unavailable(&[], &[gone], &[], &ok, today);
    assert_eq!(
        v,
        Verdict::Inconclusive,
        "a missing scanner never reads as 0 findings: {ev:?}"
    );
}

#[test]
fn import_face_counts_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let args = ImportArgs {
        files: vec![fixture("trivy.sarif"), fixture("semgrep.sarif")],
        output: OutputFormat::Json,
        baseline_dir: Some(dir.path().to_path_buf()),
        service: Some("shop-api".into()),
        save_baseline: false,
        acceptances: None,
        today: Some(day("2026-06-01")),
    };
    let (out, code) = import(&args).unwrap();
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["counts"]["by_severity"]["critical"], 1);
    assert_eq!(json["counts"]["by_severity"]["high"], 2);
    assert_eq!(json["counts"]["by_baseline_state"]["none"], 6);
    assert_eq!(json["counts"]["waived"], 1);
    assert_eq!(json["findings"].as_array().unwrap().len(), 6);

    // Save everything as the baseline: now nothing is new, only known ones warn.
    let (_, code) = import(&ImportArgs {
        save_baseline: true,
        ..args.clone()
    })
    .unwrap();
    assert_eq!(code, 1, "the save happens after marking");
    let (text, code) = import(&ImportArgs {
        output: OutputFormat::Text,
        ..args.clone()
    })
    .unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("known critical/high findings"), "{text}");
    assert!(text.contains("by severity: 1 critical, 2 high"), "{text}");

    let bad = ImportArgs {
        files: vec![fixture("truncated.sarif")],
        ..args
    };
    assert!(
        import(&bad)
            .unwrap_err()
            .to_string()
            .contains("truncated.sarif")
    );
}
