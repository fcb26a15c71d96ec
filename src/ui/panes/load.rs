//! Pane 3, Load: live figures in the title, a latency chart (p50/p95/p99
//! per second with the SLO line), target vs achieved rate with the error
//! rate, the generator's schedule lag, and a per-endpoint table. Drawn from
//! `app.view()`, so freezing the view freezes the charts too.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::core::event::StageKind;
use crate::core::load::Summary;
use crate::core::state::{LoadView, RunState, StageStatus};
use crate::core::verdict::Verdict;
use crate::load::threshold::{Metric, Op};
use crate::load::{Threshold, Window};
use crate::ui::app::App;
use crate::ui::panes::load_chart::{
    latency_legend, render_error_line, render_latency_chart, render_rate_chart,
};
use crate::ui::panes::{
    Pane, capability_message, fmt_short_duration, header_style, pane_block, render_message,
    verdict_span,
};
use crate::ui::theme::Item;

/// Lag p99 above which the generator is behind its schedule.
pub const LAG_LIMIT_MS: f64 = 10.0;

/// Milliseconds as shown in the pane: `4.2ms`, `41ms`, `1.25s`.
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms < 10.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{ms:.0}ms")
    }
}

/// A rate as shown in the pane: `950`, `1.9k`.
pub fn fmt_rate(rps: f64) -> String {
    if rps >= 1000.0 {
        format!("{:.1}k", rps / 1000.0)
    } else {
        format!("{rps:.0}")
    }
}

fn fmt_pct(errors: u64, requests: u64) -> String {
    if requests == 0 {
        return "-".into();
    }
    let pct = errors as f64 * 100.0 / requests as f64;
    if pct > 0.0 && pct < 0.1 {
        format!("{pct:.2}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// The figures of the title: latest window while running, the summary once finished.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// Median, ms.
    pub p50: f64,
    /// p95, ms.
    pub p95: f64,
    /// p99, ms.
    pub p99: f64,
    /// Completed requests per second.
    pub rps: f64,
    /// Requests counted.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// From the summary (the load has finished).
    pub final_: bool,
}

fn summary_figures(s: &Summary) -> Figures {
    Figures {
        p50: s.latency.p50_ms,
        p95: s.latency.p95_ms,
        p99: s.latency.p99_ms,
        rps: s.requests_per_sec,
        requests: s.requests,
        errors: s.errors,
        final_: true,
    }
}

/// Figures of a load view, if it has any data.
pub fn figures(load: &LoadView) -> Option<Figures> {
    if let Some(s) = &load.summary {
        return Some(summary_figures(s));
    }
    load.windows.back().map(|w| Figures {
        p50: w.p50_ms,
        p95: w.p95_ms,
        p99: w.p99_ms,
        rps: w.achieved_rps,
        requests: w.requests,
        errors: w.errors,
        final_: false,
    })
}

/// The latency objective drawn as a line: the first whole-traffic p50, p95
/// or p99 threshold (parsed with the load engine's own parser).
pub fn latency_slo(load: &LoadView) -> Option<Threshold> {
    load.thresholds
        .iter()
        .filter_map(|t| Threshold::parse(t).ok())
        .find(|t| {
            t.endpoint.is_none() && matches!(t.metric, Metric::P50 | Metric::P95 | Metric::P99)
        })
}

/// `p95<150ms`: a threshold in the pane's short form.
pub fn slo_label(t: &Threshold) -> String {
    let metric = match t.metric {
        Metric::P50 => "p50",
        Metric::P95 => "p95",
        _ => "p99",
    };
    let op = match t.op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    };
    format!("{metric}{op}{}", fmt_ms(t.value))
}

/// The figures the title shows: the latest second while traffic runs;
/// once it has stopped, the final summary of the last load stage that
/// finished (a last window says nothing of the run, and an idle one reads
/// as a dead target), with that stage's id when the chart shows another
/// stage's traffic (a canary's).
pub fn title_figures(state: &RunState, load: &LoadView) -> Option<(Figures, Option<String>)> {
    let live = load.summary.is_none()
        && state
            .stage(&load.stage)
            .is_some_and(|s| s.status == StageStatus::Running);
    if !live && let Some((stage, summary)) = &state.load_summary {
        let other = (stage != &load.stage).then(|| stage.clone());
        return Some((summary_figures(summary), other));
    }
    figures(load).map(|f| (f, None))
}

/// The title text after the pane name: live figures, or `final: ...` once
/// the load has stopped.
pub fn title_text(state: &RunState, load: &LoadView) -> String {
    let mut parts = Vec::new();
    if let Some((f, stage)) = title_figures(state, load) {
        let mark = match (f.final_, stage) {
            (false, _) => String::new(),
            (true, None) => "final: ".to_string(),
            (true, Some(stage)) => format!("final ({stage}): "),
        };
        parts.push(format!(
            "{mark}p50 {} p95 {} p99 {} {} rps err {}",
            fmt_ms(f.p50),
            fmt_ms(f.p95),
            fmt_ms(f.p99),
            fmt_rate(f.rps),
            fmt_pct(f.errors, f.requests)
        ));
    }
    if let Some(t) = latency_slo(load) {
        parts.push(format!("SLO {}", slo_label(&t)));
    }
    parts.join("  ")
}

/// The windows the chart shows: the last `span` seconds (from the newest window).
pub fn chart_range(load: &LoadView, span: u32) -> (f64, f64) {
    let last = load.windows.back().map_or(0, |w| w.second);
    let hi = f64::from(last.max(span));
    (hi - f64::from(span), hi)
}

/// Windows within the chart's range.
pub fn windows_in(load: &LoadView, span: u32) -> Vec<&Window> {
    let (lo, _) = chart_range(load, span);
    load.windows
        .iter()
        .filter(|w| f64::from(w.second) >= lo)
        .collect()
}

/// One endpoint row: name, rps, p50, p95, p99, errors.
struct EndpointRow {
    name: String,
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    errors: u64,
    requests: u64,
}

fn endpoint_rows(load: &LoadView) -> Vec<EndpointRow> {
    if let Some(s) = &load.summary {
        let secs = s.duration_s.max(1e-9);
        return s
            .endpoints
            .iter()
            .map(|e| EndpointRow {
                name: e.name.clone(),
                rps: e.requests as f64 / secs,
                p50: e.latency.p50_ms,
                p95: e.latency.p95_ms,
                p99: e.latency.p99_ms,
                errors: e.errors,
                requests: e.requests,
            })
            .collect();
    }
    load.windows.back().map_or_else(Vec::new, |w| {
        w.endpoints
            .iter()
            .map(|e| EndpointRow {
                name: e.name.clone(),
                rps: e.requests as f64,
                p50: e.p50_ms,
                p95: e.p95_ms,
                p99: e.p99_ms,
                errors: e.errors,
                requests: e.requests,
            })
            .collect()
    })
}

/// The verdict the load stage's evidence gives one endpoint: its scoped
/// thresholds (`threshold NAME: ...`) and baseline scope (`baseline NAME`).
pub fn endpoint_verdict(state: &RunState, stage: &str, name: &str) -> Option<Verdict> {
    let st = state.stage(stage)?;
    let scoped = format!("threshold {name}:");
    let baseline = format!("baseline {name}");
    st.evidence
        .iter()
        .filter(|e| e.label.starts_with(&scoped) || e.label == baseline)
        .map(|e| e.verdict)
        .reduce(Verdict::worst)
}

/// The schedule-lag gauge line, with the SATURATED badge when the newest
/// window could not keep the rate.
fn lag_line(app: &App, load: &LoadView) -> Line<'static> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let latest = load.windows.back();
    let lag = latest.map_or(0.0, |w| w.lag_p99_ms);
    let cells = 10usize;
    let filled = ((lag / LAG_LIMIT_MS).clamp(0.0, 1.0) * cells as f64).round() as usize;
    let (on, off) = if app.ascii {
        ("#", "-")
    } else {
        ("█", "░")
    };
    let gauge_item = if lag > LAG_LIMIT_MS {
        Item::Fail
    } else if lag > LAG_LIMIT_MS / 2.0 {
        Item::Warn
    } else {
        Item::Pass
    };
    let mut spans = vec![
        Span::styled(format!("lag p99 {} ", fmt_ms(lag)), text),
        Span::styled("[", muted),
        Span::styled(on.repeat(filled), theme.style(gauge_item)),
        Span::styled(off.repeat(cells - filled), muted),
        Span::styled(format!("] of {}", fmt_ms(LAG_LIMIT_MS)), muted),
    ];
    if latest.is_some_and(|w| w.saturated) {
        spans.push(Span::raw("  "));
        spans.push(Span::styled("SATURATED", theme.style(Item::Fail)));
    }
    let saturated = load.windows.iter().filter(|w| w.saturated).count();
    let elapsed = latest.map_or(0, |w| i64::from(w.second));
    spans.push(Span::styled(
        format!(
            "  sat {saturated}/{}s  {} {} conn  {}/{}  span {}s",
            load.windows.len(),
            load.model,
            load.connections,
            fmt_short_duration(elapsed),
            fmt_short_duration(load.duration_s.round() as i64),
            app.chart_span()
        ),
        muted,
    ));
    Line::from(spans)
}

/// Bars of an endpoint's p95 trend in the table (earlier runs, then this one).
const TREND_BARS: usize = 8;
/// The trend column: the bars and a regression mark such as ` ▲+67%`.
const TREND_WIDTH: u16 = 15;

/// An endpoint's p95 over earlier runs with this run's last, and the mark
/// of a regression against that trend: `▂▃▂▅ ▲+35%`.
pub fn p95_trend_text(app: &App, name: &str, p95: f64) -> Option<(String, bool)> {
    let state = app.view();
    let t = state.p95_trend(name)?;
    let mut values: Vec<f64> = t.points.iter().map(|p| p.value).collect();
    // The newest earlier runs that fit beside the mark, then this run.
    let keep = TREND_BARS - 1;
    if values.len() > keep {
        values.drain(..values.len() - keep);
    }
    values.push(p95);
    let mut text = crate::core::history::sparkline(&values, app.ascii);
    let check = state.p95_against_trend(name, p95);
    let regressed = check.is_some_and(|c| c.regressed);
    if let Some(c) = check.filter(|c| c.regressed) {
        let up = if app.ascii { "^" } else { "▲" };
        text.push_str(&format!(" {up}{:+.0}%", c.change_pct));
    }
    Some((text, regressed))
}

fn endpoint_table(app: &App, load: &LoadView) -> Table<'static> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let trends = app
        .view()
        .history
        .as_ref()
        .is_some_and(|h| !h.p95.is_empty());
    let rows: Vec<Row> = endpoint_rows(load)
        .into_iter()
        .map(|e| {
            let verdict = endpoint_verdict(app.view(), &load.stage, &e.name)
                .map_or_else(|| Span::raw(""), |v| verdict_span(app, v));
            let trend = p95_trend_text(app, &e.name, e.p95);
            let mut cells = vec![
                Cell::from(Span::styled(e.name, text)),
                Cell::from(Span::styled(fmt_rate(e.rps), text)),
            ];
            // With trends the row keeps p95 (what the trend follows) and
            // leaves p50 and p99 to the title and the chart.
            if !trends {
                cells.push(Cell::from(Span::styled(fmt_ms(e.p50), text)));
            }
            cells.push(Cell::from(Span::styled(fmt_ms(e.p95), text)));
            if !trends {
                cells.push(Cell::from(Span::styled(fmt_ms(e.p99), text)));
            }
            cells.push(Cell::from(Span::styled(
                format!("{} {}", e.errors, fmt_pct(e.errors, e.requests)),
                text,
            )));
            if trends {
                let (t, regressed) = trend.unwrap_or_default();
                let item = if regressed { Item::Fail } else { Item::Muted };
                cells.push(Cell::from(Span::styled(t, theme.style(item))));
            }
            cells.push(Cell::from(verdict));
            Row::new(cells)
        })
        .collect();
    let (widths, names): (Vec<Constraint>, Vec<&str>) = if trends {
        (
            vec![
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Length(10),
                Constraint::Length(TREND_WIDTH),
                Constraint::Length(7),
            ],
            vec!["endpoint", "rps", "p95", "errors", "p95 trend", "verdict"],
        )
    } else {
        (
            vec![
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(10),
                Constraint::Length(7),
            ],
            vec!["endpoint", "rps", "p50", "p95", "p99", "errors", "verdict"],
        )
    };
    Table::new(rows, widths).header(Row::new(names).style(header_style(app)))
}

/// Draw the Load pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let state = app.view();
    if !state.has_stage_kind(StageKind::Load) {
        let text = capability_message(state, StageKind::Load);
        render_message(frame, area, app, Pane::Load, &text);
        return;
    }
    let Some(load) = state.load.as_ref().filter(|l| {
        !l.windows.is_empty() || l.summary.is_some() || state.capacity_of(&l.stage).is_some()
    }) else {
        render_message(
            frame,
            area,
            app,
            Pane::Load,
            "load stage planned: waiting for data.",
        );
        return;
    };
    if let Some(cap) = state.capacity_of(&load.stage) {
        crate::ui::panes::capacity_chart::render(frame, area, app, load, cap);
        return;
    }
    let mut title = title_text(state, load);
    if let Some(c) = figures(load)
        .filter(|f| f.final_)
        .and_then(|f| state.p95_against_trend("all", f.p95))
        .filter(|c| c.regressed)
    {
        title.push_str(&format!("  p95 {:+.0}% above trend", c.change_pct));
    }
    let block = pane_block(app, Pane::Load, &title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let endpoints = endpoint_rows(load).len() as u16;
    let table_h = if endpoints == 0 {
        0
    } else {
        (endpoints + 1).min(8)
    };
    const CHART_MIN: u16 = 8;
    const RATE_H: u16 = 6;
    let body = inner.height.saturating_sub(2);
    let side_by_side = inner.width >= 100;
    let (show_rate, show_table, bottom_h) = if side_by_side {
        let h = RATE_H.max(table_h);
        let fits = body >= CHART_MIN + h;
        (fits, fits && table_h > 0, if fits { h } else { 0 })
    } else {
        let rate = body >= CHART_MIN + RATE_H;
        let table = table_h > 0 && body >= CHART_MIN + RATE_H * u16::from(rate) + table_h;
        let h = RATE_H * u16::from(rate) + if table { table_h } else { 0 };
        (rate, table, h)
    };
    let [lag_area, legend_area, chart_area, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(bottom_h),
    ])
    .areas(inner);
    let generator = match &load.workers {
        Some(pool) => super::load_workers::workers_line(app, load, pool),
        None => lag_line(app, load),
    };
    frame.render_widget(Paragraph::new(generator), lag_area);
    frame.render_widget(Paragraph::new(latency_legend(app, load)), legend_area);
    render_latency_chart(frame, chart_area, app, load);
    let (rate_area, table_area) = if side_by_side {
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(1)
            .areas(bottom);
        (l, r)
    } else {
        let [r, t] = Layout::vertical([
            Constraint::Length(if show_rate { RATE_H } else { 0 }),
            Constraint::Fill(1),
        ])
        .areas(bottom);
        (r, t)
    };
    if show_rate {
        let [chart, err] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(rate_area);
        render_rate_chart(frame, chart, app, load);
        render_error_line(frame, err, app, load);
    }
    if show_table {
        frame.render_widget(endpoint_table(app, load), table_area);
    }
}
