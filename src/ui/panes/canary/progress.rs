//! The rollout's progress in the Canary pane: the steps with their marks,
//! and the live guard that watches every window of the current step.

use ratatui::text::{Line, Span};

use crate::canary::GuardStatus;
use crate::core::format::trim_num;
use crate::core::state::canary::{CanaryView, RollbackStatus};
use crate::core::verdict::Verdict;
use crate::ui::app::App;
use crate::ui::panes::canary::{fmt_num, spans_width};
use crate::ui::theme::Item;

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
