//! The terminal at the edge: raw mode and the alternate screen, restored on
//! every way out (normal return, error, panic, signal).
//!
//! Nothing here asks the terminal a question. Some terminals never answer
//! one (SSH clients, serial consoles, session recorders such as `script`
//! with nothing upstream): ratatui's `Terminal::clear` reads the cursor
//! position (ESC[6n) to put the cursor back, and would fail the whole TUI
//! after a timeout. A full-screen viewport needs no position, so the screen
//! is cleared with a plain escape sequence instead.

use std::io::{Stdout, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use crossterm::cursor::MoveTo;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether this process has the terminal in raw mode / alternate screen.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// The terminal, restored when dropped.
pub struct TerminalGuard {
    /// The ratatui terminal.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen; capture the mouse if asked.
    pub fn enter(mouse: bool) -> anyhow::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode().context("cannot put the terminal in raw mode")?;
        ACTIVE.store(true, Ordering::SeqCst);
        let setup = || -> anyhow::Result<TerminalGuard> {
            execute!(stdout(), EnterAlternateScreen)
                .context("cannot enter the alternate screen")?;
            if mouse {
                execute!(stdout(), EnableMouseCapture).context("cannot capture the mouse")?;
            }
            let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))
                .context("cannot set up the terminal")?;
            terminal.hide_cursor().context("cannot hide the cursor")?;
            // Not `terminal.clear()`: it queries the cursor position (see
            // the module doc). The first frame draws every cell anyway.
            execute!(stdout(), Clear(ClearType::All), MoveTo(0, 0))
                .context("cannot clear the terminal")?;
            Ok(TerminalGuard { terminal })
        };
        setup().inspect_err(|_| restore())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Give the terminal back: leave the alternate screen, raw mode and mouse
/// capture. Safe to call more than once; does nothing if not active.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(
            stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
    }
}

/// Restore the terminal before the previous panic hook prints, so the
/// message lands on a usable screen.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
