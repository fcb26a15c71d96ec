//! Yes/no dialogs: quit a run in progress (focus on No), promote the canary
//! (focus on No), apply a saved plan that waits for approval (focus on No)
//! and, when the run's config asks for it, roll back (focus on Roll back: it
//! is the safe direction).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::core::state::approval::ApprovalView;
use crate::iac::approval::wait_text;
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

/// The owner's grant: give an attached viewer the operator role.
pub fn grant_dialog(p: &crate::core::share::Peer) -> Confirm {
    Confirm {
        title: "Give control?".into(),
        question: format!(
            "Give {} (uid {}{}) the operator role? up/down: another viewer [y/N]",
            p.actor.name,
            p.actor.uid.map_or("?".into(), |u| u.to_string()),
            match &p.actor.via {
                crate::core::actor::Via::Ssh { client, .. } => format!(", ssh from {client}"),
                _ => String::new(),
            }
        ),
        yes: "Yes, grant".into(),
        no: "No".into(),
        border: Item::Warn,
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

/// The apply approval: what the saved plan does (destructive changes and
/// high risks first and in the failure colour), how long the stage waits,
/// and the keys. Focus starts on No.
pub fn render_apply(frame: &mut Frame, area: Rect, app: &App, a: &ApprovalView, yes_focused: bool) {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let bad = theme.style(Item::Fail);
    let r = &a.request;
    let c = &r.counts;
    let env = app
        .state()
        .info
        .as_ref()
        .map_or_else(|| "the environment".to_string(), |i| i.environment.clone());
    let mut lines = vec![
        Line::styled(
            format!(" Apply the saved plan to {env} (stage {})? [y/N]", a.stage),
            text,
        ),
        Line::styled(
            format!(" plan     {} ({})", r.plan_file, r.provisioner),
            muted,
        ),
        Line::from(vec![
            Span::styled(
                format!(" changes  +{} create  ~{} update  ", c.create, c.update),
                text,
            ),
            Span::styled(
                format!("-{} delete  ", c.delete),
                if c.delete > 0 { bad } else { text },
            ),
            Span::styled(
                format!(
                    "{}{} replace",
                    if app.ascii { "+-" } else { "±" },
                    c.replace
                ),
                if c.replace > 0 { bad } else { text },
            ),
            Span::styled(
                if r.output_changes > 0 {
                    format!("  ({} output changes)", r.output_changes)
                } else {
                    String::new()
                },
                muted,
            ),
        ]),
    ];
    // Keep the buttons on screen: list what fits (one row each, never
    // wrapped), then say how many more.
    let room = area.height.saturating_sub(10) as usize;
    let mut loud: Vec<String> = r
        .destructive
        .iter()
        .map(|d| format!(" DESTRUCTIVE  {d}"))
        .collect();
    loud.extend(r.high_risks.iter().map(|h| format!(" RISK HIGH    {h}")));
    let shown = loud.len().min(room.max(1));
    for l in &loud[..shown] {
        lines.push(Line::styled(l.clone(), bad));
    }
    if loud.len() > shown {
        lines.push(Line::styled(
            format!(" +{} more (d: plan detail)", loud.len() - shown),
            bad,
        ));
    }
    if loud.is_empty() {
        lines.push(Line::styled(" nothing is deleted or replaced", muted));
    }
    lines.push(Line::styled(
        format!(
            " waits {} more, then nothing is applied (approval_timeout)",
            wait_text(a.seconds_left(app.now) as u64)
        ),
        muted,
    ));
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("[ {label} ]"), theme.style(Item::Highlight))
        } else {
            Span::styled(format!("  {label}  "), text)
        }
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw("        "),
        button("Yes, apply", yes_focused),
        Span::raw("    "),
        button("No", !yes_focused),
    ]));
    lines.push(Line::styled(
        " y apply  n decline  d plan  esc hide (:apply)",
        muted,
    ));
    let width = lines
        .iter()
        .map(|l| l.width() as u16 + 3)
        .max()
        .unwrap_or(50)
        .clamp(50, 100)
        .min(area.width);
    let popup = centered(area, width, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(if loud.is_empty() {
            Item::Warn
        } else {
            Item::Fail
        }))
        .title(Line::styled("[Apply plan?]", theme.style(Item::TitleFocus)));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
