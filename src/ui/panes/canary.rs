//! Pane 4, Canary: the flag and its share in the title with the latest
//! judgement and the rollback key; in the body the steps, the live guard,
//! a pending automatic rollback (countdown or hold), the rollback status and
//! the metrics of the latest judged step. Every
//! state is written out in text (markers, badges); colour only repeats it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::canary::{Classification, GuardStatus, MetricJudgement};
use crate::core::event::StageKind;
use crate::core::format::trim_num;
use crate::core::state::canary::{CanaryView, JudgedStep, RollbackStatus, RollbackView};
use crate::core::verdict::Verdict;
use crate::ui::app::{App, Pane};
use crate::ui::keymap::Action;
use crate::ui::panes::{
    capability_message, header_style, pane_block_spans, render_message, verdict_item,
};
use crate::ui::theme::Item;

/// What the pane says when the plan has a canary stage that has not started.
pub const WAITING: &str = "canary stage planned: waiting for the canary to start.";

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

/// Milliseconds as the rollback line shows them: `1.5 ms`, `42 ms`, `1.20 s`.
pub fn fmt_elapsed_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
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

/// The canary share as the title shows it: `25%`, or `OFF`.
fn share(c: &CanaryView) -> String {
    match (c.enabled, c.percent) {
        (false, _) => "OFF".into(),
        (true, Some(p)) => format!("{}%", trim_num(p)),
        (true, None) => "on".into(),
    }
}

/// `2/4`: the current step (from 1) of the planned steps.
fn step_text(c: &CanaryView) -> String {
    let cur = c
        .step
        .map_or_else(|| "-".to_string(), |i| (i + 1).to_string());
    format!("{cur}/{}", c.steps.len())
}

/// The latest judged step.
pub fn latest_judged(c: &CanaryView) -> Option<&JudgedStep> {
    c.judged.last()
}

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "no data".into(), |s| format!("score {}", trim_num(s)))
}

/// One part of the title, in a long and a short form (`None`: drop it).
struct Part {
    long: Vec<Span<'static>>,
    short: Option<Vec<Span<'static>>>,
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// The title after the pane name, shortened step by step to fit `max`
/// columns: short forms first (key, judgement, flag, step), then the key
/// hint, the step and the judgement are left out.
/// (Order: judgement, key, flag and step take their short forms.)
pub fn title_spans(app: &App, c: &CanaryView, max: usize) -> Vec<Span<'static>> {
    let theme = app.theme();
    let muted = theme.style(Item::Muted);
    let text = theme.style(Item::Title);
    let mut parts: Vec<Part> = Vec::new();
    // flag
    parts.push(Part {
        long: vec![Span::styled(
            format!("flag {} {} -> canary", c.flag, share(c)),
            text,
        )],
        short: Some(vec![Span::styled(format!("{} {}", c.flag, share(c)), text)]),
    });
    // step
    parts.push(Part {
        long: vec![Span::styled(format!("step {}", step_text(c)), muted)],
        short: Some(vec![Span::styled(step_text(c), muted)]),
    });
    // judgement
    let mut judge_idx = None;
    if let Some(j) = latest_judged(c) {
        judge_idx = Some(parts.len());
        let v = j.judgement.verdict;
        let badge = Span::styled(v.badge(), theme.style(verdict_item(v)));
        parts.push(Part {
            long: vec![
                Span::styled("judgement ", muted),
                badge.clone(),
                Span::styled(format!(" ({})", score_text(j.judgement.score)), muted),
            ],
            short: Some(vec![
                badge,
                Span::styled(
                    j.judgement
                        .score
                        .map_or_else(String::new, |s| format!(" {}", trim_num(s))),
                    muted,
                ),
            ]),
        });
    }
    // the rollback key, from the live keymap (gone in read-only and replay)
    let mut key_idx = None;
    if let Some(key) = app
        .keymap()
        .keys_for(Action::Rollback, app.limits())
        .first()
    {
        key_idx = Some(parts.len());
        let k = Span::styled(format!("[{key}]"), theme.style(Item::HintKey));
        parts.push(Part {
            long: vec![k.clone(), Span::styled(" rollback", muted)],
            short: Some(vec![k]),
        });
    }
    // Which form each part takes: 0 long, 1 short, 2 dropped.
    let mut form = vec![0u8; parts.len()];
    let plan: Vec<(Option<usize>, u8)> = vec![
        (judge_idx, 1),
        (key_idx, 1),
        (Some(0), 1),
        (Some(1), 1),
        (key_idx, 2),
        (Some(1), 2),
        (judge_idx, 2),
    ];
    let build = |form: &[u8]| -> Vec<Span<'static>> {
        let mut out: Vec<Span<'static>> = Vec::new();
        for (p, f) in parts.iter().zip(form) {
            let spans = match f {
                0 => Some(&p.long),
                1 => p.short.as_ref(),
                _ => None,
            };
            if let Some(s) = spans {
                if !out.is_empty() {
                    out.push(Span::styled("  ", muted));
                }
                out.extend(s.iter().cloned());
            }
        }
        out
    };
    let mut spans = build(&form);
    for (idx, f) in plan {
        if spans_width(&spans) <= max {
            break;
        }
        if let Some(i) = idx {
            form[i] = f;
            spans = build(&form);
        }
    }
    spans
}

/// The steps as a row: `5% ✓  25% ●  50% ·  100% ·` (ASCII: `[x] [>] [ ]`).
/// Judged steps show their verdict (`✓`/`[x]` pass, `✗`/`[!]` fail,
/// `?`/`[?]` inconclusive), the current step `●`/`[>]`, steps passed without
/// a judgement `-`/`[-]`, later steps `·`/`[ ]`; the step a confirmed
/// rollback ended `↩`/`[<]`.
pub fn steps_line(app: &App, c: &CanaryView) -> Line<'static> {
    let theme = app.theme();
    let mut spans = Vec::new();
    for (i, p) in c.steps.iter().enumerate() {
        let judged = c.judged.iter().rev().find(|j| j.index == i);
        let rolled_back = c
            .rollback
            .as_ref()
            .is_some_and(|r| r.status == RollbackStatus::Confirmed);
        let (uni, ascii, item) = match (judged.map(|j| j.judgement.verdict), c.step) {
            (None, Some(cur)) if cur == i && rolled_back => ("↩", "[<]", Item::Warn),
            (Some(Verdict::Pass | Verdict::Warn), _) => ("✓", "[x]", Item::Pass),
            (Some(Verdict::Fail), _) => ("✗", "[!]", Item::Fail),
            (Some(_), _) => ("?", "[?]", Item::Inconclusive),
            (None, Some(cur)) if cur == i => ("●", "[>]", Item::Running),
            (None, Some(cur)) if i < cur => ("-", "[-]", Item::Muted),
            _ => ("·", "[ ]", Item::Muted),
        };
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(
            format!("{}% ", trim_num(*p)),
            theme.style(Item::Text),
        ));
        spans.push(Span::styled(
            if app.ascii { ascii } else { uni },
            theme.style(item),
        ));
    }
    spans.push(Span::styled(
        format!("   hold {}s  provider {}", c.hold_s, c.provider),
        theme.style(Item::Muted),
    ));
    Line::from(spans)
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `guard: ok`, `guard: 1/3 breaching windows, rollback in 2 windows`, or
/// `guard: TRIPPED after 3 breaching windows: reason`, then the latest
/// window's canary figures; `guard: off` once a rollback is confirmed.
/// Parts that do not fit in `max` columns are left out: first the canary's
/// figures, then the reason.
pub fn guard_line(app: &App, c: &CanaryView, max: usize) -> Line<'static> {
    if c.rollback
        .as_ref()
        .is_some_and(|r| r.status == RollbackStatus::Confirmed)
    {
        let theme = app.theme();
        return Line::from(vec![
            Span::styled("guard: ", theme.style(Item::Text)),
            Span::styled("off (the canary was rolled back)", theme.style(Item::Muted)),
        ]);
    }
    let guard = c.guard.as_ref();
    let full = guard_spans(app, guard, true, true);
    if spans_width(&full) <= max {
        return Line::from(full);
    }
    let no_figures = guard_spans(app, guard, true, false);
    if spans_width(&no_figures) <= max {
        return Line::from(no_figures);
    }
    Line::from(guard_spans(app, guard, false, false))
}

fn guard_spans(
    app: &App,
    guard: Option<&GuardStatus>,
    with_reason: bool,
    with_figures: bool,
) -> Vec<Span<'static>> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let Some(g) = guard else {
        return vec![
            Span::styled("guard: ", text),
            Span::styled("waiting for the first window of this step", muted),
        ];
    };
    let mut spans = vec![Span::styled("guard: ", text)];
    let reason = g.reason.clone().filter(|_| with_reason).unwrap_or_default();
    if g.tripped {
        spans.push(Span::styled("TRIPPED", theme.style(Item::Fail)));
        spans.push(Span::styled(
            format!(
                " after {}{}",
                plural(g.consecutive, "breaching window"),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                }
            ),
            text,
        ));
    } else if g.consecutive == 0 {
        spans.push(Span::styled("ok", theme.style(Item::Pass)));
    } else {
        let total = g.consecutive + g.remaining;
        spans.push(Span::styled(
            format!("{}/{total} breaching windows", g.consecutive),
            theme.style(Item::Warn),
        ));
        spans.push(Span::styled(
            format!(", rollback in {}", plural(g.remaining, "window")),
            text,
        ));
        if !reason.is_empty() {
            spans.push(Span::styled(format!(" ({reason})"), muted));
        }
    }
    let mut figures = Vec::new();
    if let Some(e) = g.last_error_rate {
        figures.push(format!("err {}%", fmt_num(e * 100.0)));
    }
    if let Some(p) = g.last_p99_ms {
        figures.push(format!("p99 {}ms", fmt_num(p)));
    }
    if with_figures && !figures.is_empty() {
        spans.push(Span::styled(
            format!("   canary {}", figures.join("  ")),
            muted,
        ));
    }
    spans
}

/// The rollback status line.
pub fn rollback_line(app: &App, rb: &RollbackView) -> Line<'static> {
    let theme = app.theme();
    let who = if rb.reason.is_empty() {
        rb.actor.clone()
    } else {
        format!("{}: {}", rb.actor, rb.reason)
    };
    match &rb.status {
        RollbackStatus::Pending => Line::from(vec![
            Span::styled("ROLLBACK PENDING...", theme.style(Item::Warn)),
            Span::styled(
                format!(" requested by {who}; waiting for the provider to confirm"),
                theme.style(Item::Text),
            ),
        ]),
        RollbackStatus::Confirmed => {
            let took = rb
                .elapsed_ms
                .map_or_else(String::new, |ms| format!(" in {}", fmt_elapsed_ms(ms)));
            Line::from(Span::styled(
                format!("ROLLED BACK (confirmed{took} by {who})"),
                theme.style(Item::Pass),
            ))
        }
        RollbackStatus::Failed(err) => {
            let key = app
                .keymap()
                .keys_for(Action::Rollback, app.limits())
                .first()
                .map(ToString::to_string);
            let retry = key.map_or_else(String::new, |k| format!(" — press {k} to retry"));
            Line::from(vec![
                Span::styled("ROLLBACK FAILED", theme.style(Item::Fail)),
                Span::styled(format!(": {err}{retry}"), theme.style(Item::Text)),
            ])
        }
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

fn metrics_table(app: &App, j: &JudgedStep, width: u16) -> Table<'static> {
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
fn judged_line(app: &App, j: &JudgedStep) -> Line<'static> {
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

/// Draw the Canary pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let state = app.view();
    let Some(c) = state.canary.as_ref() else {
        let text = if state.has_stage_kind(StageKind::Canary) {
            WAITING.to_string()
        } else {
            capability_message(state, StageKind::Canary)
        };
        render_message(frame, area, app, Pane::Canary, &text);
        return;
    };
    let name_w = format!("[{} {}]", Pane::Canary.number(), Pane::Canary.title()).len();
    let max = (area.width as usize).saturating_sub(2 + name_w + 2);
    let block = pane_block_spans(app, Pane::Canary, title_spans(app, c, max));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines = vec![steps_line(app, c), guard_line(app, c, inner.width as usize)];
    if let Some(a) = &c.auto {
        lines.extend(super::auto_rollback::lines(app, a));
    }
    if let Some(rb) = &c.rollback {
        lines.push(rollback_line(app, rb));
    }
    let judged = latest_judged(c);
    match judged {
        Some(j) => lines.push(judged_line(app, j)),
        None => lines.push(Line::styled(
            format!(
                "no step judged yet: each step is judged after its {} s hold",
                c.hold_s
            ),
            app.theme().style(Item::Muted),
        )),
    }
    let top_h = (lines.len() as u16).min(inner.height);
    let [top, table_area] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(lines), top);
    if let Some(j) = judged
        && table_area.height > 1
    {
        frame.render_widget(metrics_table(app, j, table_area.width), table_area);
    }
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
        assert_eq!(fmt_elapsed_ms(1.5), "1.5 ms");
        assert_eq!(fmt_elapsed_ms(42.4), "42 ms");
        assert_eq!(fmt_elapsed_ms(1250.0), "1.25 s");
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
