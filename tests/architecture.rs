//! The floors hold: this test reads `src/` and fails when an import runs up
//! a floor, when `core/` reaches outside itself, when a file outside `ui/`
//! names the terminal crates, or when a non-test file grows past 500 lines.
//!
//! Floors, from the ground up (each may import only from its own floor and
//! the floors below):
//! 0. `core/`: the vocabulary and the fold; std, serde and chrono only.
//! 1. toolkit: `config/`, `record/`, `tls.rs`, `output.rs`, `identity.rs`.
//! 2. capabilities: `environment`, `iac`, `load`, `canary`, `flags`, `scan`,
//!    `policy`, `secrets`, `gate`, `demo`, `history`, `impact`, and those
//!    still to come.
//! 3. `engine/`: the stage graph.
//! 4. faces: `ui/`, `report/`, `headless`, `cli`, `launch`, `main`, `lib`.
//!
//! It reads imports as text (`crate::x` paths outside test modules), so the
//! checker is tested on planted violations below: it must be able to fail.

use std::path::{Path, PathBuf};

/// Longest a non-test source file may be.
const MAX_LINES: usize = 500;

/// Crates `core/` may use besides itself.
const CORE_EXTERNAL: [&str; 6] = ["std", "core", "alloc", "serde", "serde_json", "chrono"];

/// Crates that only `ui/` may name.
const TERMINAL_CRATES: [&str; 2] = ["ratatui", "crossterm"];

/// Well-known crates `core/` must not name even inline (a `use` check alone
/// would miss `tokio::spawn(...)` written in full).
const NOT_IN_CORE: [&str; 10] = [
    "tokio",
    "ratatui",
    "crossterm",
    "reqwest",
    "tracing",
    "hyper",
    "axum",
    "clap",
    "regex",
    "sha2",
];

fn floor_of(module: &str) -> Option<u8> {
    Some(match module {
        "core" => 0,
        "config" | "record" | "tls" | "output" | "identity" => 1,
        "environment" | "iac" | "load" | "canary" | "flags" | "scan" | "policy" | "secrets"
        | "gate" | "demo" | "drill" | "dr" | "data" | "pg" | "notify" | "history" | "share"
        | "traffic" | "locust" | "impact" => 2,
        "engine" => 3,
        "ui" | "report" | "headless" | "cli" | "launch" | "main" | "lib" | "attach" => 4,
        _ => return None,
    })
}

/// The top module a file belongs to: `src/load/runner.rs` -> `load`.
fn module_of(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.trim_end_matches(".rs").to_string()
}

/// The part of a file that is not test code: test files are skipped whole,
/// and a file ends where its `#[cfg(test)]` module begins.
fn non_test(rel: &str, text: &str) -> Option<String> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return None;
    }
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") && !line.starts_with(' ') {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    Some(out)
}

/// Every `crate::module` a text names, in `use` lines or inline paths.
fn crate_refs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            // `flightdeck::...` in doc tests and `$crate::` in macros do not count.
            let before = &rest[..i];
            let name: String = rest[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !before.ends_with('$') && !name.is_empty() {
                out.push(name);
            }
            rest = &rest[i + 7..];
        }
        // `use crate::{a, b::c}` groups.
        if let Some(g) = code.trim_start().strip_prefix("use crate::{") {
            for part in g.split([',', '}']) {
                let m = part
                    .trim()
                    .split("::")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                if !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(m);
                }
            }
        }
    }
    out
}

/// The external crates a text names at the start of a `use` or a path.
fn names_crate(text: &str, krate: &str) -> bool {
    text.lines().any(|line| {
        let code = line.split("//").next().unwrap_or("");
        let pat = format!("{krate}::");
        code.match_indices(&pat).any(|(i, _)| {
            i == 0 || {
                let prev = code[..i].chars().last().unwrap_or(' ');
                !(prev.is_ascii_alphanumeric() || prev == '_' || prev == ':')
            }
        })
    })
}

/// The crates `use` lines of a text import from (first path segment).
fn used_crates(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t.strip_prefix("pub ").unwrap_or(t);
            let t = t.strip_prefix("pub(crate) ").unwrap_or(t);
            t.strip_prefix("use ")
        })
        .map(|rest| {
            rest.trim_start_matches("::")
                .split([':', ';', ' ', '{'])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// The modules a file declares (`mod x;`, `pub mod x;`): `use x::...` names
/// one of them, not a crate.
fn local_modules(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t.strip_prefix("pub ").unwrap_or(t);
            let t = t.strip_prefix("pub(crate) ").unwrap_or(t);
            t.strip_prefix("mod ")
        })
        .map(|rest| rest.trim_end_matches([';', ' ', '{']).to_string())
        .collect()
}

/// Every rule broken by the files given as (path relative to `src/`, text).
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, text) in files {
        let Some(code) = non_test(rel, text) else {
            continue;
        };
        let lines = code.lines().count();
        if lines > MAX_LINES {
            out.push(format!(
                "{rel}: {lines} lines of non-test code (at most {MAX_LINES})"
            ));
        }
        let module = module_of(rel);
        let Some(floor) = floor_of(&module) else {
            out.push(format!(
                "{rel}: module `{module}` has no floor; add it to tests/architecture.rs"
            ));
            continue;
        };
        if module != "ui" {
            for k in TERMINAL_CRATES {
                if names_crate(&code, k) {
                    out.push(format!("{rel}: names `{k}`, which only ui/ may use"));
                }
            }
        }
        if module == "core" {
            let local = local_modules(&code);
            for k in used_crates(&code) {
                let ok = k == "crate"
                    || k == "self"
                    || k == "super"
                    || local.contains(&k)
                    || CORE_EXTERNAL.contains(&k.as_str());
                if !ok {
                    out.push(format!(
                        "{rel}: core imports `{k}` (core may use std, serde, chrono)"
                    ));
                }
            }
            for k in NOT_IN_CORE {
                if names_crate(&code, k) {
                    out.push(format!("{rel}: core names `{k}`"));
                }
            }
        }
        for target in crate_refs(&code) {
            if target == module {
                continue;
            }
            match floor_of(&target) {
                Some(t) if t > floor => out.push(format!(
                    "{rel}: imports crate::{target} (floor {t}) from floor {floor} ({module})"
                )),
                Some(_) if module == "core" => {
                    out.push(format!("{rel}: core imports crate::{target}"))
                }
                _ => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn read_tree(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read src dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_tree(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).expect("read source")));
        }
    }
}

#[test]
fn the_floors_hold_in_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    assert!(files.len() > 50, "src/ was not read: {} files", files.len());
    let v = violations(&files);
    assert!(v.is_empty(), "{} violations:\n{}", v.len(), v.join("\n"));
}

fn file(path: &str, text: &str) -> (String, String) {
    (path.to_string(), text.to_string())
}

#[test]
fn the_checker_catches_planted_violations() {
    let long = "fn f() {}\n".repeat(MAX_LINES + 1);
    let files = vec![
        file(
            "core/state/mod.rs",
            "use crate::load::Window;\nuse tokio::sync::Mutex;\n",
        ),
        file("core/event.rs", "fn f() { tracing::info!(\"x\"); }\n"),
        file("scan/stage.rs", "use ratatui::text::Line;\n"),
        file("canary/stage.rs", "use crate::engine::Cx;\n"),
        file(
            "flags/cli.rs",
            "use crate::{cli::Args, core::event::Event};\n",
        ),
        file(
            "config/mod.rs",
            "fn f() -> crate::canary::CanaryPlan { todo!() }\n",
        ),
        file("load/runner.rs", &long),
        file("mystery/mod.rs", "\n"),
    ];
    let v = violations(&files).join("\n");
    for want in [
        "core/state/mod.rs: imports crate::load (floor 2) from floor 0 (core)",
        "core/state/mod.rs: core imports `tokio`",
        "core/event.rs: core names `tracing`",
        "scan/stage.rs: names `ratatui`, which only ui/ may use",
        "canary/stage.rs: imports crate::engine (floor 3) from floor 2 (canary)",
        "flags/cli.rs: imports crate::cli (floor 4) from floor 2 (flags)",
        "config/mod.rs: imports crate::canary (floor 2) from floor 1 (config)",
        "load/runner.rs: 501 lines of non-test code",
        "mystery/mod.rs: module `mystery` has no floor",
    ] {
        assert!(v.contains(want), "missed `{want}` in:\n{v}");
    }
}

#[test]
fn the_checker_accepts_a_clean_tree_and_ignores_test_code() {
    let files = vec![
        file(
            "core/state/mod.rs",
            "use chrono::Utc;\nuse serde::Serialize;\nuse crate::core::event::Event;\n",
        ),
        file(
            "canary/control.rs",
            "use crate::flags::FlagState;\nuse crate::record::Recorder;\n",
        ),
        file("engine/mod.rs", "use crate::canary::control::CanaryCtl;\n"),
        file(
            "ui/app.rs",
            "use ratatui::Frame;\nuse crate::engine::Config;\n",
        ),
        file(
            "load/stage.rs",
            "use crate::core::load::Window;\n\n#[cfg(test)]\nmod tests {\n    use crate::engine::Cx;\n}\n",
        ),
        file("core/state/tests.rs", "use crate::gate::provisional;\n"),
    ];
    let v = violations(&files);
    assert!(v.is_empty(), "{v:?}");
}
