//! Pane 2, Environment: the latest health-check attempt per endpoint.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::run::event::StageKind;
use crate::ui::app::{App, Pane};
use crate::ui::panes::{
    capability_message, header_style, pane_block, render_message, verdict_span,
};
use crate::ui::theme::Item;

/// Draw the Environment pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let state = app.view();
    if !state.has_stage_kind(StageKind::Environment) {
        let text = capability_message(state, StageKind::Environment);
        render_message(frame, area, app, Pane::Environment, &text);
        return;
    }
    let checks = app.visible_health();
    if checks.is_empty() {
        let text = if state.health.is_empty() {
            "Environment stage planned: waiting for data.".to_string()
        } else {
            format!("No endpoint matches /{}.", app.filter(Pane::Environment))
        };
        render_message(frame, area, app, Pane::Environment, &text);
        return;
    }
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let name_width = checks
        .iter()
        .map(|h| h.endpoint.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 20) as u16;
    let rows = checks.iter().map(|h| {
        let attempt = if h.last {
            h.attempt.to_string()
        } else {
            format!("{}+", h.attempt)
        };
        Row::new(vec![
            Cell::from(Span::styled(h.endpoint.clone(), text)),
            Cell::from(verdict_span(app, h.verdict)),
            Cell::from(Span::styled(
                h.status.map_or_else(|| "-".to_string(), |s| s.to_string()),
                text,
            )),
            Cell::from(Span::styled(
                h.latency_ms
                    .map_or_else(|| "-".to_string(), |ms| format!("{ms:.0} ms")),
                text,
            )),
            Cell::from(Span::styled(
                h.version.clone().unwrap_or_else(|| "-".into()),
                text,
            )),
            Cell::from(Span::styled(attempt, text)),
            Cell::from(Span::styled(
                h.reason.clone().unwrap_or_default(),
                theme.style(Item::Muted),
            )),
        ])
    });
    let header = Row::new([
        "endpoint", "check", "http", "latency", "version", "try", "reason",
    ])
    .style(header_style(app));
    let widths = [
        Constraint::Length(name_width),
        Constraint::Length(5),
        Constraint::Length(4),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Length(3),
        Constraint::Fill(1),
    ];
    let focused = app.focus() == Pane::Environment;
    let table = Table::new(rows, widths)
        .header(header)
        .block(pane_block(app, Pane::Environment, ""))
        .row_highlight_style(if focused {
            theme.style(Item::Highlight)
        } else {
            ratatui::style::Style::new()
        })
        .highlight_symbol("> ");
    let mut ts = TableState::new().with_selected(app.selected(Pane::Environment));
    frame.render_stateful_widget(table, area, &mut ts);
}
