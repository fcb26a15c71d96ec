//! The body of `report.html`, one function per section: stages, latency,
//! the canary, findings, people's actions, and the evidence appendix. Each
//! reads the report or the folded state and escapes whatever it quotes.

use std::fmt::Write;

use crate::core::format::trim_num;
use crate::core::scan::{Disposition, Severity};
use crate::core::state::RunState;
use crate::report::Report;
use crate::report::html::chart;
use crate::report::html::markup::{Table, badge, esc, para, section, verdict_badge};

fn ms(x: f64) -> String {
    format!("{x:.1} ms")
}

fn opt_num(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.digits$}"))
}

/// The stage timeline (SVG), then the stages as a table.
pub fn stages(r: &Report, s: &RunState) -> String {
    let mut body = String::new();
    if let Some(start) = s.started_at {
        let end = s.finished_at.or(s.last_ts).unwrap_or(start).max(start);
        body.push_str(&chart::timeline(&s.stages, start, end));
    }
    let mut t = Table::new(&["stage", "kind", "verdict", "time", "summary"]);
    for st in &r.stages {
        let hard = if st.hard { " (hard)" } else { "" };
        t.row(&[
            format!("<code>{}</code>{hard}", esc(&st.id)),
            esc(st.kind.as_str()),
            verdict_badge(st.verdict),
            st.duration_s
                .map_or_else(|| "-".into(), |d| format!("{}s", esc(&trim_num(d)))),
            esc(&st.summary),
        ]);
    }
    body.push_str(&t.finish());
    section("stages", "Stage timeline", &body)
}

/// One latency chart per stage that sent traffic, with its totals.
pub fn latency(s: &RunState) -> String {
    let series: Vec<_> = s.latency.iter().filter(|l| !l.points.is_empty()).collect();
    if series.is_empty() {
        return section(
            "latency",
            "Latency",
            &para("empty", "No stage of this run sent traffic."),
        );
    }
    let mut body = para(
        "meta",
        "Per second, from the load windows: p50 (solid), p95 (dashed), p99 (dotted), in milliseconds.",
    );
    for l in series {
        let requests: u64 = l.points.iter().map(|p| p.requests).sum();
        let errors: u64 = l.points.iter().map(|p| p.errors).sum();
        let worst = l
            .points
            .iter()
            .filter(|p| p.requests > 0)
            .map(|p| p.p99_ms)
            .fold(0.0, f64::max);
        let _ = write!(body, "<h3>Stage <code>{}</code></h3>", esc(&l.stage));
        body.push_str(&para(
            "",
            &format!(
                "{} seconds, {requests} requests, {errors} errors, worst p99 {}{}",
                l.points.len(),
                ms(worst),
                if l.thresholds.is_empty() {
                    String::new()
                } else {
                    format!("; thresholds: {}", l.thresholds.join(", "))
                }
            ),
        ));
        body.push_str(&chart::latency_chart(l));
    }
    section("latency", "Latency", &body)
}

/// The canary: flag, steps, each judged step with its metrics, and any
/// rollback.
pub fn canary(s: &RunState) -> String {
    let Some(c) = &s.canary else {
        return String::new();
    };
    let mut body = para(
        "",
        &format!(
            "Flag {} through {}: steps {} %, {}s per step; now {}.",
            c.flag,
            c.provider,
            c.steps
                .iter()
                .map(|p| trim_num(*p))
                .collect::<Vec<_>>()
                .join(" / "),
            c.hold_s,
            match c.percent {
                Some(p) if c.enabled => format!("{}%", trim_num(p)),
                Some(_) | None => "off".to_string(),
            }
        ),
    );
    if c.judged.is_empty() {
        body.push_str(&para("empty", "No step was judged."));
    }
    for j in &c.judged {
        let _ = write!(
            body,
            "<h3>Step {} at {}% {} <span class=\"meta\">score {}</span></h3>",
            j.index + 1,
            esc(&trim_num(j.percent)),
            verdict_badge(Some(j.judgement.verdict)),
            esc(&j.judgement.score.map_or("-".into(), trim_num))
        );
        body.push_str(&para("", &j.judgement.reason));
        let mut t = Table::new(&[
            "metric",
            "baseline median",
            "canary median",
            "shift (CI)",
            "p-value",
            "class",
            "verdict",
            "why",
        ]);
        for m in &j.judgement.metrics {
            let ci =
                m.ci.map(|(a, b)| format!(" ({a:.3} .. {b:.3})"))
                    .unwrap_or_default();
            t.row(&[
                format!(
                    "{}{}",
                    esc(&m.name),
                    if m.critical { " (critical)" } else { "" }
                ),
                opt_num(m.baseline_median, 3),
                opt_num(m.canary_median, 3),
                esc(&format!("{}{ci}", opt_num(m.shift, 3))),
                opt_num(m.p_value, 4),
                esc(&format!("{:?}", m.classification).to_uppercase()),
                verdict_badge(Some(m.verdict)),
                esc(&m.reason),
            ]);
        }
        body.push_str(&t.finish());
    }
    if let Some(a) = &c.auto {
        body.push_str(&para(
            "",
            &format!(
                "Automatic rollback announced: {}{}.",
                a.cause(),
                if a.held_by.is_empty() {
                    String::new()
                } else {
                    format!("; held by {}", a.held_by.join(", "))
                }
            ),
        ));
    }
    if let Some(rb) = &c.rollback {
        body.push_str(&para(
            "",
            &format!(
                "Rollback by {} ({}): {}{}.",
                rb.actor,
                rb.reason,
                match &rb.status {
                    crate::core::state::canary::RollbackStatus::Pending => "pending".to_string(),
                    crate::core::state::canary::RollbackStatus::Confirmed =>
                        "confirmed by the provider".to_string(),
                    crate::core::state::canary::RollbackStatus::Failed(e) => format!("failed: {e}"),
                },
                rb.elapsed_ms
                    .map(|e| format!(" in {}", ms(e)))
                    .unwrap_or_default()
            ),
        ));
    }
    section("canary", "Canary", &body)
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// Findings grouped by severity, most serious first, with how each counts.
pub fn findings(s: &RunState) -> String {
    if s.findings.is_empty() {
        return section("findings", "Findings", &para("empty", "No finding."));
    }
    let today = s.started_at.map(|t| t.date_naive()).unwrap_or_default();
    let mut body = String::from("<div class=\"counts\">");
    for sev in Severity::ALL {
        let n = s
            .findings
            .iter()
            .filter(|f| f.finding.severity == sev)
            .count();
        let _ = write!(
            body,
            "<span>{} {n}</span>",
            badge(severity_class(sev), sev.badge())
        );
    }
    body.push_str("</div>");
    for sev in Severity::ALL {
        let rows: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.finding.severity == sev)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            body,
            "<h3>{} ({})</h3>",
            badge(severity_class(sev), sev.badge()),
            rows.len()
        );
        let mut t = Table::new(&["rule", "title", "where", "tool", "new", "counts"]);
        for row in rows {
            let f = &row.finding;
            let counts = match f.disposition(today) {
                Disposition::Open { note: None } => "open".to_string(),
                Disposition::Open { note: Some(n) } => format!("open ({n})"),
                Disposition::Waived { reason } => format!("waived: {reason}"),
                Disposition::Fixed => "fixed".to_string(),
            };
            t.row(&[
                format!("<code>{}</code>", esc(&f.rule_id)),
                if f.message.is_empty() || f.message == f.title {
                    esc(&f.title)
                } else {
                    format!(
                        "{}<div class=\"meta\">{}</div>",
                        esc(&f.title),
                        esc(&f.message)
                    )
                },
                format!("<code>{}</code>", esc(&f.location.to_string())),
                esc(&f.tool),
                if f.is_new() { "new" } else { "known" }.to_string(),
                esc(&counts),
            ]);
        }
        body.push_str(&t.finish());
    }
    section("findings", "Findings by severity", &body)
}

/// What people did: operator actions and the apply approval.
pub fn actions(r: &Report) -> String {
    let mut body = String::new();
    if let Some(a) = &r.apply_approval {
        let c = &a.counts;
        body.push_str(&para(
            "",
            &format!(
                "Apply approval asked by stage {} at {} for {}: +{} ~{} -{} ±{}; {}.",
                a.stage,
                a.requested_at.format("%H:%M:%S"),
                a.plan_file,
                c.create,
                c.update,
                c.delete,
                c.replace,
                a.outcome
            ),
        ));
    }
    if r.operator_actions.is_empty() {
        body.push_str(&para("empty", "Nobody acted on the run."));
    } else {
        let mut t = Table::new(&["time", "who", "action", "on", "why"]);
        for a in &r.operator_actions {
            t.row(&[
                esc(&a.ts.format("%H:%M:%S").to_string()),
                esc(&a.actor),
                esc(a.action.as_str()),
                esc(a.target.as_deref().unwrap_or("")),
                esc(a.reason.as_deref().unwrap_or("")),
            ]);
        }
        body.push_str(&t.finish());
    }
    section("actions", "Operator actions", &body)
}

/// The evidence behind every verdict, health checks, policy results and
/// journal anomalies: as text, with no link.
pub fn appendix(r: &Report, s: &RunState) -> String {
    let mut body = String::new();
    for st in r.stages.iter().filter(|s| !s.evidence.is_empty()) {
        let _ = write!(body, "<h3>Stage <code>{}</code></h3>", esc(&st.id));
        let mut t = Table::new(&["check", "found", "criterion", "verdict"]);
        for e in &st.evidence {
            t.row(&[
                esc(&e.label),
                esc(&e.value),
                esc(e.threshold.as_deref().unwrap_or("")),
                verdict_badge(Some(e.verdict)),
            ]);
        }
        body.push_str(&t.finish());
    }
    if !r.health.is_empty() {
        body.push_str("<h3>Health checks</h3>");
        let mut t = Table::new(&["endpoint", "url", "status", "latency", "version", "verdict"]);
        for h in &r.health {
            t.row(&[
                esc(&h.endpoint),
                format!("<code>{}</code>", esc(&h.url)),
                h.status.map_or("-".into(), |c| c.to_string()),
                h.latency_ms.map_or("-".into(), ms),
                esc(h.version.as_deref().unwrap_or("-")),
                verdict_badge(Some(h.verdict)),
            ]);
        }
        body.push_str(&t.finish());
    }
    if !s.policies.is_empty() {
        body.push_str("<h3>Policies</h3>");
        let mut t = Table::new(&["policy", "rule", "outcome", "messages"]);
        for p in &s.policies {
            t.row(&[
                esc(&p.result.policy),
                esc(&p.result.rule),
                esc(p.result.outcome.badge()),
                esc(&p.result.messages.join("; ")),
            ]);
        }
        body.push_str(&t.finish());
    }
    if !r.anomalies.is_empty() {
        body.push_str("<h3>Journal anomalies</h3><ul>");
        for a in &r.anomalies {
            let _ = write!(body, "<li>{}</li>", esc(a));
        }
        body.push_str("</ul>");
    }
    if body.is_empty() {
        body = para("empty", "No evidence was recorded.");
    }
    section("appendix", "Appendix: evidence", &body)
}
