//! The sign-off dialog (`S` while the gate awaits sign-offs), the same in
//! the owner's control room and in an attached terminal: the decision
//! summary, who is still needed, the role (up/down), approve or reject
//! (tab), and a comment typed in place. Enter signs as this session's
//! person, with the hash of `report.json` as shown and the journal
//! sequence seen; Esc closes without signing. Whether this person may sign
//! is the gate's rule, checked by the run: a refusal comes back in the log.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::core::command::Command;
use crate::core::signoff::SignoffDecision;
use crate::ui::app::{App, Effect};
use crate::ui::input::KeyResult;
use crate::ui::layout::centered;
use crate::ui::overlay::Overlay;
use crate::ui::panes::border_set;
use crate::ui::theme::Item;

/// Most characters in a comment typed here.
const MAX_COMMENT: usize = 500;

/// The roles a person could still sign: required ones missing, then
/// optional ones unsigned.
fn open_roles(app: &App) -> Vec<String> {
    let Some(v) = app.state().awaiting_signoff() else {
        return Vec::new();
    };
    let mut roles: Vec<&crate::core::signoff::SignoffNeed> = v
        .needed
        .iter()
        .filter(|n| v.given_for(&n.role).is_none())
        .collect();
    roles.sort_by_key(|n| !n.required);
    roles.into_iter().map(|n| n.role.clone()).collect()
}

impl App {
    /// `S`: open the sign-off dialog on the first role still open.
    pub(crate) fn open_signoff(&mut self) {
        if self.replay {
            let why = self.disabled_message("sign-off");
            self.error(why);
            return;
        }
        let Some(role) = open_roles(self).into_iter().next() else {
            self.info("the run does not wait for a sign-off");
            return;
        };
        if !self.has_engine {
            self.error("no engine attached: cannot sign off");
            return;
        }
        self.overlay = Some(Overlay::Signoff {
            role,
            reject: false,
            comment: String::new(),
        });
    }

    /// Close the dialog once the run no longer waits (signed, rejected,
    /// timed out, aborted).
    pub(crate) fn sync_signoff_dialog(&mut self) {
        if matches!(self.overlay, Some(Overlay::Signoff { .. }))
            && self.state.awaiting_signoff().is_none()
        {
            self.overlay = None;
        }
    }
}

/// Handle a raw key while the sign-off dialog is open.
pub(crate) fn handle(app: &mut App, ev: KeyEvent) -> KeyResult {
    let Some(Overlay::Signoff {
        role,
        reject,
        mut comment,
    }) = app.overlay.clone()
    else {
        return KeyResult::NotConsumed;
    };
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let mut next_role = role.clone();
    let mut reject = reject;
    match ev.code {
        KeyCode::Esc => {
            app.overlay = None;
            app.info("sign-off closed; nothing was signed");
            return KeyResult::Consumed(Vec::new());
        }
        KeyCode::Char('c') if ctrl => {
            app.overlay = None;
            return KeyResult::Consumed(Vec::new());
        }
        KeyCode::Tab | KeyCode::BackTab => reject = !reject,
        KeyCode::Up | KeyCode::Down => {
            let roles = open_roles(app);
            if let Some(i) = roles.iter().position(|r| *r == role) {
                let n = roles.len();
                let j = if ev.code == KeyCode::Down {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                next_role = roles[j].clone();
            }
        }
        KeyCode::Backspace => {
            comment.pop();
        }
        KeyCode::Char(c) if !ctrl && comment.chars().count() < MAX_COMMENT => comment.push(c),
        KeyCode::Enter => return KeyResult::Consumed(submit(app, role, reject, comment)),
        _ => {}
    }
    app.overlay = Some(Overlay::Signoff {
        role: next_role,
        reject,
        comment,
    });
    KeyResult::Consumed(Vec::new())
}

fn submit(app: &mut App, role: String, reject: bool, comment: String) -> Vec<Effect> {
    let comment = comment.trim().to_string();
    if reject && comment.is_empty() {
        app.overlay = Some(Overlay::Signoff {
            role,
            reject,
            comment,
        });
        app.error("a rejection needs a comment: it is the NO-GO's reason");
        return Vec::new();
    }
    app.overlay = None;
    let decision = if reject {
        SignoffDecision::Reject
    } else {
        SignoffDecision::Approve
    };
    app.info(format!(
        "{} of {role} sent; the run records it (or says why not)",
        decision.as_str()
    ));
    vec![Effect::Send(Command::Signoff {
        role,
        decision,
        comment,
        report_sha256: crate::report::report_sha256(app.state()),
        seen_seq: app.state().events_applied,
        signature: None,
    })]
}

/// Draw the dialog.
pub fn render(frame: &mut Frame, area: Rect, app: &App, role: &str, reject: bool, comment: &str) {
    let theme = app.theme();
    let Some(v) = app.state().awaiting_signoff() else {
        return;
    };
    let popup = centered(area, area.width.saturating_sub(8).clamp(40, 100), 12);
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("[ {label} ]"), theme.style(Item::Highlight))
        } else {
            Span::styled(format!("  {label}  "), theme.style(Item::Text))
        }
    };
    let text = theme.style(Item::Text);
    let lines = vec![
        Line::styled(
            format!(
                " The gate reached GO, score {}: {}",
                crate::core::format::trim_num(v.score),
                v.rationale
            ),
            text,
        ),
        Line::styled(
            format!(" Still needed: {}", v.needed_text()),
            theme.style(Item::Warn),
        ),
        Line::raw(""),
        Line::styled(format!(" Role: {role}   (up/down: another role)"), text),
        Line::from(vec![
            Span::styled(" Decision: ", text),
            button("Approve", !reject),
            Span::raw("  "),
            button("Reject", reject),
            Span::styled("   (tab switches)", theme.style(Item::Muted)),
        ]),
        Line::styled(format!(" Comment: {comment}_"), text),
        Line::raw(""),
        Line::styled(
            " Enter signs (with the report's hash and the journal position you see), Esc closes",
            theme.style(Item::Muted),
        ),
    ];
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(Item::Warn))
        .title(Line::styled(
            format!("[Sign off: {role}]"),
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
