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
    if let Some(rec) = &r.recovered {
        let _ = writeln!(
            out,
            "The run crashed; {} at {}.",
            rec.recovery.line(),
            rec.at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    history_lines(&mut out, r);
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
    drills(&mut out, r);
    disaster_recovery(&mut out, r);
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
    impact_section(&mut out, r);
    capacity_section(&mut out, r);
    if !r.production.is_empty() {
        let _ = writeln!(out, "\n## Production outcome\n");
        for p in &r.production {
            let _ = writeln!(
                out,
                "- {} recorded by {}: {}",
                p.ts.format("%Y-%m-%d %H:%M"),
                p.actor,
                p.outcome.text()
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

/// The risk beside the score, and the score trend of recent releases.
fn history_lines(out: &mut String, r: &Report) {
    let Some(h) = &r.history else { return };
    if let Some(risk) = &h.risk {
        let _ = writeln!(
            out,
            "Risk **{}** ({}).",
            trim_num(risk.score),
            risk.level.badge()
        );
        for p in &risk.parts {
            let _ = writeln!(
                out,
                "- {}: {} of {} points ({})",
                p.factor.as_str(),
                trim_num(p.points),
                trim_num(p.max_points),
                p.detail
            );
        }
        if risk.requires_signoff {
            let _ = writeln!(
                out,
                "\n**A sign-off is required**: the risk is high (history.risk.require_signoff)."
            );
        }
    }
    if !h.scores.is_empty() {
        let scores: Vec<f64> = h.scores.iter().map(|p| p.score).collect();
        let _ = writeln!(
            out,
            "\nScore trend over the last {} runs: `{}` ({}).",
            scores.len(),
            crate::core::history::sparkline(&scores, false),
            scores
                .iter()
                .map(|s| trim_num(*s))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// The change and what it did to the plan, stage by stage.
fn impact_section(out: &mut String, r: &Report) {
    let Some(sel) = &r.change_impact else { return };
    let c = &sel.change;
    let _ = writeln!(
        out,
        "\n## Change impact\n\nChange `{}` ({}..{}): {} files, +{} -{} lines. {}.\n",
        c.range,
        c.base,
        c.head,
        c.files.len(),
        c.lines_added(),
        c.lines_removed(),
        if sel.full_plan {
            format!("Full plan: {}", sel.reason)
        } else {
            format!("Selected plan: {}", sel.reason)
        }
    );
    let _ = writeln!(
        out,
        "| stage | effect | rules | reason |\n|---|---|---|---|"
    );
    for s in &sel.stages {
        let extra: Vec<String> = s.intensify.iter().map(|i| i.text()).collect();
        let _ = writeln!(
            out,
            "| {} | {}{} | {} | {} |",
            cell(&s.stage),
            s.effect.mark(),
            if extra.is_empty() {
                String::new()
            } else {
                format!(" ({})", extra.join(", "))
            },
            cell(&s.rules.join(", ")),
            cell(&s.reason)
        );
    }
}

/// Each capacity search: the figures, then the curve as a table.
fn capacity_section(out: &mut String, r: &Report) {
    use crate::core::format::trim_num;
    for c in &r.capacity {
        let fig =
            |x: Option<f64>| x.map_or("none".to_string(), |v| format!("{}/s", trim_num(v.round())));
        let _ = writeln!(out, "\n## Capacity\n");
        let _ = writeln!(
            out,
            "{}: sustainable {}{}, knee {}, required {}/s x {} headroom, SLO {}. {}\n",
            c.verdict.badge(),
            fig(c.sustainable_rps),
            if c.bounded_by_max_rate {
                " (at max_rate)"
            } else {
                ""
            },
            fig(c.knee_rps),
            trim_num(c.required_rps),
            trim_num(c.headroom),
            cell(&c.slo.join(", ")),
            cell(&c.reason)
        );
        let _ = writeln!(
            out,
            "| # | offered | achieved | p50 | p95 | p99 | errors | step |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
        for s in &c.curve {
            let _ = writeln!(
                out,
                "| {} | {}/s | {:.0}/s | {} ms | {} ms | {} ms | {} ({:.2}%) | {} |",
                s.index,
                trim_num(s.rate_rps),
                s.achieved_rps,
                trim_num(s.p50_ms),
                trim_num(s.p95_ms),
                trim_num(s.p99_ms),
                s.errors,
                s.error_rate * 100.0,
                s.outcome.map_or("?", |o| o.as_str())
            );
        }
    }
    for t in &r.capacity_trend {
        let _ = writeln!(
            out,
            "\n**Capacity of `{}` against earlier runs:** {}/s, {:+.0}% from their median {}/s{}.",
            cell(&t.stage),
            trim_num(t.sustainable_rps.round()),
            t.change_pct,
            trim_num(t.median_rps.round()),
            if t.regressed {
                ": REGRESSION (below the trend by more than its tolerance and its own spread)"
            } else {
                ""
            }
        );
    }
}

/// The drills: verdict and summary, each objective against its bound, and
/// a failed rollback in words that cannot be missed.
fn drills(out: &mut String, r: &Report) {
    if r.drills.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Drills\n\n| drill | kind | verdict | summary |\n|---|---|---|---|"
    );
    for d in &r.drills {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&d.name),
            d.kind.as_str(),
            d.verdict.map(|v| v.badge()).unwrap_or("UNFINISHED"),
            cell(&d.summary)
        );
    }
    for d in &r.drills {
        if d.rollback_failed {
            let _ = writeln!(
                out,
                "\n**ROLLBACK FAILED in drill {}**: the system may be left in its faulted state.",
                d.name
            );
        }
        if d.results.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n### Objectives: {}\n\n| objective | measured | bound | verdict |\n|---|---|---|---|",
            d.name
        );
        for o in &d.results {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&o.objective.measure),
                o.measured
                    .map_or("not measured".into(), crate::core::drill::value_text),
                o.objective.bound_text(),
                o.verdict.badge()
            );
        }
    }
}

/// Each recovery drill's evidence: method, backup, restore, RTO, RPO,
/// integrity per table, the timeline.
fn disaster_recovery(out: &mut String, r: &Report) {
    for e in &r.disaster_recovery {
        let _ = writeln!(
            out,
            "\n### Disaster recovery: {} ({})\n\n| evidence | value |\n|---|---|",
            cell(&e.drill),
            e.verdict.map(|v| v.badge()).unwrap_or("UNFINISHED")
        );
        for (k, v) in super::dr::rows(e) {
            let _ = writeln!(out, "| {k} | {} |", cell(&v));
        }
        if !e.integrity.is_empty() {
            let _ = writeln!(
                out,
                "\n| table | expected count | restored count | expected checksum | restored checksum | integrity |\n|---|---|---|---|---|---|"
            );
            for t in &e.integrity {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {}{} |",
                    cell(&t.table),
                    t.expected_rows,
                    t.restored_rows,
                    cell(&super::dr::short_sum(&t.expected_sum)),
                    cell(&super::dr::short_sum(&t.restored_sum)),
                    if t.ok { "match" } else { "MISMATCH" },
                    if t.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", cell(&t.note))
                    }
                );
            }
        }
        if !e.timeline.is_empty() {
            let _ = writeln!(out, "\nTimeline: {}.", cell(&super::dr::timeline(e)));
        }
    }
}
