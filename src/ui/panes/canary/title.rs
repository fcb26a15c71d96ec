//! The Canary pane's title: flag and share, step, the latest judgement and
//! the rollback key, each with a short form, shortened part by part until
//! the title fits the pane's border.

use ratatui::text::Span;

use crate::core::format::trim_num;
use crate::core::state::canary::CanaryView;
use crate::ui::app::App;
use crate::ui::keymap::Action;
use crate::ui::panes::canary::{latest_judged, score_text, spans_width};
use crate::ui::panes::verdict_item;
use crate::ui::theme::Item;

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

/// One part of the title, in a long and a short form (`None`: drop it).
struct Part {
    long: Vec<Span<'static>>,
    short: Option<Vec<Span<'static>>>,
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
