//! Loading a config for a command, and `check-config`: every problem at
//! once, errors (nothing runs, exit 2) and warnings (`warning:` lines; a run
//! still starts, `check-config` still exits 0) in the order they were found.

use std::path::Path;

use super::Failure;
use crate::config::{Problem, Sources};
use crate::engine::{self, Config};

/// `error: ...` or `warning: ...`.
pub fn problem_line(p: &Problem) -> String {
    let label = if p.is_error() { "error" } else { "warning" };
    format!("{label}: {p}")
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Load and check a config: the config and its warnings, or a failure
/// (exit 2) with one line per problem and a count of the errors.
pub fn load_checked(sources: &Sources) -> Result<(Config, Vec<Problem>), Failure> {
    engine::config::load_with_warnings(sources).map_err(|problems| {
        let mut msg: Vec<String> = problems.iter().map(problem_line).collect();
        let errors = problems.iter().filter(|p| p.is_error()).count();
        msg.push(format!(
            "{} in the configuration; nothing was run",
            plural(errors, "problem")
        ));
        Failure::usage(msg.join("\n"))
    })
}

/// Load and check a config for a command that reports no warnings.
pub fn load_config(sources: &Sources) -> Result<Config, Failure> {
    load_checked(sources).map(|(cfg, _)| cfg)
}

/// `flightdeck check-config`: warnings first, then the verdict line.
pub fn check_config(path: &Path) -> Result<String, Failure> {
    let (cfg, warnings) = load_checked(&Sources::from_process(Some(path.to_path_buf())))?;
    let ids: Vec<&str> = cfg.stages.iter().map(|s| s.id.as_str()).collect();
    let mut out: String = warnings
        .iter()
        .map(|w| format!("{}\n", problem_line(w)))
        .collect();
    out.push_str(&format!(
        "{}: ok ({}: {})",
        path.display(),
        plural(ids.len(), "stage"),
        ids.join(", ")
    ));
    if !warnings.is_empty() {
        out.push_str(&format!(" with {}", plural(warnings.len(), "warning")));
    }
    if engine::config::uses_demo_placeholders(&cfg) {
        out.push_str(
            "\nnote: the config uses {demo.*} placeholders, which only `flightdeck demo` fills; `flightdeck run` needs real URLs and paths",
        );
    }
    Ok(out)
}
