//! The selection in words: what `flightdeck plan --changes` prints, and
//! what the reports state.

use std::fmt::Write as _;

use crate::core::impact::{ImpactEffect, ImpactSelection};

/// The plan and its reasons, one stage per line.
pub fn plan_text(sel: &ImpactSelection) -> String {
    let c = &sel.change;
    let mut out = format!(
        "change {} ({}..{}): {} file{} +{} -{}\n",
        c.range,
        c.base,
        c.head,
        c.files.len(),
        if c.files.len() == 1 { "" } else { "s" },
        c.lines_added(),
        c.lines_removed()
    );
    for f in &c.files {
        let from = f
            .renamed_from
            .as_deref()
            .map(|o| format!(" (renamed from {o})"))
            .unwrap_or_default();
        let lines = if f.binary {
            "binary".to_string()
        } else {
            format!("+{} -{}", f.added, f.removed)
        };
        let _ = writeln!(out, "  {lines:>12}  {}{from}", f.path);
    }
    if sel.matched.is_empty() {
        let _ = writeln!(out, "rules matched: none");
    } else {
        let _ = writeln!(out, "rules matched:");
        for m in &sel.matched {
            let _ = writeln!(
                out,
                "  {} ({} file{}): {}",
                m.rule,
                m.files,
                if m.files == 1 { "" } else { "s" },
                m.reason
            );
        }
    }
    let _ = writeln!(
        out,
        "plan: {}\n",
        if sel.full_plan {
            format!("full plan ({})", sel.reason)
        } else {
            sel.reason.clone()
        }
    );
    let width = sel
        .stages
        .iter()
        .map(|s| s.stage.len())
        .max()
        .unwrap_or(5)
        .max(5);
    for s in &sel.stages {
        let extra: Vec<String> = s.intensify.iter().map(|i| i.text()).collect();
        let rules = if s.rules.is_empty() {
            String::new()
        } else {
            format!(" [{}]", s.rules.join(", "))
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {:<11}{}{}{}",
            s.stage,
            s.effect.mark(),
            rules,
            if extra.is_empty() {
                String::new()
            } else {
                format!(" {}", extra.join(", "))
            },
            if s.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", s.reason)
            }
        );
    }
    let skipped = sel
        .stages
        .iter()
        .filter(|s| s.effect == ImpactEffect::Skipped)
        .count();
    let _ = writeln!(
        out,
        "\n{} stage{} run, {} skipped; the gate decides on the stages that run",
        sel.stages.len() - skipped,
        if sel.stages.len() - skipped == 1 {
            ""
        } else {
            "s"
        },
        skipped
    );
    out
}
