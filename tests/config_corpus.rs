//! The config corpus: every file under tests/valid_configs loads (with
//! exactly the warnings of its `.expected` file, when it has one, else
//! none); every file under tests/invalid_configs fails with exactly the
//! messages in its `.expected` file (FILE stands for the file's path;
//! warnings start with `warning: `). Set `FLIGHTDECK_BLESS=1` to rewrite the
//! expectations after reviewing a change.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use flightdeck::config::Sources;
use flightdeck::engine::config;

fn files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no files in {}", root.display());
    v
}

fn sources(path: &Path) -> Sources {
    Sources {
        file: Some(path.to_path_buf()),
        text: None,
        env: HashMap::new(),
        overrides: Vec::new(),
    }
}

/// The problems as the `.expected` files write them, one per line.
fn lines(f: &Path, problems: &[flightdeck::config::Problem]) -> String {
    let label = f.display().to_string();
    problems
        .iter()
        .map(|p| {
            let mark = if p.is_error() { "" } else { "warning: " };
            format!("{mark}{}\n", p.to_string().replace(&label, "FILE"))
        })
        .collect()
}

/// Compare with (or, blessing, write) the `.expected` file of `f`.
fn expect(f: &Path, got: &str, required: bool) {
    let expected_path = f.with_extension("expected");
    if std::env::var_os("FLIGHTDECK_BLESS").is_some() {
        if required || !got.is_empty() {
            std::fs::write(&expected_path, got).expect("write expectation");
        }
        return;
    }
    let want = match std::fs::read_to_string(&expected_path) {
        Ok(w) => w,
        Err(_) if !required => String::new(),
        Err(_) => panic!("missing {}", expected_path.display()),
    };
    assert_eq!(got, want, "messages for {}", f.display());
}

#[test]
fn valid_configs_load() {
    for f in files("valid_configs") {
        match config::load_with_warnings(&sources(&f)) {
            Ok((_, warnings)) => expect(&f, &lines(&f, &warnings), false),
            Err(problems) => panic!("{} should be valid: {problems:#?}", f.display()),
        }
    }
}

#[test]
fn the_shipped_example_config_loads() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flightdeck.toml");
    let cfg = config::load(&sources(&f)).expect("config/flightdeck.toml is valid");
    assert!(config::uses_demo_placeholders(&cfg));
    assert_eq!(cfg.stages.last().map(|s| s.id.as_str()), Some("gate"));
}

#[test]
fn invalid_configs_fail_with_every_problem_named() {
    for f in files("invalid_configs") {
        let problems = match config::load(&sources(&f)) {
            Ok(_) => panic!("{} should be invalid", f.display()),
            Err(p) => p,
        };
        expect(&f, &lines(&f, &problems), true);
    }
}

#[test]
fn problems_come_out_in_the_same_order_on_every_load() {
    let f =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs/many_in_one_table.toml");
    let text =
        |p: Vec<flightdeck::config::Problem>| p.iter().map(ToString::to_string).collect::<Vec<_>>();
    let first = text(config::load(&sources(&f)).expect_err("invalid"));
    assert!(first.len() >= 6, "{first:#?}");
    for _ in 0..20 {
        assert_eq!(
            text(config::load(&sources(&f)).expect_err("invalid")),
            first
        );
    }
}
