//! Keys of the main view, the panes with no overlay over them: focus and
//! zoom, freeze, the prompts, the list panes' selection and Enter, and the
//! actions that belong to one pane (rerun in Stages, sort in Findings, the
//! load chart's span). What a pane is, which number key focuses it, whether
//! it filters and what Enter opens come from the pane table
//! (`panes::PANES`).

use crate::ui::app::{App, Effect, Prompt};
use crate::ui::keymap::Action;
use crate::ui::panes::Pane;

/// Handle an action in the main view.
pub(crate) fn handle(app: &mut App, action: Action) -> Vec<Effect> {
    if let Some(pane) = Pane::for_key(action) {
        if pane.shown(app.view()) {
            app.focus = pane;
        } else {
            app.error(format!(
                "the {} pane shows only when the plan has its stage",
                pane.title()
            ));
        }
        return Vec::new();
    }
    match action {
        Action::FocusNext => app.focus = app.focus.offset_shown(1, app.view()),
        Action::FocusPrev => app.focus = app.focus.offset_shown(-1, app.view()),
        Action::Zoom => app.zoomed = !app.zoomed,
        Action::Freeze => {
            if app.frozen.take().is_some() {
                app.info("view is live again");
            } else {
                app.frozen = Some(app.state.clone());
                app.info("view frozen; events keep arriving (press freeze again to resume)");
            }
        }
        Action::Filter => {
            if app.focus.is_list() {
                app.prompt = Some(Prompt::Filter(app.focus));
            } else {
                app.error(format!("filter works in the {}", Pane::lists_text()));
            }
        }
        Action::Command => {
            app.command_input.clear();
            app.prompt = Some(Prompt::Command);
        }
        Action::Promote => app.promote(),
        Action::Rerun => match (app.focus, app.selected_stage_id()) {
            (Pane::Stages, Some(id)) => return app.rerun(&id),
            _ => app.error("focus the Stages pane and select a stage to rerun"),
        },
        Action::KillLoad if app.focus == Pane::Drills => return app.abort_drill(),
        Action::KillLoad => return app.kill_load(),
        Action::Grant => app.grant(None),
        Action::Signoff => app.open_signoff(),
        Action::Sort => {
            if app.focus == Pane::Findings {
                app.finding_sort = app.finding_sort.next();
                if let Some(list) = app.list_mut(Pane::Findings) {
                    list.select_first();
                }
                app.info(format!("findings sorted by {}", app.finding_sort.name()));
            } else {
                let findings = Pane::Findings;
                app.error(format!(
                    "sort works in the {} pane ({})",
                    findings.title(),
                    findings.number()
                ));
            }
        }
        Action::WindowWider | Action::WindowNarrower => {
            app.step_chart_span(action == Action::WindowWider);
            app.info(format!("load chart shows {} s", app.chart_span));
        }
        Action::Back => {
            // Esc clears the focused pane's filter first, then leaves zoom.
            let focus = app.focus;
            if !app.list_mut(focus).is_some_and(|l| l.clear_filter()) {
                app.zoomed = false;
            }
        }
        Action::Up => app.move_selection(false),
        Action::Down => app.move_selection(true),
        Action::Select => {
            if let Some(overlay) = app.focus.spec().open.and_then(|open| open(app)) {
                app.overlay = Some(overlay);
            }
        }
        // The global keys (quit, help, rollback, hold) are `input::global`'s;
        // the number keys were answered by the pane table above.
        _ => {}
    }
    Vec::new()
}
