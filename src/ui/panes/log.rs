//! Pane 6, Log. Live: tui-logger's widget, fed by `tracing` (the subscriber
//! is set up in `main`). Replay and attached terminals: the journal's log
//! lines, since nothing traces there.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerWidget};

use crate::core::event::LogLevel;
use crate::ui::app::App;
use crate::ui::panes::{Pane, pane_block};
use crate::ui::theme::Item;

/// Draw the Log pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme();
    // A replay, or a terminal attached to another process's run: nothing
    // traces here, the run's narrative is in its events.
    if app.replay() || app.attached().is_some() {
        let logs = &app.view().logs;
        let height = area.height.saturating_sub(2) as usize;
        let lines: Vec<Line> = logs[logs.len().saturating_sub(height)..]
            .iter()
            .map(|l| {
                let (level, item) = match l.level {
                    LogLevel::Debug => ("DEBUG", Item::Muted),
                    LogLevel::Info => ("INFO ", Item::Text),
                    LogLevel::Warn => ("WARN ", Item::Warn),
                    LogLevel::Error => ("ERROR", Item::Fail),
                };
                let stage = l
                    .stage
                    .as_deref()
                    .map(|s| format!("[{s}] "))
                    .unwrap_or_default();
                Line::from(vec![
                    Span::styled(
                        l.ts.format("%H:%M:%S ").to_string(),
                        theme.style(Item::Muted),
                    ),
                    Span::styled(level, theme.style(item)),
                    Span::styled(format!(" {stage}{}", l.message), theme.style(Item::Text)),
                ])
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines).block(pane_block(app, Pane::Log, "journal")),
            area,
        );
        return;
    }
    let widget = TuiLoggerWidget::default()
        .block(pane_block(app, Pane::Log, ""))
        .output_separator(' ')
        .output_timestamp(Some("%H:%M:%S".to_string()))
        .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false)
        .style(theme.style(Item::Text))
        .style_error(theme.style(Item::Fail))
        .style_warn(theme.style(Item::Warn))
        .style_debug(theme.style(Item::Muted))
        .style_trace(theme.style(Item::Muted));
    frame.render_widget(widget, area);
}
