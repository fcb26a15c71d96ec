//! Whether the files, directories and programs a config names exist, so
//! `check-config` finds a missing flag file or scanner before a run does.
//! The caller says how much a missing one matters (an error where the run
//! would fail, a warning where the stage or part is optional); values still
//! holding a demo placeholder are filled later by `flightdeck demo`, so they
//! are not checked here.

use std::path::Path;

use super::{Problem, Severity, holds_placeholder};

/// Whether a program can be started: a path (with a `/`) that is a file,
/// or a name found in a `PATH` directory.
pub fn program_exists(program: &str) -> bool {
    let p = Path::new(program);
    if p.components().count() > 1 {
        return p.is_file();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

fn unfilled(path: &Path) -> bool {
    holds_placeholder(&path.to_string_lossy())
}

/// A problem at `key` when `path` is not a file.
pub fn check_file(path: &Path, key: &str, hint: &str, severity: Severity, out: &mut Vec<Problem>) {
    if unfilled(path) || path.is_file() {
        return;
    }
    let message = if path.is_dir() {
        format!("{} is a directory, not a file", path.display())
    } else {
        format!("{} does not exist", path.display())
    };
    out.push(Problem::at(key, message, hint).with_severity(severity));
}

/// A problem at `key` when `path` is not a directory.
pub fn check_dir(path: &Path, key: &str, hint: &str, severity: Severity, out: &mut Vec<Problem>) {
    if unfilled(path) || path.is_dir() {
        return;
    }
    let message = if path.exists() {
        format!("{} is not a directory", path.display())
    } else {
        format!("{} does not exist", path.display())
    };
    out.push(Problem::at(key, message, hint).with_severity(severity));
}

/// A problem at `key` when `program` cannot be found (see [`program_exists`]).
pub fn check_program(
    program: &str,
    key: &str,
    hint: &str,
    severity: Severity,
    out: &mut Vec<Problem>,
) {
    if holds_placeholder(program) || program_exists(program) {
        return;
    }
    let message = if Path::new(program).components().count() > 1 {
        format!("program {program} does not exist")
    } else {
        format!("program `{program}` is not on PATH")
    };
    out.push(Problem::at(key, message, hint).with_severity(severity));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_things_are_named_and_placeholders_wait() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("flags.json");
        std::fs::write(&file, "{}").expect("write");
        let mut out = Vec::new();
        check_file(&file, "a", "h", Severity::Error, &mut out);
        check_dir(dir.path(), "b", "h", Severity::Error, &mut out);
        check_program("sh", "c", "h", Severity::Error, &mut out);
        check_file(
            Path::new("{demo.assets}/x.json"),
            "d",
            "h",
            Severity::Error,
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");

        check_file(
            &dir.path().join("gone.json"),
            "e",
            "h",
            Severity::Warning,
            &mut out,
        );
        check_file(dir.path(), "f", "h", Severity::Error, &mut out);
        check_dir(&file, "g", "h", Severity::Error, &mut out);
        check_program("no-such-scanner-xyz", "h", "h", Severity::Error, &mut out);
        check_program("/nonexistent/trivy", "i", "h", Severity::Error, &mut out);
        let got: Vec<(&str, Severity, bool)> = out
            .iter()
            .map(|p| (p.key.as_str(), p.severity, p.message.is_empty()))
            .collect();
        assert_eq!(
            got,
            [
                ("e", Severity::Warning, false),
                ("f", Severity::Error, false),
                ("g", Severity::Error, false),
                ("h", Severity::Error, false),
                ("i", Severity::Error, false),
            ]
        );
        assert!(out[0].message.ends_with("gone.json does not exist"));
        assert!(out[1].message.ends_with("is a directory, not a file"));
        assert!(out[2].message.ends_with("flags.json is not a directory"));
        assert_eq!(
            out[3].message,
            "program `no-such-scanner-xyz` is not on PATH"
        );
        assert_eq!(out[4].message, "program /nonexistent/trivy does not exist");
    }
}
