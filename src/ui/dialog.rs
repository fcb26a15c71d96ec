//! Yes/no dialogs: quit a run in progress (focus on No), promote the canary
//! (focus on No) and, when the run's config asks for it, roll back (focus on
//! Roll back: it is the safe direction).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::ui::app::App;
use crate::ui::layout::centered;
use crate::ui::panes::border_set;
use crate::ui::theme::Item;

/// The question asked before quitting.
pub const QUIT_QUESTION: &str = "Run in progress: quit and abort it? [y/N]";

/// What a yes/no dialog says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    /// Title on the border, e.g. `Quit?`.
    pub title: String,
    /// The question, with the default answer in the `[y/N]` hint.
    pub question: String,
    /// Label of the yes button.
    pub yes: String,
    /// Label of the no button.
    pub no: String,
    /// Border colour.
    pub border: Item,
}

/// The quit confirmation.
pub fn quit_dialog() -> Confirm {
    Confirm {
        title: "Quit?".into(),
        question: QUIT_QUESTION.into(),
        yes: "Yes, abort".into(),
        no: "No".into(),
        border: Item::Fail,
    }
}

/// The promote confirmation for `flag`.
pub fn promote_dialog(flag: &str) -> Confirm {
    Confirm {
        title: "Promote?".into(),
        question: format!("Promote {flag} to 100%? [y/N]"),
        yes: "Yes, promote".into(),
        no: "No".into(),
        border: Item::Warn,
    }
}

/// The promote confirmation while an automatic rollback of `flag` is held:
/// promoting overrides the judge, and the journal and the gate say so.
pub fn override_dialog(flag: &str) -> Confirm {
    Confirm {
        title: "Override the judge?".into(),
        question: format!("Promote {flag} to 100% over the held automatic rollback? [y/N]"),
        yes: "Yes, override".into(),
        no: "No".into(),
        border: Item::Fail,
    }
}

/// The rollback confirmation for `flag` (only with `rollback_confirm`).
pub fn rollback_dialog(flag: &str) -> Confirm {
    Confirm {
        title: "Roll back?".into(),
        question: format!("Roll back {flag} to 0% now? [Y/n]"),
        yes: "Roll back".into(),
        no: "Cancel".into(),
        border: Item::Warn,
    }
}

/// Draw a yes/no dialog; the focused button is bracketed, so focus shows
/// without colour too.
pub fn render_confirm(frame: &mut Frame, area: Rect, app: &App, c: &Confirm, yes_focused: bool) {
    let theme = app.theme();
    let width = (c.question.chars().count() as u16 + 4).max(50);
    let popup = centered(area, width, 6);
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("[ {label} ]"), theme.style(Item::Highlight))
        } else {
            Span::styled(format!("  {label}  "), theme.style(Item::Text))
        }
    };
    let lines = vec![
        Line::styled(format!(" {}", c.question), theme.style(Item::Text)),
        Line::raw(""),
        Line::from(vec![
            Span::raw("        "),
            button(&c.yes, yes_focused),
            Span::raw("    "),
            button(&c.no, !yes_focused),
        ]),
    ];
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(c.border))
        .title(Line::styled(
            format!("[{}]", c.title),
            theme.style(Item::TitleFocus),
        ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}

/// Draw the quit confirmation.
pub fn render(frame: &mut Frame, area: Rect, app: &App, yes_focused: bool) {
    render_confirm(frame, area, app, &quit_dialog(), yes_focused);
}
