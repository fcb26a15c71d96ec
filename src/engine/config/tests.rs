//! Loading a whole configuration: the layers, and where a problem came from.

use std::collections::HashMap;
use std::path::PathBuf;

use super::*;
use crate::config::OverrideValue;

fn write(dir: &tempfile::TempDir, body: &str) -> PathBuf {
    let p = dir.path().join("flightdeck.toml");
    std::fs::write(&p, body).expect("write config");
    p
}

const BASE: &str = r#"
state_dir = "/from/file"
[environment.health]
timeout_ms = 1000
[[stages]]
id = "env"
kind = "environment"
"#;

fn sources(file: PathBuf, env: &[(&str, &str)]) -> Sources {
    Sources {
        file: Some(file),
        text: None,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        overrides: Vec::new(),
    }
}

#[test]
fn layers_defaults_file_env_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, BASE);
    let cfg = load(&sources(f.clone(), &[])).expect("valid");
    assert_eq!(cfg.state_dir, PathBuf::from("/from/file"));
    assert_eq!(cfg.environment.health.retries, 2, "default kept");

    let env = [
        ("FLIGHTDECK__STATE_DIR", "/from/env"),
        ("FLIGHTDECK__ENVIRONMENT__HEALTH__TIMEOUT_MS", "750"),
        ("OTHER__STATE_DIR", "/ignored"),
    ];
    let cfg = load(&sources(f.clone(), &env)).expect("valid");
    assert_eq!(cfg.state_dir, PathBuf::from("/from/env"));
    assert_eq!(cfg.environment.health.timeout_ms, 750);

    let mut s = sources(f, &env);
    s.set("state_dir", OverrideValue::Str("/from/cli".into()));
    let cfg = load(&s).expect("valid");
    assert_eq!(cfg.state_dir, PathBuf::from("/from/cli"));
}

#[test]
fn a_bad_env_value_names_the_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, BASE);
    let env = [("FLIGHTDECK__ENVIRONMENT__HEALTH__TIMEOUT_MS", "soon")];
    let problems = load(&sources(f, &env)).expect_err("invalid");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].source,
        "environment variable FLIGHTDECK__ENVIRONMENT__HEALTH__TIMEOUT_MS"
    );
    assert_eq!(problems[0].key, "environment.health.timeout_ms");
}

#[test]
fn an_unknown_env_key_is_reported_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, BASE);
    let env = [("FLIGHTDECK__RUN__SERVISE", "x")];
    let problems = load(&sources(f, &env)).expect_err("invalid");
    assert_eq!(problems[0].key, "run.servise");
    assert_eq!(
        problems[0].source,
        "environment variable FLIGHTDECK__RUN__SERVISE"
    );
    assert_eq!(problems[0].hint, "did you mean `service`?");
}

#[test]
fn a_missing_file_is_one_clear_problem() {
    let problems = load(&sources(PathBuf::from("/nonexistent/fd.toml"), &[])).expect_err("missing");
    assert_eq!(
        problems[0].to_string(),
        "/nonexistent/fd.toml: config file not found (hint: pass -c with an existing file, for example config/flightdeck.toml)"
    );
}

#[test]
fn inline_text_is_used_when_there_is_no_file() {
    let s = Sources {
        file: None,
        text: Some(("built-in".into(), BASE.into())),
        env: HashMap::new(),
        overrides: Vec::new(),
    };
    assert_eq!(
        load(&s).expect("valid").state_dir,
        PathBuf::from("/from/file")
    );
}

#[test]
fn iac_problems_still_come_after_load_problems() {
    let text = r#"
[[environment.endpoints]]
name = "api"
url = "ftp://127.0.0.1/healthz"
[environment.iac]
timeout_s = 0
[scan]
posture_urls = ["ftp://127.0.0.1"]
[load]
target = "http://127.0.0.1:9"
rate = 0
[[stages]]
id = "load"
kind = "load"
"#;
    let s = Sources {
        file: None,
        text: Some(("inline".into(), text.into())),
        env: HashMap::new(),
        overrides: Vec::new(),
    };
    let problems = load(&s).expect_err("invalid");
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "environment.endpoints[0].url",
            "scan.posture_urls[0]",
            "load.rate",
            "environment.iac.timeout_s",
        ]
    );
}

#[test]
fn every_registered_stage_kind_can_be_planned() {
    // A stage in the registry that `check-config` refuses can never run:
    // the data stage was registered but refused until it was listed here.
    for stage in crate::engine::stages::registry() {
        assert!(
            RUNNABLE_KINDS.contains(&stage.kind()),
            "`{}` is registered but not runnable",
            stage.kind().as_str()
        );
    }
}
