//! The semantic pass: what the values mean. Each section checks itself
//! (`validate()`); this pass calls them in a fixed order, checks what only
//! the whole plan can tell (which stages are planned, the canary's traffic,
//! stage ids, the gate last, the stage graph), and leaves `source` empty for
//! the loader to fill in.

use crate::config::{Problem, Severity};
use crate::core::event::StageKind;

use super::Config;

/// Kinds this build can run. The others arrive with their own capabilities.
pub const RUNNABLE_KINDS: [StageKind; 8] = [
    StageKind::Environment,
    StageKind::Load,
    StageKind::Canary,
    StageKind::Scan,
    StageKind::Policy,
    StageKind::Drill,
    StageKind::Data,
    StageKind::Gate,
];

/// Checks of meaning: ranges, unique ids, URLs, plan order. `source` is left
/// empty; the caller fills it in.
///
/// The order of the problems is part of `check-config`'s output (the
/// corpus in `tests/invalid_configs` pins it): gate, ui, run, environment
/// (health, endpoints), scan, load, `[environment.iac]`, canary, policy,
/// share, notify, stages, then missing files and programs ([`check_paths`]).
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
    if has(StageKind::Data) {
        out.extend(cfg.data.validate());
    }
    out.extend(cfg.share.validate());
    out.extend(crate::notify::validate(&cfg.notify));
    let drill_stages: Vec<&str> = cfg
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Drill && s.enabled)
        .map(|s| s.id.as_str())
        .collect();
    if !drill_stages.is_empty() || !cfg.drill.is_empty() {
        out.extend(cfg.drill.validate(&drill_stages));
    }
    check_stages(cfg, &mut out);
    out.extend(cfg.history.validate());
    out.extend(cfg.impact.validate());
    check_impact_against_plan(cfg, &mut out);
    out.extend(check_paths(cfg));
    out
}

/// How much a missing file or program matters to the stages of `kind`:
/// an error when an enabled hard stage needs it (without it the stage
/// fails or cannot be judged, and so does the run), a warning when only
/// stages that are not hard do (the gate weighs them; the run goes on),
/// nothing when no enabled stage of that kind is planned.
fn severity_for(cfg: &Config, kind: StageKind) -> Option<Severity> {
    let mut planned = cfg.stages.iter().filter(|s| s.kind == kind && s.enabled);
    let first = planned.next()?;
    let hard = first.hard || planned.any(|s| s.hard);
    Some(if hard {
        Severity::Error
    } else {
        Severity::Warning
    })
}

/// Every file, directory and program the planned stages name that does not
/// exist (flag file, policy directory, IaC working directory and files,
/// terraform/tofu, SARIF files, secrets paths and rules, scanners), each
/// capability checking its own section. Values holding demo placeholders
/// are skipped: `flightdeck demo` fills them (and checks again).
pub fn check_paths(cfg: &Config) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(s) = severity_for(cfg, StageKind::Environment) {
        out.extend(cfg.environment.check_paths(s));
    }
    if let Some(s) = severity_for(cfg, StageKind::Scan) {
        out.extend(cfg.scan.check_paths(s));
    }
    if let Some(s) = severity_for(cfg, StageKind::Canary) {
        out.extend(cfg.canary.check_paths(s));
    }
    if let Some(s) = severity_for(cfg, StageKind::Policy) {
        out.extend(cfg.policy.check_paths(s));
    }
    out
}

/// Impact rules name stages of this plan, intensify them in ways their
/// kind allows, and name canary metrics that exist.
fn check_impact_against_plan(cfg: &Config, out: &mut Vec<Problem>) {
    let ids: Vec<&str> = cfg.stages.iter().map(|s| s.id.as_str()).collect();
    let kind_of = |id: &str| cfg.stages.iter().find(|s| s.id == id).map(|s| s.kind);
    let unknown = |key: String, id: &str| {
        Problem::at(
            key,
            format!("no stage `{id}` in the plan"),
            format!("use one of: {}", ids.join(", ")),
        )
    };
    for (i, r) in cfg.impact.rules.iter().enumerate() {
        for (j, id) in r.select.iter().enumerate() {
            if kind_of(id).is_none() {
                out.push(unknown(format!("impact.rules[{i}].select[{j}]"), id));
            }
        }
        for (j, spec) in r.intensify.iter().enumerate() {
            let key = |f: &str| format!("impact.rules[{i}].intensify[{j}].{f}");
            match kind_of(&spec.stage) {
                None => out.push(unknown(key("stage"), &spec.stage)),
                Some(kind) => {
                    if spec.duration_factor.is_some() && kind != StageKind::Load {
                        out.push(Problem::at(
                            key("duration_factor"),
                            format!(
                                "`{}` is of kind {}; only load stages run longer",
                                spec.stage,
                                kind.as_str()
                            ),
                            "intensify a load stage with duration_factor",
                        ));
                    }
                    if !spec.critical_metrics.is_empty() && kind != StageKind::Canary {
                        out.push(Problem::at(
                            key("critical_metrics"),
                            format!(
                                "`{}` is of kind {}; only canary metrics can be made critical",
                                spec.stage,
                                kind.as_str()
                            ),
                            "intensify a canary stage with critical_metrics",
                        ));
                    }
                    let names: Vec<&str> = cfg
                        .canary
                        .judge
                        .metrics
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect();
                    for (k, m) in spec.critical_metrics.iter().enumerate() {
                        if kind == StageKind::Canary && !names.contains(&m.as_str()) {
                            out.push(Problem::at(
                                format!("impact.rules[{i}].intensify[{j}].critical_metrics[{k}]"),
                                format!("no canary metric named `{m}`"),
                                format!("use one of: {}", names.join(", ")),
                            ));
                        }
                    }
                }
            }
        }
    }
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
