//! The capacity section of `report.html`: each search's curve (latency
//! against offered rate) as inline SVG with the SLO line and the required
//! peak, and the step table. Lines differ by dash as well as colour.

use std::fmt::Write;

use crate::core::capacity::{CapacityResult, CapacityStep, StepOutcome};
use crate::core::format::trim_num;
use crate::core::state::capacity::CapacityView;
use crate::report::html::markup::{Table, badge, esc, para, section, verdict_class};

const W: f64 = 720.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

fn n(x: f64) -> String {
    format!("{x:.1}")
}

fn latency_slo_ms(r: &CapacityResult) -> Option<f64> {
    r.slo
        .iter()
        .filter_map(|t| crate::load::Threshold::parse(t).ok())
        .find(|t| {
            t.endpoint.is_none()
                && matches!(
                    t.metric,
                    crate::load::threshold::Metric::P50
                        | crate::load::threshold::Metric::P95
                        | crate::load::threshold::Metric::P99
                )
        })
        .map(|t| t.value)
}

fn svg(r: &CapacityResult) -> String {
    let mut steps: Vec<&CapacityStep> = r
        .curve
        .iter()
        .filter(|s| !matches!(s.outcome, Some(StepOutcome::GeneratorLimited) | None))
        .collect();
    steps.sort_by(|a, b| a.rate_rps.total_cmp(&b.rate_rps));
    let slo = latency_slo_ms(r);
    let x_hi = r
        .curve
        .iter()
        .map(|s| s.rate_rps)
        .fold(r.required_rps, f64::max)
        .max(1.0)
        * 1.1;
    let raw = steps
        .iter()
        .map(|s| s.p99_ms)
        .chain(slo)
        .fold(1.0_f64, f64::max);
    let y_hi = slo.map_or(raw, |v| raw.min(v * 4.0)) * 1.1;
    let x = |v: f64| LEFT + v / x_hi * (W - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - v.min(y_hi) / y_hi) * (H - TOP - BOTTOM);
    let mut out = format!(
        "<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"cap-title\"><title id=\"cap-title\">Latency against offered rate: p50 solid, p95 dashed, p99 dotted; SLO and required peak marked</title>"
    );
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/><line class=\"axis\" x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\"/>",
        l = n(LEFT),
        r = n(W - RIGHT),
        t = n(TOP),
        b = n(H - BOTTOM)
    );
    for (f, class) in [(0.0, "start"), (0.5, "middle"), (1.0, "end")] {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{class}\">{}/s</text>",
            n(x(x_hi * f)),
            n(H - 10.0),
            trim_num((x_hi * f).round())
        );
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} ms</text>",
            n(LEFT - 4.0),
            n(y(y_hi * f) + 4.0),
            trim_num((y_hi * f * 10.0).round() / 10.0)
        );
    }
    let line = |f: fn(&CapacityStep) -> f64| -> String {
        steps
            .iter()
            .map(|s| format!("{},{}", n(x(s.rate_rps)), n(y(f(s)))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (f, class) in [
        (
            (|s: &CapacityStep| s.p50_ms) as fn(&CapacityStep) -> f64,
            "p50",
        ),
        (|s: &CapacityStep| s.p95_ms, "p95"),
        (|s: &CapacityStep| s.p99_ms, "p99"),
    ] {
        let _ = write!(out, "<polyline class=\"{class}\" points=\"{}\"/>", line(f));
    }
    if let Some(v) = slo {
        let _ = write!(
            out,
            "<line class=\"threshold\" x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">SLO {} ms</text>",
            n(LEFT),
            n(W - RIGHT),
            n(W - RIGHT),
            n(y(v) - 4.0),
            trim_num(v),
            yy = n(y(v))
        );
    }
    let _ = write!(
        out,
        "<line class=\"threshold\" x1=\"{xx}\" y1=\"{}\" x2=\"{xx}\" y2=\"{}\"/><text x=\"{}\" y=\"{}\">required {}/s</text>",
        n(TOP),
        n(H - BOTTOM),
        n(x(r.required_rps) + 4.0),
        n(TOP + 10.0),
        trim_num(r.required_rps),
        xx = n(x(r.required_rps))
    );
    out.push_str("</svg>");
    out
}

/// The section; empty when no stage ran a search.
pub fn capacity(views: &[CapacityView]) -> String {
    let results: Vec<(&str, &CapacityResult)> = views
        .iter()
        .filter_map(|v| v.result.as_ref().map(|r| (v.stage.as_str(), r)))
        .collect();
    if results.is_empty() {
        return String::new();
    }
    let fig =
        |x: Option<f64>| x.map_or("none".to_string(), |v| format!("{}/s", trim_num(v.round())));
    let mut body = String::new();
    for (stage, r) in results {
        let _ = write!(
            body,
            "<h3>Stage <code>{}</code> {}</h3>",
            esc(stage),
            badge(verdict_class(Some(r.verdict)), r.verdict.badge())
        );
        body.push_str(&para(
            "",
            &format!(
                "Sustainable {}{}, knee {}, required {}/s x {} headroom, SLO {}. {}",
                fig(r.sustainable_rps),
                if r.bounded_by_max_rate {
                    " (at max_rate)"
                } else {
                    ""
                },
                fig(r.knee_rps),
                trim_num(r.required_rps),
                trim_num(r.headroom),
                r.slo.join(", "),
                r.reason
            ),
        ));
        body.push_str(&svg(r));
        let mut t = Table::new(&[
            "#", "offered", "achieved", "p50", "p95", "p99", "errors", "lag p99", "step",
        ]);
        for s in &r.curve {
            t.row(&[
                s.index.to_string(),
                format!("{}/s", trim_num(s.rate_rps)),
                format!("{:.0}/s", s.achieved_rps),
                format!("{} ms", trim_num(s.p50_ms)),
                format!("{} ms", trim_num(s.p95_ms)),
                format!("{} ms", trim_num(s.p99_ms)),
                format!("{} ({:.2}%)", s.errors, s.error_rate * 100.0),
                format!("{} ms", trim_num(s.lag_p99_ms)),
                esc(s.outcome.map_or("?", StepOutcome::as_str)),
            ]);
        }
        body.push_str(&t.finish());
    }
    section("capacity", "Capacity", &body)
}
