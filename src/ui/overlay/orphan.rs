//! The orphan dialog: when a run starts and an earlier run crashed with its
//! canary's flag moved (`canary.on_orphan = "ask"`), it opens by itself and
//! offers the rollback with one key. Focus starts on Roll back, the safe
//! direction: `R` (or `r`, `y`, Enter on the focus) rolls the flag back
//! through the crashed run's provider, `l` (or `n`) leaves it, Esc hides
//! the question (`flightdeck recover` settles it later). Both answers are
//! journalled by the engine, with the operator.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::core::command::Command;
use crate::core::recovery::Orphan;
use crate::ui::app::{App, Effect};
use crate::ui::input::KeyResult;
use crate::ui::layout::centered;
use crate::ui::overlay::Overlay;
use crate::ui::panes::border_set;
use crate::ui::theme::Item;

/// Handle a raw key while the orphan dialog is open.
pub(crate) fn handle(app: &mut App, ev: KeyEvent) -> KeyResult {
    let Some(Overlay::ConfirmOrphan { rollback_focused }) = app.overlay else {
        return KeyResult::NotConsumed;
    };
    KeyResult::Consumed(app.orphan_key(ev, rollback_focused))
}

impl App {
    /// The orphan the dialog asks about: the oldest one still waiting that
    /// the operator has not answered or hidden.
    pub(crate) fn asked_orphan(&self) -> Option<&Orphan> {
        self.state
            .pending_orphans()
            .map(|o| &o.orphan)
            .find(|o| !self.orphans_answered.contains(&o.run_id))
    }

    /// Open the dialog when an orphan waits (unless another question is
    /// open or the operator types); close it when none is left to ask.
    pub(crate) fn sync_orphan_dialog(&mut self) {
        let asked = self.asked_orphan().is_some();
        match (asked, &self.overlay) {
            (false, Some(Overlay::ConfirmOrphan { .. })) => self.overlay = None,
            (
                true,
                None
                | Some(
                    Overlay::Help { .. }
                    | Overlay::StageDetail { .. }
                    | Overlay::FindingDetail { .. }
                    | Overlay::PolicyDetail { .. },
                ),
            ) if self.prompt.is_none() && self.has_engine && !self.changes_disabled() => {
                self.overlay = Some(Overlay::ConfirmOrphan {
                    rollback_focused: true,
                });
            }
            _ => {}
        }
    }

    fn orphan_key(&mut self, ev: KeyEvent, rollback_focused: bool) -> Vec<Effect> {
        let rollback = match ev.code {
            KeyCode::Char('r' | 'R' | 'y' | 'Y') => true,
            KeyCode::Char('l' | 'L' | 'n' | 'N') => false,
            KeyCode::Enter => rollback_focused,
            KeyCode::Left | KeyCode::Right | KeyCode::Tab | KeyCode::BackTab => {
                self.overlay = Some(Overlay::ConfirmOrphan {
                    rollback_focused: !rollback_focused,
                });
                return Vec::new();
            }
            KeyCode::Esc => {
                self.hide_orphan();
                return Vec::new();
            }
            KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                self.hide_orphan();
                return self.request_quit();
            }
            _ => return Vec::new(),
        };
        let Some(o) = self.asked_orphan().cloned() else {
            self.overlay = None;
            return Vec::new();
        };
        self.orphans_answered.push(o.run_id.clone());
        self.overlay = None;
        self.sync_orphan_dialog();
        if rollback {
            self.info(format!(
                "rolling back {} left at {} by crashed run {}",
                o.flag,
                o.share_text(),
                o.run_id
            ));
        } else {
            self.info(format!(
                "{} left at {} (flightdeck recover --run {} --rollback later)",
                o.flag,
                o.share_text(),
                o.run_id
            ));
        }
        vec![Effect::Send(Command::ResolveOrphan {
            run_id: o.run_id,
            rollback,
        })]
    }

    fn hide_orphan(&mut self) {
        if let Some(o) = self.asked_orphan().cloned() {
            self.orphans_answered.push(o.run_id.clone());
            self.info(format!(
                "question hidden: {} stays at {}; settle it with {}",
                o.flag,
                o.share_text(),
                o.fix_command()
            ));
        }
        self.overlay = None;
        self.sync_orphan_dialog();
    }
}

/// Draw the orphan dialog: which run, which flag at what share and where,
/// and the two answers, Roll back bracketed when focused (focus shows
/// without colour too).
pub fn render(frame: &mut Frame, area: Rect, app: &App, rollback_focused: bool) {
    let Some(o) = app.asked_orphan() else {
        return;
    };
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("[ {label} ]"), theme.style(Item::Highlight))
        } else {
            Span::styled(format!("  {label}  "), text)
        }
    };
    let lines = vec![
        Line::styled(
            format!(
                " Run {} crashed and left flag {} at {}.",
                o.run_id,
                o.flag,
                o.share_text()
            ),
            text,
        ),
        Line::styled(
            format!(
                " {} {}, last event {}",
                o.provider,
                o.location,
                o.last_event_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            muted,
        ),
        Line::styled(" Roll it back to 0% now? [R/l]", text),
        Line::raw(""),
        Line::from(vec![
            Span::raw("        "),
            button("Roll back", rollback_focused),
            Span::raw("    "),
            button("Leave", !rollback_focused),
        ]),
        Line::styled(
            " R roll back  l leave  esc hide (flightdeck recover)",
            muted,
        ),
    ];
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
        .border_style(theme.style(Item::Warn))
        .title(Line::styled(
            "[Crashed run left a flag moved]",
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
