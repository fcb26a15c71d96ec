//! The semantic pass: what the values mean. Each section checks itself
//! (`validate()`); this pass calls them in a fixed order, checks what only
//! the whole plan can tell (which stages are planned, the canary's traffic,
//! stage ids, the gate last, the stage graph), and leaves `source` empty for
//! the loader to fill in.

use crate::config::Problem;
use crate::core::event::StageKind;

use super::Config;

/// Kinds this build can run. The others arrive with their own capabilities.
pub const RUNNABLE_KINDS: [StageKind; 6] = [
    StageKind::Environment,
    StageKind::Load,
    StageKind::Canary,
    StageKind::Scan,
    StageKind::Policy,
    StageKind::Gate,
];

/// Checks of meaning: ranges, unique ids, URLs, plan order. `source` is left
/// empty; the caller fills it in.
///
/// The order of the problems is part of `check-config`'s output (the
/// corpus in `tests/invalid_configs` pins it): gate, ui, run, environment
/// (health, endpoints), scan, load, `[environment.iac]`, canary, policy,
/// share, notify, stages.
pub fn check_semantics(cfg: &Config) -> Vec<Problem> {
    let mut out = cfg.gate.validate();
    out.extend(cfg.ui.validate());
    out.extend(cfg.run.validate());
    // IaC problems have always come after load's; keep that order.
    let (iac, environment): (Vec<Problem>, Vec<Problem>) = cfg
        .environment
        .validate()
        .into_iter()
        .partition(|p| p.key.starts_with("environment.iac."));
    out.extend(environment);
    out.extend(cfg.scan.validate());
    let has = |k: StageKind| cfg.stages.iter().any(|s| s.kind == k && s.enabled);
    if has(StageKind::Load) {
        out.extend(cfg.load.validate());
    }
    out.extend(iac);
    if has(StageKind::Canary) {
        out.extend(cfg.canary.validate());
        if !has(StageKind::Load) && cfg.load.target.is_empty() {
            out.push(Problem::at(
                "load.target",
                "the canary stage sends its traffic with the [load] settings, but load.target is empty",
                "set load.target to the service's URL (the one that routes by the flag)",
            ));
        }
    }
    if has(StageKind::Policy) {
        out.extend(cfg.policy.validate());
    }
    out.extend(cfg.share.validate());
    out.extend(crate::notify::validate(&cfg.notify));
    check_stages(cfg, &mut out);
    out
}

/// Stage ids, weights, kinds, the gate last, then the stage graph (only when
/// every stage reads well: the graph's messages would repeat those).
fn check_stages(cfg: &Config, out: &mut Vec<Problem>) {
    let mut ids = std::collections::HashSet::new();
    let n = cfg.stages.len();
    for (i, st) in cfg.stages.iter().enumerate() {
        let k = |f: &str| format!("stages[{i}].{f}");
        let valid_id = !st.id.is_empty()
            && st
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid_id {
            out.push(Problem::at(
                k("id"),
                format!("`{}` is not a valid stage id", st.id),
                "use lower-case letters, digits, - and _",
            ));
        } else if !ids.insert(st.id.as_str()) {
            out.push(Problem::at(
                k("id"),
                format!("duplicate stage id `{}`", st.id),
                "stage ids must be unique",
            ));
        }
        if !st.weight.is_finite() || st.weight < 0.0 {
            out.push(Problem::at(
                k("weight"),
                format!("{} is not a weight", st.weight),
                "use a number >= 0",
            ));
        }
        if !RUNNABLE_KINDS.contains(&st.kind) {
            out.push(Problem::at(
                k("kind"),
                format!(
                    "stage kind `{}` is not available in this build yet",
                    st.kind.as_str()
                ),
                "remove this stage or set enabled = false",
            ));
        }
        if st.kind == StageKind::Gate && i + 1 != n {
            out.push(Problem::at(
                k("kind"),
                "the gate stage must be the last stage",
                "move it to the end of [[stages]]",
            ));
        }
    }
    if out.iter().all(|p| !p.key.starts_with("stages[")) {
        out.extend(crate::engine::graph::check(&cfg.stages));
    }
    if n == 0 {
        out.push(Problem::at(
            "stages",
            "the run plan has no stages",
            "add [[stages]] entries, e.g. kind = \"environment\" and kind = \"gate\"",
        ));
    }
}
