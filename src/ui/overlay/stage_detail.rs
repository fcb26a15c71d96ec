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
    let popup = centered(
        area,
        area.width.saturating_sub(8).min(100),
        (st.evidence.len() as u16 + 9).min(area.height.saturating_sub(2)),
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
    let [head, table_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Fill(1)]).areas(inner);
    let text = theme.style(Item::Text);
    let head_lines = vec![
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
