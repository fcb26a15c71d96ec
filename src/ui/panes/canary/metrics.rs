//! The judged metrics in the Canary pane: the line that sums up the latest
//! judged step and the table of its metrics, whose columns give way by
//! usefulness when the pane is narrow.

use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use crate::canary::{Classification, MetricJudgement};
use crate::core::format::trim_num;
use crate::core::state::canary::JudgedStep;
use crate::core::verdict::Verdict;
use crate::ui::app::App;
use crate::ui::panes::canary::score_text;
use crate::ui::panes::{header_style, verdict_item};
use crate::ui::theme::Item;

/// A number in the metric's own unit: three significant digits, trailing
/// zeros trimmed (`38`, `41.5`, `0.0015`, `-1.25`), whole from 1000 up.
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !v.is_finite() {
        return if v.is_nan() {
            "-".into()
        } else {
            format!("{v}")
        };
    }
    if a >= 1000.0 {
        return format!("{v:.0}");
    }
    if a < 1e-4 {
        return format!("{v:.1e}");
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `PASS`, `HIGH`, `LOW`, `NODATA`.
pub fn classification_text(c: Classification) -> &'static str {
    match c {
        Classification::Pass => "PASS",
        Classification::High => "HIGH",
        Classification::Low => "LOW",
        Classification::Nodata => "NODATA",
    }
}

/// The verdict cell of a metric: its classification, with FAIL written out
/// when the change is in the bad direction (HIGH alone may be harmless).
pub fn metric_verdict_text(m: &MetricJudgement) -> String {
    let class = classification_text(m.classification);
    match (m.verdict, m.classification) {
        (Verdict::Fail, Classification::Pass) => "FAIL".into(),
        (Verdict::Fail, _) => format!("{class} FAIL"),
        _ => class.into(),
    }
}

/// One column of the metrics table.
#[derive(Clone, Copy)]
struct Col {
    header: &'static str,
    width: u16,
    /// Lower is kept longer when the pane is narrow.
    priority: u8,
}

const METRIC_MIN: u16 = 10;

/// The metric column keeps up to this many columns of the name before other
/// columns are left out.
const METRIC_KEEP: u16 = 16;

const COLS: [Col; 8] = [
    Col {
        header: "metric",
        width: METRIC_MIN,
        priority: 0,
    },
    Col {
        header: "baseline",
        width: 8,
        priority: 2,
    },
    Col {
        header: "canary",
        width: 6,
        priority: 2,
    },
    Col {
        header: "CI (shift)",
        width: 13,
        priority: 4,
    },
    Col {
        header: "effect",
        width: 6,
        priority: 3,
    },
    Col {
        header: "thr/bound",
        width: 12,
        priority: 5,
    },
    Col {
        header: "n b/c",
        width: 7,
        priority: 6,
    },
    Col {
        header: "verdict",
        width: 9,
        priority: 1,
    },
];

/// Which columns fit in `width`, in display order, and the metric column's
/// width (the longest name, within what is left).
fn columns_for(width: u16, longest_name: u16) -> (Vec<usize>, u16) {
    let mut by_priority: Vec<usize> = (0..COLS.len()).collect();
    by_priority.sort_by_key(|i| COLS[*i].priority);
    let mut chosen: Vec<usize> = Vec::new();
    let mut used = 0u16;
    for i in by_priority {
        let w = if i == 0 {
            longest_name.clamp(METRIC_MIN, METRIC_KEEP)
        } else {
            COLS[i].width
        };
        let extra = w + u16::from(!chosen.is_empty());
        if used + extra <= width {
            used += extra;
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    let keep = longest_name.clamp(METRIC_MIN, METRIC_KEEP);
    let metric_w = longest_name.clamp(keep, keep + width.saturating_sub(used));
    (chosen, metric_w)
}

fn opt_num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), fmt_num)
}

fn cell_text(app: &App, col: usize, m: &MetricJudgement) -> String {
    match col {
        0 => {
            if m.critical {
                format!("{}*", m.name)
            } else {
                m.name.clone()
            }
        }
        1 => opt_num(m.baseline_median),
        2 => opt_num(m.canary_median),
        3 => m.ci.map_or_else(
            || "-".into(),
            |(lo, hi)| format!("{}..{}", fmt_num(lo), fmt_num(hi)),
        ),
        4 => match (m.effect_size, m.classification) {
            (Some(e), _) => format!("{e:.2}x"),
            (None, Classification::Nodata) => "-".into(),
            (None, _) => "inf".into(),
        },
        5 => {
            let pm = if app.ascii { "+/-" } else { "±" };
            let bound = m
                .bound
                .map_or_else(String::new, |b| format!(" {pm}{}", fmt_num(b)));
            format!("{:.2}x{bound}", m.effect_threshold)
        }
        6 => format!("{}/{}", m.baseline_n, m.canary_n),
        _ => metric_verdict_text(m),
    }
}

pub(super) fn metrics_table(app: &App, j: &JudgedStep, width: u16) -> Table<'static> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let longest = j
        .judgement
        .metrics
        .iter()
        .map(|m| cell_text(app, 0, m).chars().count())
        .max()
        .unwrap_or(0) as u16;
    let (cols, metric_w) = columns_for(width, longest);
    let rows: Vec<Row> = j
        .judgement
        .metrics
        .iter()
        .map(|m| {
            Row::new(cols.iter().map(|c| {
                let style: Style = if *c == 7 {
                    theme.style(verdict_item(m.verdict))
                } else {
                    text
                };
                Cell::from(Span::styled(cell_text(app, *c, m), style))
            }))
        })
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| {
            if *c == 0 {
                Constraint::Length(metric_w)
            } else {
                Constraint::Length(COLS[*c].width)
            }
        })
        .collect();
    Table::new(rows, widths)
        .flex(ratatui::layout::Flex::Start)
        .header(Row::new(cols.iter().map(|c| COLS[*c].header)).style(header_style(app)))
}

/// `step 1 at 5%: PASS score 100 - reason`.
pub(super) fn judged_line(app: &App, j: &JudgedStep) -> Line<'static> {
    let theme = app.theme();
    let v = j.judgement.verdict;
    let critical = j.judgement.metrics.iter().any(|m| m.critical);
    Line::from(vec![
        Span::styled(
            format!("judged step {} at {}%: ", j.index + 1, trim_num(j.percent)),
            theme.style(Item::Text),
        ),
        Span::styled(v.badge(), theme.style(verdict_item(v))),
        Span::styled(
            format!(
                " ({})  {}{}",
                score_text(j.judgement.score),
                j.judgement.reason,
                if critical { "  (* critical)" } else { "" }
            ),
            theme.style(Item::Muted),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::Direction;

    #[test]
    fn numbers_keep_three_significant_digits() {
        for (v, want) in [
            (38.0, "38"),
            (41.5, "41.5"),
            (0.0015, "0.0015"),
            (-1.25, "-1.25"),
            (123.456, "123"),
            (1234.5, "1234"),
            (0.0, "0"),
            (0.00002, "2.0e-5"),
        ] {
            assert_eq!(fmt_num(v), want, "{v}");
        }
    }

    fn metric(classification: Classification, verdict: Verdict) -> MetricJudgement {
        MetricJudgement {
            name: "p95".into(),
            source: Default::default(),
            direction: Direction::Increase,
            critical: false,
            weight: 1.0,
            baseline_n: 0,
            canary_n: 0,
            missing: 0,
            baseline_median: None,
            canary_median: None,
            shift: None,
            ci: None,
            confidence: 0.95,
            p_value: None,
            effect_size: None,
            effect_threshold: 1.2,
            bound: None,
            classification,
            verdict,
            reason: String::new(),
            ..MetricJudgement::default()
        }
    }

    #[test]
    fn metric_verdict_says_fail_in_text_not_only_in_colour() {
        use Classification::*;
        assert_eq!(metric_verdict_text(&metric(Pass, Verdict::Pass)), "PASS");
        assert_eq!(
            metric_verdict_text(&metric(High, Verdict::Fail)),
            "HIGH FAIL"
        );
        assert_eq!(metric_verdict_text(&metric(High, Verdict::Pass)), "HIGH");
        assert_eq!(metric_verdict_text(&metric(Low, Verdict::Fail)), "LOW FAIL");
        assert_eq!(
            metric_verdict_text(&metric(Nodata, Verdict::Inconclusive)),
            "NODATA"
        );
    }

    #[test]
    fn narrow_tables_drop_the_least_useful_columns_first() {
        let (cols, w) = columns_for(78, 10);
        assert_eq!(cols, (0..8).collect::<Vec<_>>(), "all fit at 80x24");
        assert_eq!(w, 10);
        let (cols, w) = columns_for(78, 11);
        assert_eq!(w, 11, "names are not cut while a column can go");
        assert_eq!(cols, [0, 1, 2, 3, 4, 5, 7], "samples go first");
        let (cols, _) = columns_for(48, 12);
        let headers: Vec<&str> = cols.iter().map(|c| COLS[*c].header).collect();
        assert_eq!(
            headers,
            ["metric", "baseline", "canary", "effect", "verdict"]
        );
    }
}
