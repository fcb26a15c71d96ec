//! Keys of the yes/no questions: quit a run in progress, roll back (only
//! with `rollback_confirm`) and promote. `y` and `n` answer, Enter answers
//! the focused button, arrows and tab move the focus, Esc and ctrl-c say
//! no. A question holds every other key too, so `R` or `q` cannot act
//! behind it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::core::command::Command;
use crate::ui::app::{App, Effect};
use crate::ui::input::KeyResult;
use crate::ui::overlay::Overlay;

/// Handle a raw key while a yes/no question is open.
pub(crate) fn handle(app: &mut App, ev: KeyEvent) -> KeyResult {
    let effects = match app.overlay {
        Some(Overlay::ConfirmQuit { yes_focused }) => quit_key(app, ev, yes_focused),
        Some(Overlay::ConfirmRollback { yes_focused }) => rollback_key(app, ev, yes_focused),
        Some(Overlay::ConfirmPromote { yes_focused }) => promote_key(app, ev, yes_focused),
        Some(Overlay::ConfirmGrant { peer, yes_focused }) => grant_key(app, ev, peer, yes_focused),
        _ => return KeyResult::NotConsumed,
    };
    KeyResult::Consumed(effects)
}

/// The answer a key gives to a yes/no dialog: `Some(yes)` closes it;
/// arrows and tab move the focus (through `refocus`); other keys do nothing.
fn answer(
    app: &mut App,
    ev: KeyEvent,
    yes_focused: bool,
    refocus: fn(bool) -> Overlay,
) -> Option<bool> {
    let yes = match ev.code {
        KeyCode::Char('y' | 'Y') => true,
        KeyCode::Char('n' | 'N') | KeyCode::Esc => false,
        KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => false,
        KeyCode::Enter => yes_focused,
        KeyCode::Left | KeyCode::Right | KeyCode::Tab | KeyCode::BackTab => {
            app.overlay = Some(refocus(!yes_focused));
            return None;
        }
        _ => return None,
    };
    app.overlay = None;
    Some(yes)
}

fn quit_key(app: &mut App, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
    let Some(yes) = answer(app, ev, yes_focused, |yes_focused| Overlay::ConfirmQuit {
        yes_focused,
    }) else {
        return Vec::new();
    };
    if !yes {
        app.info("quit cancelled; the run goes on");
        return Vec::new();
    }
    let mut effects = Vec::new();
    if app.state.in_progress() && app.has_engine {
        effects.push(Effect::Send(Command::Abort {
            reason: "operator quit".into(),
        }));
    }
    effects.push(Effect::Quit);
    effects
}

fn rollback_key(app: &mut App, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
    match answer(app, ev, yes_focused, |yes_focused| {
        Overlay::ConfirmRollback { yes_focused }
    }) {
        Some(true) => app.send_rollback(),
        Some(false) => {
            app.info("rollback cancelled; the canary keeps its traffic");
            Vec::new()
        }
        None => Vec::new(),
    }
}

fn promote_key(app: &mut App, ev: KeyEvent, yes_focused: bool) -> Vec<Effect> {
    match answer(app, ev, yes_focused, |yes_focused| {
        Overlay::ConfirmPromote { yes_focused }
    }) {
        Some(true) => {
            let flag = app.canary_flag().unwrap_or_default();
            app.info(format!("promote of `{flag}` to 100% requested"));
            vec![Effect::Send(Command::Promote)]
        }
        Some(false) => {
            app.info("promote cancelled");
            Vec::new()
        }
        None => Vec::new(),
    }
}

fn grant_key(app: &mut App, ev: KeyEvent, peer: u64, yes_focused: bool) -> Vec<Effect> {
    if matches!(ev.code, KeyCode::Up | KeyCode::Down) {
        app.grant(Some((peer, ev.code == KeyCode::Down)));
        return Vec::new();
    }
    let name = app
        .state()
        .peer(peer)
        .map_or_else(|| format!("#{peer}"), |p| p.actor.name.clone());
    if matches!(
        ev.code,
        KeyCode::Left | KeyCode::Right | KeyCode::Tab | KeyCode::BackTab
    ) {
        app.overlay = Some(Overlay::ConfirmGrant {
            peer,
            yes_focused: !yes_focused,
        });
        return Vec::new();
    }
    // The focus moved above; `answer` only reads the yes or no.
    match answer(app, ev, yes_focused, |_| Overlay::ConfirmQuit {
        yes_focused: false,
    }) {
        Some(true) => {
            app.info(format!("giving {name} the operator role"));
            vec![Effect::Send(Command::Grant { peer })]
        }
        Some(false) => {
            app.info(format!("{name} stays a viewer"));
            Vec::new()
        }
        None => Vec::new(),
    }
}
