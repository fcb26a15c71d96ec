//! Change impact applied before the graph runs: the selection (from
//! `crate::impact`) becomes a configuration with the intensified stages
//! stretched or stricter, and the set of stages that end skipped with
//! their reason instead of running.

use std::collections::HashMap;

use crate::core::event::StageKind;
use crate::core::impact::{ImpactEffect, ImpactSelection, Intensification};
use crate::engine::config::Config;
use crate::impact::PlannedStage;
use crate::load::RateStage;

/// The plan as change-impact selection sees it: ids, kinds, hard gates and
/// explicit needs.
pub fn planned(cfg: &Config) -> Vec<PlannedStage> {
    cfg.stages
        .iter()
        .filter(|s| s.enabled)
        .map(|s| PlannedStage {
            id: s.id.clone(),
            kind: s.kind,
            hard: s.hard,
            needs: s.needs.clone().unwrap_or_default(),
        })
        .collect()
}

/// The configuration with the selection's intensifications applied: load
/// stages run longer (within `load.max_duration_s`), canary metrics become
/// critical. Returns the notes on what changed.
pub fn intensify(cfg: &Config, sel: &ImpactSelection) -> (Config, Vec<String>) {
    let mut out = cfg.clone();
    let mut notes = Vec::new();
    for st in sel
        .stages
        .iter()
        .filter(|s| s.effect == ImpactEffect::Intensified)
    {
        let kind = cfg.stages.iter().find(|s| s.id == st.stage).map(|s| s.kind);
        for i in &st.intensify {
            match (i, kind) {
                (Intensification::LoadDuration { factor }, Some(StageKind::Load)) => {
                    let before = out.load.effective_duration_s();
                    let target = (before * factor).min(out.load.max_duration_s);
                    let scale = if before > 0.0 { target / before } else { 1.0 };
                    if out.load.duration_s.is_some() || out.load.stages.is_empty() {
                        out.load.duration_s = Some(target);
                    }
                    for s in &mut out.load.stages {
                        stretch(s, scale);
                    }
                    notes.push(format!(
                        "{}: load runs {:.0} s instead of {:.0} s{}",
                        st.stage,
                        target,
                        before,
                        if target < before * factor {
                            format!(
                                " (capped by load.max_duration_s {})",
                                out.load.max_duration_s
                            )
                        } else {
                            String::new()
                        }
                    ));
                }
                (Intensification::CriticalMetric { metric }, Some(StageKind::Canary)) => {
                    for m in out
                        .canary
                        .judge
                        .metrics
                        .iter_mut()
                        .filter(|m| &m.name == metric)
                    {
                        m.critical = true;
                    }
                    notes.push(format!("{}: metric \"{metric}\" is critical", st.stage));
                }
                _ => {}
            }
        }
    }
    (out, notes)
}

fn stretch(s: &mut RateStage, by: f64) {
    match s {
        RateStage::Ramp { duration_s, .. }
        | RateStage::Hold { duration_s }
        | RateStage::Step { duration_s, .. }
        | RateStage::Sine { duration_s, .. } => *duration_s *= by,
    }
}

/// The stages the selection skips, with why.
pub fn skips(sel: &ImpactSelection) -> HashMap<String, String> {
    sel.skipped()
        .map(|s| {
            (
                s.stage.clone(),
                format!("skipped by change impact: {}", s.reason),
            )
        })
        .collect()
}
