//! The Load pane's generator line when a distributed engine (Locust) sends
//! the load: how many workers joined, and each worker's state and CPU, in
//! place of the built-in engine's schedule-lag gauge (Locust keeps no send
//! schedule to lag behind).

use ratatui::text::{Line, Span};

use crate::core::load::WorkerPool;
use crate::core::state::LoadView;
use crate::ui::app::App;
use crate::ui::panes::fmt_short_duration;
use crate::ui::theme::Item;

/// `locust: 2/2 workers  local-1 running 34%  local-2 LOST  ...`.
pub fn workers_line(app: &App, load: &LoadView, pool: &WorkerPool) -> Line<'static> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let joined = pool.joined();
    let all_in = joined == pool.expected as usize;
    let mut spans = vec![Span::styled(
        format!("{}: {joined}/{} workers", pool.engine, pool.expected),
        theme.style(if all_in { Item::Text } else { Item::Warn }),
    )];
    for w in &pool.workers {
        spans.push(Span::styled(format!("  {} ", w.label), text));
        let (state, item) = match w.state.as_str() {
            "lost" | "missing" | "exited" => (w.state.to_uppercase(), Item::Fail),
            "waiting" => ("waiting".to_string(), Item::Warn),
            s => (s.to_string(), Item::Muted),
        };
        spans.push(Span::styled(state, theme.style(item)));
        if w.cpu_pct > 0.0 {
            spans.push(Span::styled(format!(" {:.0}%", w.cpu_pct), muted));
        }
        if w.cpu_warning {
            spans.push(Span::styled(" CPU>90%", theme.style(Item::Fail)));
        }
    }
    let elapsed = load.windows.back().map_or(0, |w| i64::from(w.second));
    spans.push(Span::styled(
        format!(
            "  {} {} users  {}/{}",
            load.model,
            load.connections,
            fmt_short_duration(elapsed),
            fmt_short_duration(load.duration_s.round() as i64),
        ),
        muted,
    ));
    Line::from(spans)
}
