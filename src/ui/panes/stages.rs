//! Pane 1, Stages: one row per stage of the plan, selectable; Enter opens the
//! stage's evidence.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::core::impact::{ImpactEffect, ImpactSelection};
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
    let impact = app.view().impact.as_ref();
    let rows = stages.iter().map(|st| {
        let kind = if st.plan.hard {
            format!("{} (hard)", st.plan.kind.as_str())
        } else {
            st.plan.kind.as_str().to_string()
        };
        let mut cells = vec![
            Cell::from(Span::styled(st.plan.id.clone(), theme.style(Item::Text))),
            Cell::from(Span::styled(kind, theme.style(Item::Muted))),
            Cell::from(stage_badge_span(app, st)),
            Cell::from(Span::styled(
                stage_duration(st, app.now).unwrap_or_else(|| "-".into()),
                theme.style(Item::Text),
            )),
        ];
        if let Some(sel) = impact {
            cells.push(impact_cell(app, sel, &st.plan.id));
        }
        cells.push(Cell::from(Span::styled(
            stage_detail_text(st),
            theme.style(Item::Text),
        )));
        Row::new(cells)
    });
    let mut names = vec!["stage", "kind", "state", "time"];
    // With the impact column the kind column gives up what its rows do not use.
    let kind_width = if impact.is_some() {
        stages
            .iter()
            .map(|s| s.plan.kind.as_str().len() + if s.plan.hard { 7 } else { 0 })
            .max()
            .unwrap_or(4)
            .clamp(4, 18) as u16
    } else {
        18
    };
    let mut widths = vec![
        Constraint::Length(id_width),
        Constraint::Length(kind_width),
        Constraint::Length(5),
        Constraint::Length(7),
    ];
    if let Some(sel) = impact {
        let w = stages
            .iter()
            .map(|s| impact_text(sel, &s.plan.id).chars().count())
            .max()
            .unwrap_or(6)
            .clamp(6, 20) as u16;
        names.push("impact");
        widths.push(Constraint::Length(w));
    }
    names.push("summary");
    widths.push(Constraint::Fill(1));
    let header = Row::new(names).style(header_style(app));
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

/// What change impact did to a stage, with the rule that decided:
/// `intensified checkout`, `skipped docs`, `kept (hard)`; the gate always runs.
pub fn impact_text(sel: &ImpactSelection, stage: &str) -> String {
    let Some(i) = sel.stage(stage) else {
        return String::new();
    };
    match i.effect {
        ImpactEffect::Kept => "kept (hard)".into(),
        ImpactEffect::Selected if i.rules.is_empty() && sel.full_plan => "selected (full)".into(),
        ImpactEffect::Selected if i.rules.is_empty() => "selected (needed)".into(),
        ImpactEffect::Skipped => {
            let matched: Vec<&str> = sel.matched.iter().map(|m| m.rule.as_str()).collect();
            format!("skipped {}", matched.join(","))
        }
        e => format!("{} {}", e.mark(), i.rules.join(",")),
    }
}

fn impact_cell(app: &App, sel: &ImpactSelection, stage: &str) -> Cell<'static> {
    let theme = app.theme();
    let item = match sel.stage(stage).map(|i| i.effect) {
        Some(ImpactEffect::Intensified) => Item::Warn,
        Some(ImpactEffect::Skipped) => Item::Skipped,
        _ => Item::Muted,
    };
    Cell::from(Span::styled(impact_text(sel, stage), theme.style(item)))
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
