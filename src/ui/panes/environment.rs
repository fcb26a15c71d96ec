//! Pane 2, Environment: the IaC summary of the environment stage (when it
//! has one), then the latest health-check attempt per endpoint.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use crate::core::event::{HealthCheck, StageKind};
use crate::environment::IacReport;
use crate::iac::approval::wait_text;
use crate::iac::plan::RiskLevel;
use crate::ui::app::App;
use crate::ui::overlay::Overlay;
use crate::ui::overlay::iac_detail::{
    difference_text, lifecycle, plan_counts, provisioner_text, risk_item,
};
use crate::ui::panes::{
    Pane, capability_message, header_style, pane_block, render_message, verdict_span,
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
    let mut lines = approval_lines(app);
    if let Some((stage, report)) = app.iac_report() {
        let inner = pane_block(app, Pane::Environment, "").inner(area);
        let budget = inner.height.saturating_sub(lines.len() as u16);
        lines.extend(iac_summary_lines(app, stage, report, budget));
    }
    if !lines.is_empty() {
        render_with_lines(frame, area, app, lines, &checks);
        return;
    }
    if checks.is_empty() {
        let text = empty_text(app);
        render_message(frame, area, app, Pane::Environment, &text);
        return;
    }
    let table = health_table(app, &checks).block(pane_block(app, Pane::Environment, ""));
    let mut ts = TableState::new().with_selected(app.selected(Pane::Environment));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// Enter: the IaC detail of the environment (or of the stage that asks to
/// apply), whichever health check is selected.
pub fn detail(app: &App) -> Option<Overlay> {
    let stage = app
        .iac_report()
        .map(|(s, _)| s.to_string())
        .or_else(|| app.view().approval.as_ref().map(|a| a.stage.clone()));
    stage.map(|stage| Overlay::IacDetail { stage, scroll: 0 })
}

/// The text a filter is matched against for a health-check row.
pub fn health_row_text(h: &HealthCheck) -> String {
    format!(
        "{} {} {} {} {} {}",
        h.endpoint,
        h.verdict.badge(),
        h.status.map(|s| s.to_string()).unwrap_or_default(),
        h.version.clone().unwrap_or_default(),
        h.reason.clone().unwrap_or_default(),
        h.url
    )
}

fn empty_text(app: &App) -> String {
    if app.view().health.is_empty() {
        "Environment stage planned: waiting for data.".to_string()
    } else {
        format!("No endpoint matches /{}.", app.filter(Pane::Environment))
    }
}

/// The apply approval, if the run asked for one: waiting (with the counts,
/// what is destroyed and the time left) or how it ended.
pub fn approval_lines(app: &App) -> Vec<Line<'static>> {
    let view = app.view();
    let Some(a) = view.approval.as_ref() else {
        return Vec::new();
    };
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let warn = theme.style(Item::Warn);
    match &a.decision {
        None if view.pending_approval().is_some() => {
            let mut lines = vec![Line::from(vec![
                Span::styled("awaiting approval: ", warn),
                Span::styled(
                    format!(
                        "{} — press y in the dialog (:apply), {} left",
                        a.request.counts_text(app.ascii),
                        wait_text(a.seconds_left(app.now) as u64)
                    ),
                    text,
                ),
            ])];
            if !a.request.destructive.is_empty() {
                lines.push(Line::styled(
                    format!("  DESTRUCTIVE: {}", a.request.destructive.join(", ")),
                    theme.style(Item::Fail),
                ));
            }
            lines
        }
        None => vec![Line::styled(
            "apply approval: unanswered when the stage stopped; nothing applied",
            warn,
        )],
        Some(d) if d.approved() => vec![Line::styled(format!("apply {}", d.text()), text)],
        Some(d) => vec![Line::styled(format!("apply not run: {}", d.text()), warn)],
    }
}

/// The IaC (and approval) block above the health checks, sized to leave the table room.
fn render_with_lines(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    lines: Vec<Line<'static>>,
    checks: &[&HealthCheck],
) {
    let block = pane_block(app, Pane::Environment, " enter: IaC detail ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [top, rest] = Layout::vertical([
        Constraint::Length((lines.len() as u16).min(inner.height)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines), top);
    if rest.height == 0 {
        return;
    }
    if checks.is_empty() {
        let text = if app.view().health.is_empty() {
            "Health checks: waiting for data.".to_string()
        } else {
            empty_text(app)
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, app.theme().style(Item::Muted))),
            rest,
        );
        return;
    }
    let mut ts = TableState::new().with_selected(app.selected(Pane::Environment));
    frame.render_stateful_widget(health_table(app, checks), rest, &mut ts);
}

/// The compact IaC lines: provisioner and verdict; plan, drift and parity
/// figures; the first unintended parity differences; the lifecycle. Fewer
/// differences when `height` is short, so health rows stay visible.
pub fn iac_summary_lines(app: &App, stage: &str, r: &IacReport, height: u16) -> Vec<Line<'static>> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("IaC {}  ", provisioner_text(r)), text),
        verdict_span(app, r.verdict),
    ])];
    let mut figures = Vec::new();
    match &r.plan {
        None => figures.push(Span::styled("plan -", muted)),
        Some(p) => {
            figures.push(Span::styled(
                format!("plan {}", plan_counts(p, app.ascii)),
                text,
            ));
            if p.failure().is_some() {
                figures.push(Span::styled(" FAILED", theme.style(Item::Fail)));
            }
        }
    }
    figures.push(Span::styled(
        match &r.drift {
            None => "  drift -".to_string(),
            Some(d) => format!("  drift {}", d.drifted.len()),
        },
        if r.drift.as_ref().is_some_and(|d| d.has_drift()) {
            theme.style(Item::Warn)
        } else {
            text
        },
    ));
    let unintended: Vec<_> = r
        .parity
        .as_ref()
        .map(|p| p.unintended().collect())
        .unwrap_or_default();
    figures.push(Span::styled(
        match &r.parity {
            None => "  parity -".to_string(),
            Some(p) => format!(
                "  parity {} ({} unintended)",
                p.score
                    .map_or_else(|| "?".to_string(), crate::core::format::trim_num),
                unintended.len()
            ),
        },
        if unintended.is_empty() {
            text
        } else {
            theme.style(Item::Warn)
        },
    ));
    if let Some(top) = r
        .plan
        .as_ref()
        .and_then(|p| p.risks.iter().map(|n| n.level).max())
        .filter(|l| *l > RiskLevel::Low)
    {
        figures.push(Span::styled("  risk ", text));
        figures.push(Span::styled(top.badge(), theme.style(risk_item(top))));
    }
    lines.push(Line::from(figures));
    let life = lifecycle(app, stage, r, app.now);
    let fixed = lines.len() as u16 + u16::from(life.is_some());
    // Keep room for the table header and three health rows.
    let budget = height.saturating_sub(fixed + 4) as usize;
    let shown = unintended.len().min(3).min(budget);
    for d in &unintended[..shown] {
        lines.push(Line::styled(format!("  {}", difference_text(d)), text));
    }
    if unintended.len() > shown && budget > shown {
        lines.push(Line::styled(
            format!("  +{} more unintended (enter)", unintended.len() - shown),
            muted,
        ));
    }
    if let Some((life, item)) = life {
        lines.push(Line::styled(life, theme.style(item)));
    }
    lines
}

/// The health-check table, without its frame.
fn health_table<'a>(app: &App, checks: &[&HealthCheck]) -> Table<'a> {
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
    Table::new(rows, widths)
        .header(header)
        .row_highlight_style(if focused {
            theme.style(Item::Highlight)
        } else {
            ratatui::style::Style::new()
        })
        .highlight_symbol("> ")
}
