//! Shared by the alerting and runbook drill tests: the repository, the
//! shipped drill files, the tool check (fail under CI, skip otherwise) and
//! running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn drills() -> PathBuf {
    repo().join("config/drills")
}

/// The tools the alerting checks need, or `false` (skip) outside CI.
pub fn have_tools() -> bool {
    let missing: Vec<&str> = [
        ("FLIGHTDECK_PROMTOOL", "promtool"),
        ("FLIGHTDECK_AMTOOL", "amtool"),
    ]
    .into_iter()
    .filter(|(var, name)| {
        let from_env = std::env::var_os(var).is_some_and(|v| Path::new(&v).is_file());
        let on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .any(|d| d.join(name).is_file());
        !from_env && !on_path
    })
    .map(|(_, n)| n)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{} missing: run scripts/test (installs the Debian packages prometheus and \
         prometheus-alertmanager) or set FLIGHTDECK_PROMTOOL / FLIGHTDECK_AMTOOL",
        missing.join(" and ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    false
}

pub fn flightdeck(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run flightdeck");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

pub fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}
