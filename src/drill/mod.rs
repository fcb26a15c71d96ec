//! Operational drills, after Chaos Toolkit: a steady-state hypothesis
//! checked before and after, a method of actions and probes with their
//! timeouts, rollbacks, stop conditions polled all through (as AWS FIS),
//! and objectives whose measured values are judged against their bounds.
//!
//! - [`spec`] reads drills from TOML (a drill file, or `[[drill]]` in
//!   config) with errors that name the drill, the step and the fix;
//! - [`tolerance`] is what a probe's value must be;
//! - [`step`] runs one probe or action, [`process`] one command in its own
//!   process group;
//! - [`runner`] runs a drill and journals every step;
//! - [`kinds`] adds each kind's own sequence (deployment and rollback,
//!   blue-green, kill switch); [`alerts`] (promtool, amtool, a live
//!   Prometheus and Alertmanager) and [`runbook`] (Markdown runbooks) are
//!   kinds with their own faces too;
//! - [`stage`] is the `drill` stage, [`cli`] the `flightdeck drill` face.

pub mod alerts;
pub mod cli;
pub mod config;
pub mod kinds;
pub mod ops_args;
pub mod process;
pub mod recovery;
pub mod runbook;
pub mod runner;
pub mod spec;
mod spec_reader;
mod spec_step;
pub mod stage;
pub mod step;
mod stop_watch;
pub mod timeline;
pub mod tolerance;
mod verdict;

use std::path::Path;

pub use runner::run_drill;
pub use spec::{Drill, SpecError, parse_drills};

/// Read a drill file: every drill in it, or every problem (each naming the
/// file, the drill, the step and the fix).
pub fn load_file(path: &Path) -> Result<Vec<Drill>, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("{}: cannot read: {e}", path.display())])?;
    let doc: toml::Value = toml::from_str(&text)
        .map_err(|e| vec![format!("{}: not valid TOML: {e}", path.display())])?;
    let doc = serde_json::to_value(doc).map_err(|e| vec![format!("{}: {e}", path.display())])?;
    let (mut drills, mut errors) = parse_drills(&doc);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for d in &mut drills {
        d.dir = dir.to_path_buf();
    }
    for d in &drills {
        errors.extend(kinds::validate(d));
    }
    if errors.is_empty() {
        Ok(drills)
    } else {
        Err(errors
            .iter()
            .map(|e| format!("{}: {e}", path.display()))
            .collect())
    }
}
