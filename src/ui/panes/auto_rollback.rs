//! The Canary pane's automatic-rollback lines: the countdown with the keys
//! that act on it, the hold (who, how long is left), an expired hold, and an
//! operator's override. Remaining times come from `App::now`, so the lines
//! tick with the header clock and snapshots stay fixed.

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};

use crate::core::state::canary::{AutoRollbackView, AutoStatus};
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
pub fn lines(app: &App, a: &AutoRollbackView) -> Vec<Line<'static>> {
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
}
