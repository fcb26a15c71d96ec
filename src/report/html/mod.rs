//! `report.html`: the page a release manager opens from a chat message. One
//! self-contained file: inline CSS (allowed by its hash in a strict
//! Content-Security-Policy) and inline SVG, no script, no link, nothing to
//! fetch. Every string from outside is escaped ([`markup::esc`]).
//!
//! Like the other reports it is a function of the folded run state alone
//! (no clock, no randomness), so `replay --headless` writes it again byte
//! for byte.

mod capacity;
mod chart;
mod drills;
pub mod markup;
mod sections;
mod signoffs;
mod style;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::core::event::Outcome;
use crate::core::format::trim_num;
use crate::core::state::RunState;
use crate::report::Report;
use markup::{Table, badge, esc, para, section, verdict_badge};

/// The Content-Security-Policy of the page: nothing may load or run except
/// the page's own stylesheet, named by its hash.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style::CSS));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// The outcome's CSS class and badge text.
fn outcome_look(r: &Report) -> (&'static str, &'static str) {
    match r.outcome {
        Some(Outcome::Go) => ("go", "GO"),
        Some(Outcome::NoGo) => ("nogo", "NO-GO"),
        Some(Outcome::Inconclusive) => ("inc", "INCONCLUSIVE"),
        None => ("waiting", "UNFINISHED"),
    }
}

/// A UTC time as people read it in a report.
fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// The top of the page: what was validated, and the decision.
fn decision(r: &Report) -> String {
    let (class, text) = outcome_look(r);
    let mut out = format!("<header class=\"decision {class}\">");
    out.push_str(&para("kicker", "Flightdeck release validation"));
    out.push_str(&format!("<h1>{} {}</h1>", esc(&r.service), esc(&r.release)));
    let risk = r
        .risk
        .map(|k| format!(" ({})", k.as_str()))
        .unwrap_or_default();
    out.push_str(&para(
        "meta",
        &format!(
            "Environment {}{risk} · run {} · operator {}{}",
            r.environment.to_uppercase(),
            r.run_id,
            r.operator,
            if r.read_only { " · read-only" } else { "" }
        ),
    ));
    out.push_str(&para(
        "meta",
        &format!(
            "Started {} · finished {}{}",
            when(r.started_at),
            when(r.finished_at),
            r.duration_s
                .map(|d| format!(" · {}s", trim_num(d)))
                .unwrap_or_default()
        ),
    ));
    out.push_str(&format!("<p class=\"outcome\">{}</p>", badge(class, text)));
    if let (Some(score), Some(band)) = (r.score, r.band) {
        out.push_str(&format!(
            "<p class=\"score\">Readiness score {} / 100 {}</p>",
            esc(&trim_num(score)),
            verdict_badge(Some(band))
        ));
    }
    if let Some(why) = &r.rationale {
        out.push_str(&para("", &format!("Decision: {why}.")));
    }
    if let Some(reason) = &r.end_reason {
        out.push_str(&para("", &format!("Ended early: {reason}.")));
    }
    out.push_str("</header>\n");
    out
}

/// Every point lost, stage by stage.
fn points_lost(r: &Report) -> String {
    if r.points_lost.is_empty() {
        let text = if r.score.is_some() {
            "No point lost."
        } else {
            "The gate has not decided."
        };
        return section("lost", "Points lost", &para("empty", text));
    }
    let mut t = Table::new(&["stage", "points", "why"]);
    for l in &r.points_lost {
        t.row(&[
            esc(&l.stage),
            format!("-{}", esc(&trim_num(l.points))),
            esc(&l.reason),
        ]);
    }
    section("lost", "Points lost", &t.finish())
}

/// Render the run as one self-contained HTML page.
pub fn html(r: &Report, s: &RunState) -> String {
    let (_, text) = outcome_look(r);
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
        esc(&content_security_policy())
    ));
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n",
        esc(&format!(
            "{text}: {} {} on {} - Flightdeck",
            r.service, r.release, r.environment
        ))
    ));
    out.push_str(&format!(
        "<style>{}</style>\n</head>\n<body>\n<main>\n",
        style::CSS
    ));
    out.push_str(&decision(r));
    out.push_str(&points_lost(r));
    out.push_str(&sections::stages(r, s));
    out.push_str(&sections::latency(s));
    out.push_str(&capacity::capacity(&s.capacity));
    out.push_str(&sections::canary(s));
    out.push_str(&drills::drills(s));
    out.push_str(&sections::findings(s));
    out.push_str(&signoffs::signoffs(r));
    out.push_str(&sections::actions(r));
    out.push_str(&sections::appendix(r, s));
    out.push_str(&format!(
        "<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        esc(&format!(
            "Written by Flightdeck from the journal of run {} ({}). This page runs no script and loads nothing; `flightdeck replay --headless` writes it again from the journal.",
            r.run_id, r.schema
        ))
    ));
    out
}
