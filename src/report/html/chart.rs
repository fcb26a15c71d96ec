//! The report's pictures, drawn as inline SVG (no script, no image to
//! fetch): each stage's latency per second, and the stage timeline. Lines
//! differ by dash as well as colour, and every picture carries a title, so
//! that nothing is told by colour alone.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::core::format::trim_num;
use crate::core::state::{LatencyPoint, LatencySeries, StageState};
use crate::report::html::markup::{esc, verdict_class};

const W: f64 = 720.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// The smallest 1, 2 or 5 times a power of ten at or above `x` (at least 1).
fn nice_ceiling(x: f64) -> f64 {
    if !(x.is_finite()) || x <= 1.0 {
        return 1.0;
    }
    let pow = 10f64.powf(x.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * pow >= x {
            return m * pow;
        }
    }
    10.0 * pow
}

/// A tick step for a span of seconds: about five ticks, at round values.
fn second_step(span: f64) -> f64 {
    for s in [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0,
    ] {
        if span / s <= 6.0 {
            return s;
        }
    }
    1800.0
}

/// One number for an SVG coordinate: one decimal, stable across runs.
fn n(x: f64) -> String {
    format!("{x:.1}")
}

/// Which percentile of a point a line draws.
type Percentile = fn(&LatencyPoint) -> f64;

/// Polyline point lists for one percentile, broken where a second had no
/// completed request (its percentiles mean nothing).
fn segments(
    points: &[LatencyPoint],
    value: Percentile,
    x: impl Fn(u32) -> f64,
    y: impl Fn(f64) -> f64,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for p in points {
        if p.requests == 0 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        let _ = write!(cur, "{},{}", n(x(p.second)), n(y(value(p))));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The latency chart of one stage: p50, p95 and p99 per second, in ms.
pub fn latency_chart(series: &LatencySeries) -> String {
    let pts = &series.points;
    let first = pts.first().map_or(0, |p| p.second);
    let last = pts.last().map_or(1, |p| p.second).max(first + 1);
    let span = f64::from(last - first);
    let top = nice_ceiling(
        pts.iter()
            .filter(|p| p.requests > 0)
            .map(|p| p.p99_ms)
            .fold(0.0, f64::max),
    );
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |s: u32| LEFT + pw * f64::from(s - first) / span;
    let y = |ms: f64| TOP + ph * (1.0 - (ms / top).clamp(0.0, 1.0));
    let mut svg = format!(
        "<div class=\"scroll\"><svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\"><title>{}</title>",
        esc(&format!(
            "Latency of stage {} per second: p50, p95 and p99 in milliseconds",
            series.stage
        ))
    );
    for i in 0..=4 {
        let v = top * f64::from(i) / 4.0;
        let yy = y(v);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} ms</text>",
            n(LEFT),
            n(W - RIGHT),
            n(LEFT - 6.0),
            n(yy + 4.0),
            trim_num(v),
            y = n(yy),
        );
    }
    let step = second_step(span);
    let mut t = 0.0;
    while t <= span + 0.001 {
        let xx = LEFT + pw * t / span;
        let _ = write!(
            svg,
            "<line class=\"tick\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/><text class=\"axis\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}s</text>",
            n(H - BOTTOM),
            n(H - BOTTOM + 4.0),
            n(H - BOTTOM + 18.0),
            trim_num(t),
            x = n(xx),
        );
        t += step;
    }
    let lines: [(&str, Percentile); 3] = [
        ("p50", |p| p.p50_ms),
        ("p95", |p| p.p95_ms),
        ("p99", |p| p.p99_ms),
    ];
    for (name, value) in lines {
        for seg in segments(pts, value, x, y) {
            let _ = write!(svg, "<polyline class=\"line {name}\" points=\"{seg}\"/>");
        }
    }
    for (i, (name, _)) in lines.iter().enumerate() {
        let lx = W - RIGHT - 210.0 + 70.0 * i as f64;
        let _ = write!(
            svg,
            "<line class=\"line {name}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"legend\" x=\"{}\" y=\"{}\">{name}</text>",
            n(lx),
            n(TOP + 2.0),
            n(lx + 22.0),
            n(TOP + 2.0),
            n(lx + 26.0),
            n(TOP + 6.0),
        );
    }
    svg.push_str("</svg></div>");
    svg
}

const ROW: f64 = 24.0;
const LABEL: f64 = 120.0;
const BADGE: f64 = 120.0;

/// Seconds between two instants, never negative.
fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    ((b - a).num_milliseconds() as f64 / 1000.0).max(0.0)
}

/// The stage timeline: one bar per stage from its start to its end, on the
/// run's clock, with its verdict badge in text beside the bar.
pub fn timeline(stages: &[StageState], start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let span = secs(start, end).max(1.0);
    let h = TOP + ROW * stages.len() as f64 + BOTTOM;
    let pw = W - LABEL - BADGE;
    let x = |t: DateTime<Utc>| LABEL + pw * secs(start, t).min(span) / span;
    let mut svg = format!(
        "<div class=\"scroll\"><svg class=\"chart timeline\" viewBox=\"0 0 {W} {}\" role=\"img\"><title>Stage timeline: when each stage ran, and its verdict</title>",
        n(h)
    );
    let step = second_step(span);
    let mut t = 0.0;
    while t <= span + 0.001 {
        let xx = LABEL + pw * t / span;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/><text class=\"axis\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}s</text>",
            n(TOP - 4.0),
            n(h - BOTTOM),
            n(h - BOTTOM + 16.0),
            trim_num(t),
            x = n(xx),
        );
        t += step;
    }
    for (i, st) in stages.iter().enumerate() {
        let yy = TOP + ROW * i as f64;
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"4\" y=\"{}\">{}</text>",
            n(yy + 16.0),
            esc(&st.plan.id)
        );
        let (badge, x_end) = match st.started_at {
            Some(s0) => {
                let s1 = st.finished_at.unwrap_or(end);
                let (x0, x1) = (x(s0), x(s1).max(x(s0) + 2.0));
                let _ = write!(
                    svg,
                    "<rect class=\"bar {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>",
                    verdict_class(st.verdict),
                    n(x0),
                    n(yy + 4.0),
                    n(x1 - x0),
                    n(ROW - 8.0),
                );
                let label = format!(
                    "{} {}s",
                    st.verdict.map_or("UNFINISHED", |v| v.badge()),
                    trim_num(secs(s0, s1))
                );
                (label, x1)
            }
            None => (
                st.verdict.map_or("not run", |v| v.badge()).to_string(),
                LABEL,
            ),
        };
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{}\" y=\"{}\">{}</text>",
            n(x_end + 6.0),
            n(yy + 16.0),
            esc(&badge)
        );
    }
    svg.push_str("</svg></div>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_are_round() {
        assert_eq!(nice_ceiling(0.3), 1.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(41.0), 50.0);
        assert_eq!(nice_ceiling(88.0), 100.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
    }

    #[test]
    fn a_second_without_requests_breaks_the_line() {
        let p = |second, requests| LatencyPoint {
            second,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 3.0,
            requests,
            errors: 0,
        };
        let pts = [p(0, 5), p(1, 5), p(2, 0), p(3, 5)];
        let segs = segments(&pts, |p| p.p99_ms, f64::from, |v| v);
        assert_eq!(segs, ["0.0,3.0 1.0,3.0", "3.0,3.0"]);
    }
}
