//! The stage detail overlay: status, summary and every piece of evidence.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, Wrap};

use crate::ui::app::App;
use crate::ui::layout::centered;
use crate::ui::panes::{
    border_set, stage_badge_span, stage_detail_text, stage_duration, verdict_span,
};
use crate::ui::theme::Item;

/// Draw the detail of one stage.
pub fn render(frame: &mut Frame, area: Rect, app: &App, stage: &str) {
    let theme = app.theme();
    let Some(st) = app.view().stage(stage) else {
        return;
    };
    let extra = history_lines(app, stage);
    let popup = centered(
        area,
        area.width.saturating_sub(8).min(100),
        (st.evidence.len() as u16 + 9 + extra.len() as u16).min(area.height.saturating_sub(2)),
    );
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(Item::BorderFocus))
        .title(Line::styled(
            format!(
                "[Stage {} ({}{})]",
                st.plan.id,
                st.plan.kind.as_str(),
                if st.plan.hard { ", hard" } else { "" }
            ),
            theme.style(Item::TitleFocus),
        ))
        .title_bottom(Line::styled(" esc close ", theme.style(Item::Muted)));
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [head, table_area] = Layout::vertical([
        Constraint::Length(3 + extra.len() as u16),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let text = theme.style(Item::Text);
    let mut head_lines = vec![
        Line::from(vec![
            Span::styled("state ", theme.style(Item::Muted)),
            stage_badge_span(app, st),
            Span::styled(
                format!(
                    "   time {}   runs {}   weight {}",
                    stage_duration(st, app.now).unwrap_or_else(|| "-".into()),
                    st.runs,
                    crate::core::format::trim_num(st.plan.weight)
                ),
                text,
            ),
        ]),
        Line::from(vec![
            Span::styled("summary ", theme.style(Item::Muted)),
            Span::styled(stage_detail_text(st), text),
        ]),
    ];
    head_lines.extend(extra);
    frame.render_widget(Paragraph::new(head_lines).wrap(Wrap { trim: true }), head);
    if st.evidence.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "No evidence recorded yet.",
                theme.style(Item::Muted),
            )),
            table_area,
        );
        return;
    }
    let rows = st.evidence.iter().map(|e| {
        Row::new(vec![
            Cell::from(Span::styled(e.label.clone(), text)),
            Cell::from(Span::styled(e.value.clone(), text)),
            Cell::from(Span::styled(
                e.threshold.clone().unwrap_or_else(|| "-".into()),
                theme.style(Item::Muted),
            )),
            Cell::from(verdict_span(app, e.verdict)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Fill(2),
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Length(7),
        ],
    )
    .header(
        Row::new(["evidence", "value", "threshold", "verdict"]).style(theme.style(Item::Muted)),
    );
    frame.render_widget(table, table_area);
}

/// What change impact did to the stage; for the gate, the score trend of
/// recent releases and the release's risk with its parts.
fn history_lines(app: &App, stage: &str) -> Vec<Line<'static>> {
    let theme = app.theme();
    let (muted, text) = (theme.style(Item::Muted), theme.style(Item::Text));
    let state = app.view();
    let mut out = Vec::new();
    if let Some(i) = state.impact.as_ref().and_then(|s| s.stage(stage)) {
        let mut what = i.effect.mark().to_string();
        if !i.rules.is_empty() {
            what.push_str(&format!(" by {}", i.rules.join(", ")));
        }
        for x in &i.intensify {
            what.push_str(&format!(", {}", x.text()));
        }
        if !i.reason.is_empty() {
            what.push_str(&format!(": {}", i.reason));
        }
        out.push(Line::from(vec![
            Span::styled("impact ", muted),
            Span::styled(what, text),
        ]));
    }
    let is_gate = state
        .stage(stage)
        .is_some_and(|s| s.plan.kind == crate::core::event::StageKind::Gate);
    if !is_gate {
        return out;
    }
    if let (Some(h), Some(line)) = (
        state.history.as_ref(),
        crate::ui::header::score_trend(app, state),
    ) {
        let scores: Vec<String> = h
            .scores
            .iter()
            .map(|p| crate::core::format::trim_num(p.score))
            .collect();
        out.push(Line::from(vec![
            Span::styled(
                format!("trend (last {} runs, then this one) ", h.scores.len()),
                muted,
            ),
            Span::styled(line, text),
            Span::styled(format!("  {}", scores.join(" ")), muted),
        ]));
    }
    if let Some(r) = state.history.as_ref().and_then(|h| h.risk.as_ref()) {
        let item = match r.level {
            crate::core::history::RiskLevel::Low => Item::Pass,
            crate::core::history::RiskLevel::Medium => Item::Warn,
            crate::core::history::RiskLevel::High => Item::Fail,
        };
        let mut spans = vec![
            Span::styled("risk ", muted),
            Span::styled(format!("{} ", crate::core::format::trim_num(r.score)), text),
            Span::styled(r.level.badge(), theme.style(item)),
            Span::styled(" (informs; the evidence decides)", muted),
        ];
        if r.requires_signoff {
            spans.push(Span::styled("  SIGN-OFF REQUIRED", theme.style(Item::Warn)));
        }
        out.push(Line::from(spans));
        for p in &r.parts {
            out.push(Line::from(vec![
                Span::styled(
                    format!(
                        "  {:<16}{:>5} of {:<3}",
                        p.factor.as_str(),
                        crate::core::format::trim_num(p.points),
                        crate::core::format::trim_num(p.max_points)
                    ),
                    text,
                ),
                Span::styled(format!(" {}", p.detail), muted),
            ]));
        }
    }
    out
}
