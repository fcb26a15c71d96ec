//! The Load pane during a capacity search: latency against offered rate,
//! one point per judged step, with the SLO line and the required peak
//! marked, a status line, and the curve's table when there is room.
//! Every series has its own marker as well as its colour (mono reads too).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use crate::core::capacity::{CapacityStep, StepOutcome};
use crate::core::state::LoadView;
use crate::core::state::capacity::CapacityView;
use crate::ui::app::App;
use crate::ui::panes::load::{fmt_ms, fmt_rate, latency_slo, slo_label};
use crate::ui::panes::load_chart::{asciify, marker_glyph, series_markers};
use crate::ui::panes::{Pane, pane_block, verdict_item};
use crate::ui::theme::Item;

/// Latency above this many times the SLO is drawn at the top edge, so a
/// queue's seconds do not flatten the part of the curve that matters.
const Y_CAP_SLO: f64 = 4.0;

fn fig(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{}/s", fmt_rate(v)))
}

/// The pane title's figures.
pub fn title(cap: &CapacityView, load: &LoadView) -> String {
    let slo = latency_slo(load)
        .map(|t| format!("  SLO {}", slo_label(&t)))
        .unwrap_or_default();
    match &cap.result {
        Some(r) => format!(
            "capacity {}  sustainable {}  knee {}  required {}/s x{:.2}{slo}",
            r.verdict.badge(),
            fig(r.sustainable_rps),
            fig(r.knee_rps),
            fmt_rate(r.required_rps),
            r.headroom
        ),
        None => match cap.steps.last() {
            Some(s) => format!(
                "capacity search  step {} at {}/s  p99 {}  required {}/s{slo}",
                s.index,
                fmt_rate(s.rate_rps),
                fmt_ms(s.p99_ms),
                fmt_rate(cap.required_rps)
            ),
            None => format!(
                "capacity search  required {}/s{slo}",
                fmt_rate(cap.required_rps)
            ),
        },
    }
}

/// The sustainable rate against earlier runs' (history): `  ▼-18% vs
/// trend` when it fell below the trend, nothing otherwise.
fn trend_mark(app: &App, cap: &CapacityView) -> String {
    let Some(v) = cap.result.as_ref().and_then(|r| r.sustainable_rps) else {
        return String::new();
    };
    match app.view().capacity_against_trend(&cap.stage, v) {
        Some(c) if c.regressed => {
            let down = if app.ascii { "v" } else { "▼" };
            format!("  {down}{:+.0}% vs trend", c.change_pct)
        }
        _ => String::new(),
    }
}

/// Draw the capacity pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App, load: &LoadView, cap: &CapacityView) {
    let mut heading = title(cap, load);
    heading.push_str(&trend_mark(app, cap));
    let block = pane_block(app, Pane::Load, &heading);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let table_rows = cap.steps.len().min(8) as u16;
    let table_h = if inner.height >= 16 {
        table_rows + 1
    } else {
        0
    };
    let [status, legend, chart, table] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(table_h),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(status_line(app, cap)), status);
    frame.render_widget(Paragraph::new(legend_line(app, load)), legend);
    render_curve(frame, chart, app, load, cap);
    if table_h > 0 {
        frame.render_widget(Paragraph::new(table_lines(app, cap)), table);
    }
}

fn status_line(app: &App, cap: &CapacityView) -> Line<'static> {
    let theme = app.theme();
    match &cap.result {
        Some(r) => Line::from(vec![
            Span::styled(
                format!("{} ", r.verdict.badge()),
                theme.style(verdict_item(r.verdict)),
            ),
            Span::styled(r.reason.clone(), theme.style(Item::Text)),
        ]),
        None => Line::from(Span::styled(
            match cap.steps.last() {
                Some(s) => format!(
                    "searching: step {} {}/s {} (lag p99 {})",
                    s.index,
                    fmt_rate(s.rate_rps),
                    s.outcome.map_or("?", StepOutcome::as_str),
                    fmt_ms(s.lag_p99_ms)
                ),
                None => "searching: first step running".into(),
            },
            theme.style(Item::Muted),
        )),
    }
}

fn required_marker(ascii: bool) -> Marker {
    Marker::Custom(if ascii { '|' } else { '┊' })
}

fn legend_line(app: &App, load: &LoadView) -> Line<'static> {
    let theme = app.theme();
    let [m50, m95, m99, mslo] = series_markers(app.ascii);
    let mut spans = Vec::new();
    let mut entry = |name: String, m: Marker, item: Item| {
        spans.push(Span::styled(format!("{name} "), theme.style(Item::Muted)));
        spans.push(Span::styled(
            marker_glyph(m).to_string().repeat(3),
            theme.style(item),
        ));
        spans.push(Span::raw("  "));
    };
    entry("p50".into(), m50, Item::ChartP50);
    entry("p95".into(), m95, Item::ChartP95);
    entry("p99".into(), m99, Item::ChartP99);
    if let Some(t) = latency_slo(load) {
        entry(format!("SLO {}", slo_label(&t)), mslo, Item::ChartThreshold);
    }
    entry("required".into(), required_marker(app.ascii), Item::Warn);
    spans.push(Span::styled("x: offered rate/s", theme.style(Item::Muted)));
    Line::from(spans)
}

fn judged(cap: &CapacityView) -> Vec<&CapacityStep> {
    let mut v: Vec<&CapacityStep> = cap
        .steps
        .iter()
        .filter(|s| !matches!(s.outcome, Some(StepOutcome::GeneratorLimited) | None))
        .collect();
    v.sort_by(|a, b| a.rate_rps.total_cmp(&b.rate_rps));
    v
}

fn render_curve(frame: &mut Frame, area: Rect, app: &App, load: &LoadView, cap: &CapacityView) {
    let theme = app.theme();
    let steps = judged(cap);
    let slo = latency_slo(load);
    let x_hi = steps
        .iter()
        .map(|s| s.rate_rps)
        .chain(cap.steps.iter().map(|s| s.rate_rps))
        .fold(cap.required_rps, f64::max)
        * 1.1;
    let raw_top = steps
        .iter()
        .map(|s| s.p99_ms)
        .chain(slo.iter().map(|t| t.value))
        .fold(1.0_f64, f64::max);
    let top = match &slo {
        Some(t) => raw_top.min(t.value * Y_CAP_SLO),
        None => raw_top,
    } * 1.1;
    let series = |f: fn(&CapacityStep) -> f64| -> Vec<(f64, f64)> {
        steps.iter().map(|s| (s.rate_rps, f(s).min(top))).collect()
    };
    let (p50, p95, p99) = (
        series(|s| s.p50_ms),
        series(|s| s.p95_ms),
        series(|s| s.p99_ms),
    );
    let slo_line: Vec<(f64, f64)> = slo
        .iter()
        .flat_map(|t| [(0.0, t.value), (x_hi, t.value)])
        .collect();
    let steps_y = 24;
    let required: Vec<(f64, f64)> = (0..=steps_y)
        .map(|i| (cap.required_rps, top * f64::from(i) / f64::from(steps_y)))
        .collect();
    let [m50, m95, m99, mslo] = series_markers(app.ascii);
    let ds = |name: &str, m: Marker, item: Item, g: GraphType, data| {
        Dataset::default()
            .name(name.to_string())
            .marker(m)
            .graph_type(g)
            .style(theme.style(item))
            .data(data)
    };
    let mut datasets = vec![
        ds(
            "required",
            required_marker(app.ascii),
            Item::Warn,
            GraphType::Scatter,
            &required,
        ),
        ds("p50", m50, Item::ChartP50, GraphType::Line, &p50),
        ds("p95", m95, Item::ChartP95, GraphType::Line, &p95),
        ds("p99", m99, Item::ChartP99, GraphType::Line, &p99),
    ];
    if slo.is_some() {
        datasets.push(ds(
            "SLO",
            mslo,
            Item::ChartThreshold,
            GraphType::Line,
            &slo_line,
        ));
    }
    let muted = theme.style(Item::Muted);
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, x_hi])
                .labels([
                    Span::styled("0", muted),
                    Span::styled(fmt_rate(x_hi / 2.0), muted),
                    Span::styled(format!("{}/s", fmt_rate(x_hi)), muted),
                ])
                .style(muted),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([
                    Span::styled("0", muted),
                    Span::styled(fmt_ms(top / 2.0), muted),
                    Span::styled(fmt_ms(top), muted),
                ])
                .style(muted),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
    if app.ascii {
        asciify(frame, area);
    }
}

fn table_lines(app: &App, cap: &CapacityView) -> Vec<Line<'static>> {
    let theme = app.theme();
    let mut out = vec![Line::from(Span::styled(
        format!(
            "{:>3} {:>8} {:>8} {:>7} {:>7} {:>7} {:>6} {}",
            "#", "offered", "achieved", "p50", "p95", "p99", "err", "step"
        ),
        theme.style(Item::Muted),
    ))];
    let skip = cap.steps.len().saturating_sub(8);
    for s in cap.steps.iter().skip(skip) {
        let item = match s.outcome {
            Some(StepOutcome::WithinSlo) => Item::Pass,
            Some(StepOutcome::Breached | StepOutcome::Unsafe) => Item::Fail,
            _ => Item::Inconclusive,
        };
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "{:>3} {:>8} {:>8} {:>7} {:>7} {:>7} {:>5.1}% ",
                    s.index,
                    format!("{}/s", fmt_rate(s.rate_rps)),
                    format!("{}/s", fmt_rate(s.achieved_rps)),
                    fmt_ms(s.p50_ms),
                    fmt_ms(s.p95_ms),
                    fmt_ms(s.p99_ms),
                    s.error_rate * 100.0
                ),
                theme.style(Item::Text),
            ),
            Span::styled(
                s.outcome.map_or("?", StepOutcome::as_str).to_string(),
                theme.style(item),
            ),
        ]));
    }
    out
}
