//! Built-in secrets scan: finds the planted demo key, redacts it everywhere,
//! honours allowlists, skips binaries, large files and `.git/`.

use std::path::{Path, PathBuf};

use flightdeck::core::verdict::Verdict;
use flightdeck::output::OutputFormat;
use flightdeck::scan::cli::{SecretsArgs, secrets};
use flightdeck::scan::secrets::{SecretRules, SecretsOptions, scan_secrets};
use flightdeck::scan::{ScanCriteria, Severity, judge};

const PLANTED: &str = "AKIAFLIGHTDECK7FAKE2";

fn demo_app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/app")
}

#[test]
fn finds_the_planted_key_once_and_never_shows_it() {
    let rules = SecretRules::default_rules().unwrap();
    let report = scan_secrets(&[demo_app()], &rules, &SecretsOptions::default()).unwrap();
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let f = &report.findings[0];
    assert_eq!(f.rule_id, "aws-access-token");
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.location.path.ends_with("config/demo/app/settings.py"),
        "{}",
        f.location
    );
    assert_eq!(f.location.line, Some(12));
    assert!(f.message.contains("AKIA****"), "{}", f.message);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(PLANTED), "raw secret in serialized report");
    assert!(
        !format!("{report:?}").contains(PLANTED),
        "raw secret in Debug output"
    );
    // The AWS documentation key on line 18 is allowlisted by the default rules.
    assert!(!json.contains("AKIAIOSFODNN7EXAMPLE"));
    let (_, ev, _) = judge(
        &report.findings,
        &[],
        &ScanCriteria::default(),
        "2026-01-01".parse().unwrap(),
    );
    let secrets_ev = ev.iter().find(|e| e.label == "open secrets").unwrap();
    assert_eq!(secrets_ev.verdict, Verdict::Fail);
    assert!(!secrets_ev.value.contains(PLANTED));
}

#[test]
fn cli_output_never_contains_the_secret() {
    for output in [OutputFormat::Text, OutputFormat::Json] {
        let (out, code) = secrets(&SecretsArgs {
            paths: vec![demo_app()],
            rules: None,
            output,
            max_file_bytes: 1 << 20,
        })
        .unwrap();
        assert_eq!(code, 1);
        assert!(out.contains("AKIA****"), "{out}");
        assert!(!out.contains(PLANTED), "{out}");
    }
}

#[test]
fn skips_binaries_large_files_and_git_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!("key = \"{PLANTED}\"\n");
    let mut bin = vec![0u8, 1, 2, 3];
    bin.extend(line.as_bytes());
    std::fs::write(dir.path().join("blob.bin"), &bin).unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".git/config"), &line).unwrap();
    let mut big = "x".repeat(2000);
    big.push_str(&line);
    std::fs::write(dir.path().join("big.txt"), &big).unwrap();
    std::fs::write(dir.path().join("ok.txt"), &line).unwrap();
    let rules = SecretRules::default_rules().unwrap();
    let report = scan_secrets(
        &[dir.path().to_path_buf()],
        &rules,
        &SecretsOptions {
            max_file_bytes: 1000,
        },
    )
    .unwrap();
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert!(report.findings[0].location.path.ends_with("ok.txt"));
    assert_eq!(report.skipped_binary.len(), 1);
    assert_eq!(report.skipped_large.len(), 1);
    assert_eq!(report.files_scanned, 1);
}

#[test]
fn allowlists_paths_regexes_stopwords_and_targets() {
    let rules = SecretRules::from_toml(
        r#"
[allowlist]
paths = ['''fixtures/''']

[[rules]]
id = "aws-access-token"
regex = '''\b((?:AKIA|ASIA)[A-Z2-7]{16})\b'''
keywords = ["akia", "asia"]
[rules.allowlist]
regexes = ['''^# test-only''']
regexTarget = "line"
stopwords = ["fake2"]

[[rules]]
id = "tok"
regex = '''tok_([a-z0-9]{12,})'''
[[rules.allowlists]]
regexes = ['''^tok_0{12}''']
regexTarget = "match"
"#,
        "test rules",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    let key2 = "ASIAQWERTYUIOPASDFGH";
    std::fs::write(dir.path().join("fixtures/a.txt"), key2).unwrap();
    std::fs::write(
        dir.path().join("b.txt"),
        format!(
            "{PLANTED}\n# test-only {key2}\nreal = {key2}\ntok_000000000000 tok_a1b2c3d4e5f6\n"
        ),
    )
    .unwrap();
    let report = scan_secrets(
        &[dir.path().to_path_buf()],
        &rules,
        &SecretsOptions::default(),
    )
    .unwrap();
    let got: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule_id, f.location.line.unwrap()))
        .collect();
    assert_eq!(
        got,
        vec!["aws-access-token 3", "tok 4"],
        "{:#?}",
        report.findings
    );
    assert_eq!(report.skipped_allowlisted, 1);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains(key2) && !json.contains("a1b2c3d4e5f6"),
        "{json}"
    );
}

#[test]
fn default_rules_find_each_kind() {
    let rules = SecretRules::default_rules().unwrap();
    let pem_body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB";
    let text = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----\n\
         slack = \"xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx\"\n\
         gh = \"ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\"\n\
         api_key = \"q8Zr3LmK9vX2pT7wYb4N\"\n\
         jwt = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n"
    );
    let fs = flightdeck::scan::secrets::scan_text("mixed.txt", &text, &rules);
    let mut ids: Vec<&str> = fs.iter().map(|f| f.rule_id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "generic-api-key",
            "github-pat",
            "jwt",
            "private-key",
            "slack-token"
        ],
        "{fs:#?}"
    );
    assert_eq!(
        fs.iter()
            .find(|f| f.rule_id == "private-key")
            .unwrap()
            .location
            .line,
        Some(1)
    );
    let json = serde_json::to_string(&fs).unwrap();
    for raw in [
        pem_body,
        "q8Zr3LmK9vX2pT7wYb4N",
        "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    ] {
        assert!(!json.contains(raw), "leaked {raw}");
    }
}
