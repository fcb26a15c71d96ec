//! Pane 1, Stages: one row per stage of the plan, selectable; Enter opens the
//! stage's evidence.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::core::state::StageState;
use crate::ui::app::App;
use crate::ui::overlay::Overlay;
use crate::ui::panes::{
    Pane, header_style, pane_block, render_message, stage_badge, stage_badge_span,
    stage_detail_text, stage_duration,
};
use crate::ui::theme::Item;

/// `2 running` in the title while stages of the graph run side by side
/// (one running stage needs no note: its row says RUN).
fn side_by_side(app: &App) -> String {
    match app.view().running().count() {
        n if n > 1 => format!("{n} running"),
        _ => String::new(),
    }
}

/// Draw the Stages pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let stages = app.visible_stages();
    if stages.is_empty() {
        let text = if app.view().stages.is_empty() {
            "Waiting for the run plan.".to_string()
        } else {
            format!("No stage matches /{}.", app.filter(Pane::Stages))
        };
        render_message(frame, area, app, Pane::Stages, &text);
        return;
    }
    let theme = app.theme();
    let id_width = stages
        .iter()
        .map(|s| s.plan.id.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 16) as u16;
    let rows = stages.iter().map(|st| {
        let kind = if st.plan.hard {
            format!("{} (hard)", st.plan.kind.as_str())
        } else {
            st.plan.kind.as_str().to_string()
        };
        Row::new(vec![
            Cell::from(Span::styled(st.plan.id.clone(), theme.style(Item::Text))),
            Cell::from(Span::styled(kind, theme.style(Item::Muted))),
            Cell::from(stage_badge_span(app, st)),
            Cell::from(Span::styled(
                stage_duration(st, app.now).unwrap_or_else(|| "-".into()),
                theme.style(Item::Text),
            )),
            Cell::from(Span::styled(stage_detail_text(st), theme.style(Item::Text))),
        ])
    });
    let header = Row::new(["stage", "kind", "state", "time", "summary"]).style(header_style(app));
    let widths = [
        Constraint::Length(id_width),
        Constraint::Length(18),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let focused = app.focus() == Pane::Stages;
    let table = Table::new(rows, widths)
        .header(header)
        .block(pane_block(app, Pane::Stages, &side_by_side(app)))
        .row_highlight_style(if focused {
            theme.style(Item::Highlight)
        } else {
            ratatui::style::Style::new()
        })
        .highlight_symbol("> ");
    let mut state = TableState::new().with_selected(app.selected(Pane::Stages));
    frame.render_stateful_widget(table, area, &mut state);
}

/// Enter: the selected stage's evidence.
pub fn detail(app: &App) -> Option<Overlay> {
    app.selected_stage_id()
        .map(|stage| Overlay::StageDetail { stage })
}

/// The text a filter is matched against for a stage row.
pub fn stage_row_text(st: &StageState) -> String {
    format!(
        "{} {} {} {}",
        st.plan.id,
        st.plan.kind.as_str(),
        stage_badge(st).0,
        stage_detail_text(st)
    )
}
