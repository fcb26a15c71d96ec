//! The terminal control room: one consumer of the run's events among others.
//!
//! The UI holds a [`RunState`] and changes it only
//! through `RunState::apply`; everything else here is view state ([`App`]).
//! [`draw`] renders an `App` and is what snapshot tests call on a
//! `TestBackend`; [`run_tui`] wires it to the terminal, the engine's event
//! channel, the command channel and signals.
//!
//! A key goes through `input/` in layers: the open overlay (`overlay/`)
//! first, then the global keys that work from everywhere, then the main
//! view. Panes are registered once, in [`panes::PANES`].

pub mod app;
pub mod event_loop;
pub mod header;
pub mod help;
pub mod hints;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod list_view;
pub mod overlay;
pub mod palette;
pub mod panes;
pub mod requests;
pub mod terminal;
pub mod theme;

use std::path::PathBuf;

use tokio::sync::mpsc::UnboundedSender;

use crate::record::recorder::Subscription;

use crate::config::ColorMode;
use crate::core::command::Command;
use crate::core::state::RunState;

pub use app::{App, Effect, Prompt, Status};
pub use input::KeyResult;
pub use keymap::{Action, Key, Keymap, Limits};
pub use layout::draw;
pub use list_view::ListView;
pub use overlay::Overlay;
pub use panes::findings::FindingSort;
pub use panes::{PANES, Pane, PaneSpec};
pub use theme::Theme;

/// How the control room looks and behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct UiOptions {
    /// Theme name: default, light, mono, high-contrast, or a file in `themes_dir`.
    pub theme: String,
    /// Directory with extra or overriding themes (`NAME.toml`).
    pub themes_dir: Option<PathBuf>,
    /// User keymap merged over the built-in `config/keymap.toml`.
    pub keymap: Option<PathBuf>,
    /// Most frames per second for data updates (default 10).
    pub fps: u32,
    /// ASCII borders and chart markers.
    pub ascii: bool,
    /// Colour mode; with `auto`, a non-empty `NO_COLOR` gives the mono look.
    pub color: ColorMode,
    /// Capture the mouse (off by default).
    pub mouse: bool,
    /// Remove rollback, promote and rerun, and say so.
    pub read_only: bool,
    /// Viewing a finished journal: no engine, nothing to rerun.
    pub replay: bool,
    /// Ask before an operator rollback (`canary.rollback_confirm`). Default
    /// false: rollback is the safe direction, so `R` acts at once.
    pub rollback_confirm: bool,
    /// Attached to another process's live run (`flightdeck attach`) as
    /// this peer (connection number): the role comes from the run's
    /// presence, and quitting only detaches.
    pub attached: Option<u64>,
}

impl Default for UiOptions {
    fn default() -> Self {
        UiOptions {
            theme: "default".into(),
            themes_dir: None,
            keymap: None,
            fps: 10,
            ascii: false,
            color: ColorMode::Auto,
            mouse: false,
            read_only: false,
            replay: false,
            rollback_confirm: false,
            attached: None,
        }
    }
}

/// Why the control room ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UiExit {
    /// The operator quit.
    Quit,
    /// A signal arrived: `SIGTERM` or `SIGHUP`.
    Signal(String),
}

/// Check theme and keymap before the terminal is touched. Errors are one-liners
/// naming the file and key.
pub fn validate_options(opts: &UiOptions) -> anyhow::Result<()> {
    if opts.fps == 0 {
        anyhow::bail!("ui.fps: must be at least 1 (default 10)");
    }
    Theme::resolve(&opts.theme, opts.themes_dir.as_deref(), opts.color, false)?;
    Keymap::load(opts.keymap.as_deref())?;
    Ok(())
}

/// Runs the control room until the operator quits or a signal arrives. Always
/// restores the terminal (also on error and on panic, via a panic hook that
/// restores first, then calls the previous hook).
pub async fn run_tui(
    opts: UiOptions,
    initial: RunState,
    events: Option<Subscription>,
    commands: Option<UnboundedSender<Command>>,
) -> anyhow::Result<UiExit> {
    run_tui_with_notes(opts, initial, events, commands, None).await
}

/// [`run_tui`], with status-line messages from outside the screen (an
/// attached session hears the run's answers to its commands this way).
pub async fn run_tui_with_notes(
    opts: UiOptions,
    initial: RunState,
    events: Option<Subscription>,
    commands: Option<UnboundedSender<Command>>,
    notes: Option<tokio::sync::mpsc::UnboundedReceiver<Status>>,
) -> anyhow::Result<UiExit> {
    validate_options(&opts)?;
    let app = App::new(&opts, initial, commands.is_some())?;
    let mut guard = terminal::TerminalGuard::enter(opts.mouse)?;
    let result = event_loop::run(&mut guard, app, events, commands, notes, opts.fps).await;
    drop(guard);
    result
}
