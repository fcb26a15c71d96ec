//! The Load pane's charts: latency per second with the SLO line, target vs
//! achieved rate, and the error rate as a one-line sparkline. Every series
//! has its own marker as well as its own colour, so the charts read in mono.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::{self, Marker};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline};

use crate::core::state::LoadView;
use crate::ui::app::App;
use crate::ui::panes::load::{chart_range, fmt_ms, fmt_rate, latency_slo, slo_label, windows_in};
use crate::ui::panes::{chart_marker, fmt_short_duration};
use crate::ui::theme::Item;

/// Markers for p50, p95, p99 and the threshold line. `--ascii` gets plain
/// ASCII characters; otherwise braille for p99 (the line that matters most)
/// and distinct symbols for the others.
pub fn series_markers(ascii: bool) -> [Marker; 4] {
    if ascii {
        [
            Marker::Custom('.'),
            Marker::Custom('+'),
            Marker::Custom('*'),
            Marker::Custom('='),
        ]
    } else {
        [
            Marker::Custom('·'),
            Marker::Dot,
            chart_marker(false),
            Marker::Custom('─'),
        ]
    }
}

/// The character a marker draws, for legends written as text.
pub fn marker_glyph(m: Marker) -> char {
    match m {
        Marker::Custom(c) => c,
        Marker::Dot => '•',
        Marker::Braille => '⣀',
        _ => '█',
    }
}

/// A text legend that shows each series' marker as well as its colour.
pub fn latency_legend(app: &App, load: &LoadView) -> Line<'static> {
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
    Line::from(spans)
}

/// Chart axes are drawn with box-drawing lines; `--ascii` wants plain ones.
pub fn asciify(frame: &mut Frame, area: Rect) {
    let buf = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            let plain = match cell.symbol() {
                "│" => "|",
                "─" => "-",
                "└" => "+",
                _ => continue,
            };
            cell.set_symbol(plain);
        }
    }
}

/// The achieved-rate marker: braille, or a plain `o` under `--ascii`.
fn achieved_marker(ascii: bool) -> Marker {
    if ascii {
        Marker::Custom('o')
    } else {
        chart_marker(false)
    }
}

fn x_axis(app: &App, lo: f64, hi: f64) -> Axis<'static> {
    let muted = app.theme().style(Item::Muted);
    let label = |s: f64| Span::styled(fmt_short_duration(s as i64), muted);
    Axis::default()
        .bounds([lo, hi])
        .labels([label(lo), label((lo + hi) / 2.0), label(hi)])
        .style(muted)
}

/// Draw p50/p95/p99 per second over the chart span, with the SLO line.
pub fn render_latency_chart(frame: &mut Frame, area: Rect, app: &App, load: &LoadView) {
    let theme = app.theme();
    let span = app.chart_span();
    let (lo, hi) = chart_range(load, span);
    let windows = windows_in(load, span);
    let series = |f: fn(&crate::load::Window) -> f64| -> Vec<(f64, f64)> {
        windows
            .iter()
            .map(|w| (f64::from(w.second), f(w)))
            .collect()
    };
    let p50 = series(|w| w.p50_ms);
    let p95 = series(|w| w.p95_ms);
    let p99 = series(|w| w.p99_ms);
    let slo = latency_slo(load);
    let slo_line: Vec<(f64, f64)> = slo
        .iter()
        .flat_map(|t| [(lo, t.value), (hi, t.value)])
        .collect();
    let top = p99
        .iter()
        .chain(&p95)
        .map(|p| p.1)
        .chain(slo.iter().map(|t| t.value))
        .fold(1.0_f64, f64::max)
        * 1.15;
    let [m50, m95, m99, mslo] = series_markers(app.ascii);
    let mut datasets = vec![
        Dataset::default()
            .name("p50")
            .marker(m50)
            .graph_type(GraphType::Line)
            .style(theme.style(Item::ChartP50))
            .data(&p50),
        Dataset::default()
            .name("p95")
            .marker(m95)
            .graph_type(GraphType::Line)
            .style(theme.style(Item::ChartP95))
            .data(&p95),
        Dataset::default()
            .name("p99")
            .marker(m99)
            .graph_type(GraphType::Line)
            .style(theme.style(Item::ChartP99))
            .data(&p99),
    ];
    if let Some(t) = &slo {
        datasets.push(
            Dataset::default()
                .name(format!("SLO {}", slo_label(t)))
                .marker(mslo)
                .graph_type(GraphType::Line)
                .style(theme.style(Item::ChartThreshold))
                .data(&slo_line),
        );
    }
    let muted = theme.style(Item::Muted);
    let chart = Chart::new(datasets)
        .x_axis(x_axis(app, lo, hi))
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

/// Draw target vs achieved requests per second over the chart span.
pub fn render_rate_chart(frame: &mut Frame, area: Rect, app: &App, load: &LoadView) {
    let theme = app.theme();
    let span = app.chart_span();
    let (lo, hi) = chart_range(load, span);
    let windows = windows_in(load, span);
    let achieved: Vec<(f64, f64)> = windows
        .iter()
        .map(|w| (f64::from(w.second), w.achieved_rps))
        .collect();
    let target: Vec<(f64, f64)> = windows
        .iter()
        .filter(|w| w.target_rps > 0.0)
        .map(|w| (f64::from(w.second), w.target_rps))
        .collect();
    let top = achieved
        .iter()
        .chain(&target)
        .map(|p| p.1)
        .fold(1.0_f64, f64::max)
        * 1.15;
    let [_, _, _, mtarget] = series_markers(app.ascii);
    // Target first, so the achieved line is drawn over it where they meet.
    let mut datasets = Vec::new();
    if !target.is_empty() {
        datasets.push(
            Dataset::default()
                .name("target")
                .marker(mtarget)
                .graph_type(GraphType::Line)
                .style(theme.style(Item::ChartThreshold))
                .data(&target),
        );
    }
    datasets.push(
        Dataset::default()
            .name("achieved rps")
            .marker(achieved_marker(app.ascii))
            .graph_type(GraphType::Line)
            .style(theme.style(Item::ChartP50))
            .data(&achieved),
    );
    let muted = theme.style(Item::Muted);
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([lo, hi]).style(muted))
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::styled("0", muted), Span::styled(fmt_rate(top), muted)])
                .style(muted),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
    if app.ascii {
        asciify(frame, area);
    }
}

/// Bars for the error sparkline: plain characters under `--ascii`.
const ASCII_BARS: symbols::bar::Set<'static> = symbols::bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "=",
    five_eighths: "=",
    half: "-",
    three_eighths: "-",
    one_quarter: ".",
    one_eighth: ".",
    empty: " ",
};

/// Draw the rate chart's legend, `err max 0.4%` and a sparkline of the
/// error rate per second.
pub fn render_error_line(frame: &mut Frame, area: Rect, app: &App, load: &LoadView) {
    let theme = app.theme();
    let windows = windows_in(load, app.chart_span());
    // Tenths of a percent, so the sparkline has whole numbers to draw.
    let permille: Vec<u64> = windows
        .iter()
        .map(|w| {
            if w.requests == 0 {
                0
            } else {
                (w.errors as f64 * 1000.0 / w.requests as f64).round() as u64
            }
        })
        .collect();
    let max = permille.iter().copied().max().unwrap_or(0);
    let muted = theme.style(Item::Muted);
    let [_, _, _, mtarget] = series_markers(app.ascii);
    let glyph = |m: Marker| marker_glyph(m).to_string().repeat(3);
    let label = Line::from(vec![
        Span::styled("achieved ", muted),
        Span::styled(
            glyph(achieved_marker(app.ascii)),
            theme.style(Item::ChartP50),
        ),
        Span::styled("  target ", muted),
        Span::styled(glyph(mtarget), theme.style(Item::ChartThreshold)),
        Span::styled(format!("  err max {:.1}% ", max as f64 / 10.0), muted),
    ]);
    let [l, r] = Layout::horizontal([
        Constraint::Length(label.width() as u16),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(label), l);
    let bars = if app.ascii {
        ASCII_BARS
    } else {
        symbols::bar::NINE_LEVELS
    };
    frame.render_widget(
        Sparkline::default()
            .data(&permille)
            .max(max.max(10))
            .bar_set(bars)
            .style(theme.style(Item::Fail)),
        r,
    );
}
