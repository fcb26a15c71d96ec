//! A real scanner through `ScannerCommand` + `run_scanner`: Bandit (PyPI,
//! `bandit[sarif]`) on a small Python file written here. `.ci/run` installs it
//! into `$CACHE/scanvenv` and exports `FLIGHTDECK_BANDIT`; without that the
//! test fails rather than skips.

use std::path::PathBuf;

use flightdeck::scan::{Finding, ScanOutcome, ScannerCommand, Severity, run_scanner};

const APP: &str = "\
import subprocess


def run(x):
    subprocess.call(x, shell=True)
    return eval(x)
";

fn bandit() -> String {
    match std::env::var("FLIGHTDECK_BANDIT") {
        Ok(path) if !path.trim().is_empty() => path,
        _ => panic!(
            "FLIGHTDECK_BANDIT is not set: run .ci/run, which installs bandit[sarif] into \
             $HOME/.cache/flightdeck/scanvenv and exports FLIGHTDECK_BANDIT \
             (or set it to a bandit binary yourself)"
        ),
    }
}

fn find<'a>(fs: &'a [Finding], rule: &str) -> &'a Finding {
    fs.iter()
        .find(|f| f.rule_id == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {fs:#?}"))
}

#[tokio::test]
async fn bandit_findings_come_through_run_scanner() {
    let bandit = bandit();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), APP).unwrap();
    let cmd = ScannerCommand {
        name: "bandit".into(),
        argv: vec![
            bandit.clone(),
            "-q".into(),
            "-f".into(),
            "sarif".into(),
            "-o".into(),
            "bandit.sarif".into(),
            "app.py".into(),
        ],
        timeout_secs: 120,
        ok_exit_codes: vec![0, 1],
        output: PathBuf::from("bandit.sarif"),
        cwd: Some(dir.path().to_path_buf()),
    };
    let outcome = run_scanner(&cmd).await;
    let ScanOutcome::Findings {
        exit_code,
        findings,
        output,
        ..
    } = &outcome
    else {
        panic!("bandit ({bandit}) gave no result: {outcome:?}");
    };
    // Bandit exits 1 when it found something.
    assert_eq!(*exit_code, 1);
    assert_eq!(output, &dir.path().join("bandit.sarif"));

    let shell = find(findings, "B602");
    assert_eq!(shell.tool, "Bandit");
    assert_eq!(shell.severity, Severity::High);
    assert_eq!(
        shell.severity_source,
        "result properties.issue_severity HIGH"
    );
    assert!(shell.message.contains("shell=True"), "{}", shell.message);
    assert!(shell.location.path.ends_with("app.py"), "{shell:?}");
    assert_eq!(shell.location.line, Some(5));

    // B307 carries no SARIF level; its severity is Bandit's own MEDIUM.
    let eval = find(findings, "B307");
    assert_eq!(eval.severity, Severity::Medium);
    assert_eq!(
        eval.severity_source,
        "result properties.issue_severity MEDIUM"
    );
    assert!(eval.message.contains("literal_eval"), "{}", eval.message);
    assert_eq!(eval.location.line, Some(6));

    // `import subprocess` is Bandit's low-severity B404.
    let import = find(findings, "B404");
    assert_eq!(import.severity, Severity::Low);
    assert_eq!(import.location.line, Some(1));

    // Every finding's severity came from Bandit's issue_severity.
    for f in findings {
        assert!(
            f.severity_source
                .starts_with("result properties.issue_severity "),
            "{f:?}"
        );
    }
}

#[tokio::test]
async fn bandit_on_clean_code_finds_nothing() {
    let bandit = bandit();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ok.py"),
        "def add(a, b):\n    return a + b\n",
    )
    .unwrap();
    let cmd = ScannerCommand {
        name: "bandit".into(),
        argv: vec![
            bandit,
            "-q".into(),
            "-f".into(),
            "sarif".into(),
            "-o".into(),
            "bandit.sarif".into(),
            "ok.py".into(),
        ],
        timeout_secs: 120,
        ok_exit_codes: vec![0, 1],
        output: PathBuf::from("bandit.sarif"),
        cwd: Some(dir.path().to_path_buf()),
    };
    match run_scanner(&cmd).await {
        ScanOutcome::Findings {
            exit_code,
            findings,
            ..
        } => {
            assert_eq!(exit_code, 0);
            assert!(findings.is_empty(), "{findings:#?}");
        }
        other => panic!("expected findings, got {other:?}"),
    }
}
