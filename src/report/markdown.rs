//! `report.md`: the run for humans (PR comments, tickets).

use std::fmt::Write;

use super::Report;
use crate::core::format::trim_num;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Render the report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let outcome = r.outcome.map(|o| o.badge()).unwrap_or("UNFINISHED");
    let _ = writeln!(out, "# {outcome}: {} {}\n", r.service, r.release);
    let _ = writeln!(
        out,
        "Environment **{}**, run `{}`, operator {}{}.\n",
        r.environment,
        r.run_id,
        r.operator_identity
            .as_ref()
            .map_or_else(|| r.operator.clone(), |a| a.described()),
        if r.read_only { " (read-only)" } else { "" }
    );
    if let (Some(score), Some(band)) = (r.score, r.band) {
        let _ = writeln!(
            out,
            "Readiness score **{}** ({}).",
            trim_num(score),
            band.badge()
        );
    }
    if let Some(why) = &r.rationale {
        let _ = writeln!(out, "Decision: {why}.");
    }
    if let Some(reason) = &r.end_reason {
        let _ = writeln!(out, "Ended early: {reason}.");
    }
    let _ = writeln!(
        out,
        "\n## Stages\n\n| stage | kind | verdict | summary |\n|---|---|---|---|"
    );
    for s in &r.stages {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&s.id),
            s.kind.as_str(),
            s.verdict.map(|v| v.badge()).unwrap_or("UNFINISHED"),
            cell(&s.summary)
        );
    }
    if !r.points_lost.is_empty() {
        let _ = writeln!(out, "\n## Points lost\n");
        for l in &r.points_lost {
            let _ = writeln!(out, "- -{} points: {}", trim_num(l.points), l.reason);
        }
    }
    for s in r.stages.iter().filter(|s| !s.evidence.is_empty()) {
        let _ = writeln!(
            out,
            "\n## Evidence: {}\n\n| check | found | criterion | verdict |\n|---|---|---|---|",
            s.id
        );
        for e in &s.evidence {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&e.label),
                cell(&e.value),
                cell(e.threshold.as_deref().unwrap_or("")),
                e.verdict.badge()
            );
        }
    }
    if let Some(a) = &r.apply_approval {
        let _ = writeln!(out, "\n## Apply approval\n");
        let c = &a.counts;
        let _ = writeln!(
            out,
            "Stage `{}` asked at {} to apply `{}`: {} to create, {} to update, {} to delete, {} to replace, {} output changes{}.\n",
            a.stage,
            a.requested_at.format("%H:%M:%S"),
            a.plan_file,
            c.create,
            c.update,
            c.delete,
            c.replace,
            a.output_changes,
            a.risk
                .map(|l| format!(", risk {}", l.badge()))
                .unwrap_or_default()
        );
        for d in &a.destructive {
            let _ = writeln!(out, "- **destructive**: `{d}`");
        }
        let _ = writeln!(out, "\n**{}**", a.outcome);
    }
    if !r.operator_actions.is_empty() {
        let _ = writeln!(out, "\n## Operator actions\n");
        for a in &r.operator_actions {
            let _ = writeln!(
                out,
                "- {} {} {}{}{}",
                a.ts.format("%H:%M:%S"),
                a.identity
                    .as_ref()
                    .map_or_else(|| a.actor.clone(), |i| i.described()),
                a.action,
                a.target
                    .as_deref()
                    .map(|t| format!(" {t}"))
                    .unwrap_or_default(),
                a.reason
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(v) = &r.signoffs {
        let _ = writeln!(out, "\n## Sign-offs\n");
        for n in &v.needed {
            match v.given_for(&n.role) {
                Some(g) => {
                    let _ = writeln!(
                        out,
                        "- {}: **{}** by {} (uid {}) at journal seq {}, report.json sha256 `{}`{}: {}",
                        n.role,
                        g.decision.as_str(),
                        g.actor.described(),
                        g.actor.uid.map_or("?".into(), |u| u.to_string()),
                        g.seen_seq,
                        g.report_sha256,
                        match &g.signature {
                            Some(s) if s.verified => ", SSH signature verified",
                            Some(_) => ", SSH signature not verified",
                            None => "",
                        },
                        g.comment
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "- {}: not signed ({}; may sign: {})",
                        n.role,
                        if n.required { "required" } else { "optional" },
                        n.who.join(", ")
                    );
                }
            }
        }
    }
    if !r.anomalies.is_empty() {
        let _ = writeln!(out, "\n## Journal anomalies\n");
        for a in &r.anomalies {
            let _ = writeln!(out, "- {a}");
        }
    }
    out
}
