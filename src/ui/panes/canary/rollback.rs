//! The Canary pane's rollback strip: the automatic rollback (the countdown
//! with the keys that act on it, the hold with who and how long is left, an
//! expired hold, an operator's override), then the rollback itself (pending,
//! confirmed with the time the provider took, or failed with the retry key).
//! Remaining times come from `App::now`, so the lines tick with the header
//! clock and snapshots stay fixed.

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};

use crate::core::state::canary::{AutoRollbackView, AutoStatus, RollbackStatus, RollbackView};
use crate::ui::app::App;
use crate::ui::keymap::Action;
use crate::ui::theme::Item;

/// Whole seconds from `now` until `at`, rounded up (0 once it is due).
fn secs_until(now: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    let ms = (at - now).num_milliseconds().max(0);
    (ms + 999) / 1000
}

/// `42s`, `9:48`, `1:02:03`.
fn clock(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}:{:02}", s / 60, s % 60),
        s => format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60),
    }
}

/// `R rolls back, H releases` from the live keymap; parts whose key is gone
/// (read-only, replay) are left out.
fn keys(app: &App, parts: &[(Action, &str)]) -> String {
    parts
        .iter()
        .filter_map(|(a, what)| {
            app.keymap()
                .keys_for(*a, app.limits())
                .first()
                .map(|k| format!("{k} {what}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lines for an automatic rollback, if it still deserves any (a
/// rollback that happened is told by the rollback line instead).
pub fn auto_lines(app: &App, a: &AutoRollbackView) -> Vec<Line<'static>> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let dash = if app.ascii { " - " } else { " — " };
    let cause = a.cause();
    match &a.status {
        AutoStatus::Counting { deadline } => {
            let left = secs_until(app.now, *deadline);
            let when = if left == 0 {
                "now".to_string()
            } else {
                format!("in {}", clock(left))
            };
            let keys = keys(
                app,
                &[
                    (Action::Hold, "holds"),
                    (Action::Rollback, "rolls back now"),
                ],
            );
            let mut first = vec![Span::styled(
                format!("AUTO-ROLLBACK {when}"),
                theme.style(Item::Fail),
            )];
            if !keys.is_empty() {
                first.push(Span::styled(format!("{dash}{keys}"), text));
            }
            vec![
                Line::from(first),
                Line::from(Span::styled(format!("  {cause}"), muted)),
            ]
        }
        AutoStatus::Held { by, expires_at, .. } => {
            let keys = keys(
                app,
                &[(Action::Rollback, "rolls back"), (Action::Hold, "releases")],
            );
            let mut first = vec![Span::styled(
                format!("AUTO-ROLLBACK HELD by {by}"),
                theme.style(Item::Warn),
            )];
            if !keys.is_empty() {
                first.push(Span::styled(format!("{dash}{keys}"), text));
            }
            let left = clock(secs_until(app.now, *expires_at));
            vec![
                Line::from(first),
                Line::from(Span::styled(
                    format!("  hold ends in {left}, then it rolls back; {cause}"),
                    muted,
                )),
            ]
        }
        AutoStatus::Expired { by } => vec![Line::from(vec![
            Span::styled("HOLD EXPIRED", theme.style(Item::Fail)),
            Span::styled(
                format!(" (held by {by} for canary.max_hold): rolling back; {cause}"),
                text,
            ),
        ])],
        AutoStatus::Overridden { by } => vec![Line::from(vec![
            Span::styled("OVERRIDE", theme.style(Item::Warn)),
            Span::styled(
                format!(" promoted by {by} over a held automatic rollback; {cause}"),
                text,
            ),
        ])],
        AutoStatus::RolledBack { .. } => Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_round_up_and_read_as_clocks() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let ms = chrono::Duration::milliseconds;
        assert_eq!(secs_until(t0, t0 + ms(2_100)), 3);
        assert_eq!(secs_until(t0, t0 + ms(3_000)), 3);
        assert_eq!(secs_until(t0 + ms(5_000), t0), 0);
        assert_eq!(clock(3), "3s");
        assert_eq!(clock(588), "9:48");
        assert_eq!(clock(3723), "1:02:03");
    }

    #[test]
    fn rollback_times_read_in_ms_then_seconds() {
        assert_eq!(fmt_elapsed_ms(1.5), "1.5 ms");
        assert_eq!(fmt_elapsed_ms(42.4), "42 ms");
        assert_eq!(fmt_elapsed_ms(1250.0), "1.25 s");
    }
}
