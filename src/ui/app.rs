//! The control room's pure core: view state. Key handling lives in `input.rs`,
//! the palette in `palette.rs`. No terminal, no clock reads: `now` is set by the
//! event loop (or by a test), so that a render is a function of `App` alone.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::config::ColorMode;
use crate::run::command::Command;
use crate::run::event::{Envelope, HealthCheck};
use crate::run::state::{RunState, StageState};
use crate::ui::UiOptions;
use crate::ui::keymap::Keymap;
use crate::ui::panes::{health_row_text, stage_row_text};
use crate::ui::theme::{Theme, no_color_from_env};

/// The six panes, numbered as on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pane {
    /// 1: stages of the run plan.
    Stages,
    /// 2: environment health checks.
    Environment,
    /// 3: load test.
    Load,
    /// 4: canary rollout.
    Canary,
    /// 5: security and compliance findings.
    Findings,
    /// 6: log.
    Log,
}

impl Pane {
    /// Every pane in focus order.
    pub const ALL: [Pane; 6] = [
        Pane::Stages,
        Pane::Environment,
        Pane::Load,
        Pane::Canary,
        Pane::Findings,
        Pane::Log,
    ];

    /// The pane's number, 1 to 6.
    pub fn number(self) -> usize {
        Pane::ALL
            .iter()
            .position(|p| *p == self)
            .unwrap_or_default()
            + 1
    }

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Stages => "Stages",
            Pane::Environment => "Environment",
            Pane::Load => "Load",
            Pane::Canary => "Canary",
            Pane::Findings => "Findings",
            Pane::Log => "Log",
        }
    }

    pub(super) fn offset(self, by: isize) -> Pane {
        let n = Pane::ALL.len() as isize;
        let i = (self.number() as isize - 1 + by).rem_euclid(n);
        Pane::ALL[i as usize]
    }

    /// Whether the pane lists rows that can be filtered and selected.
    pub fn is_list(self) -> bool {
        matches!(self, Pane::Stages | Pane::Environment)
    }
}

/// A window drawn over the panes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// Key bindings, generated from the live keymap.
    Help {
        /// First line shown.
        scroll: u16,
    },
    /// The evidence of one stage.
    StageDetail {
        /// Stage id.
        stage: String,
    },
    /// "Run in progress: quit and abort it?"; focus starts on No.
    ConfirmQuit {
        /// Whether Yes has the focus.
        yes_focused: bool,
    },
}

/// A one-line text prompt in the hint bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// `/`: filter the rows of a list pane.
    Filter(Pane),
    /// `:`: command palette.
    Command,
}

/// A message in the hint bar until the next key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The message.
    pub text: String,
    /// Whether it reports an error.
    pub error: bool,
}

/// What the event loop must do after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Leave the control room.
    Quit,
    /// Send a command to the engine.
    Send(Command),
}

/// View state of the control room around the run state.
#[derive(Clone, Debug)]
pub struct App {
    /// The time used for elapsed clocks; set before each draw.
    pub now: DateTime<Utc>,
    /// ASCII borders and markers.
    pub ascii: bool,
    pub(super) state: RunState,
    pub(super) frozen: Option<RunState>,
    pub(super) focus: Pane,
    pub(super) zoomed: bool,
    pub(super) overlay: Option<Overlay>,
    pub(super) prompt: Option<Prompt>,
    pub(super) command_input: String,
    pub(super) stage_filter: String,
    pub(super) env_filter: String,
    pub(super) stage_sel: usize,
    pub(super) env_sel: usize,
    pub(super) status: Option<Status>,
    pub(super) theme: Theme,
    pub(super) keymap: Keymap,
    pub(super) read_only_flag: bool,
    pub(super) replay: bool,
    pub(super) has_engine: bool,
    pub(super) themes_dir: Option<PathBuf>,
    pub(super) color: ColorMode,
    pub(super) no_color: bool,
}

impl App {
    /// Build the app; reads `NO_COLOR` from the environment.
    pub fn new(opts: &UiOptions, initial: RunState, has_engine: bool) -> anyhow::Result<App> {
        let no_color = no_color_from_env(std::env::var_os("NO_COLOR"));
        App::with_no_color(opts, initial, has_engine, no_color)
    }

    /// Build the app with an explicit `NO_COLOR` answer (for tests).
    pub fn with_no_color(
        opts: &UiOptions,
        initial: RunState,
        has_engine: bool,
        no_color: bool,
    ) -> anyhow::Result<App> {
        let theme = Theme::resolve(
            &opts.theme,
            opts.themes_dir.as_deref(),
            opts.color,
            no_color,
        )?;
        let keymap = Keymap::load(opts.keymap.as_deref())?;
        Ok(App {
            now: initial.last_ts.unwrap_or_default(),
            ascii: opts.ascii,
            state: initial,
            frozen: None,
            focus: Pane::Stages,
            zoomed: false,
            overlay: None,
            prompt: None,
            command_input: String::new(),
            stage_filter: String::new(),
            env_filter: String::new(),
            stage_sel: 0,
            env_sel: 0,
            status: None,
            theme,
            keymap,
            read_only_flag: opts.read_only,
            replay: opts.replay,
            has_engine: has_engine && !opts.replay,
            themes_dir: opts.themes_dir.clone(),
            color: opts.color,
            no_color,
        })
    }

    /// Apply one event to the live state (the frozen snapshot, if any, stays).
    pub fn apply(&mut self, env: &Envelope) {
        self.state.apply(env);
    }

    /// The live run state.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// The state to render: the frozen snapshot, or the live state.
    pub fn view(&self) -> &RunState {
        self.frozen.as_ref().unwrap_or(&self.state)
    }

    /// Whether the view is frozen.
    pub fn is_frozen(&self) -> bool {
        self.frozen.is_some()
    }

    /// The focused pane.
    pub fn focus(&self) -> Pane {
        self.focus
    }

    /// Whether the focused pane fills the body.
    pub fn zoomed(&self) -> bool {
        self.zoomed
    }

    /// The open overlay.
    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_ref()
    }

    /// The open prompt.
    pub fn prompt(&self) -> Option<Prompt> {
        self.prompt
    }

    /// The text typed in the command palette.
    pub fn command_input(&self) -> &str {
        &self.command_input
    }

    /// The current status message.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// The theme in use.
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// The keymap in use.
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// Whether this is a replay of a finished journal.
    pub fn replay(&self) -> bool {
        self.replay
    }

    /// Read-only: by option or because the run itself is read-only.
    pub fn read_only(&self) -> bool {
        self.read_only_flag || self.state.info.as_ref().is_some_and(|i| i.read_only)
    }

    /// Whether actions that change things are unavailable (read-only or replay).
    pub fn changes_disabled(&self) -> bool {
        self.read_only() || self.replay
    }

    /// The filter text of a list pane.
    pub fn filter(&self, pane: Pane) -> &str {
        match pane {
            Pane::Stages => &self.stage_filter,
            Pane::Environment => &self.env_filter,
            _ => "",
        }
    }

    pub(super) fn filter_mut(&mut self, pane: Pane) -> Option<&mut String> {
        match pane {
            Pane::Stages => Some(&mut self.stage_filter),
            Pane::Environment => Some(&mut self.env_filter),
            _ => None,
        }
    }

    /// Stages shown in the Stages pane (filtered), in plan order.
    pub fn visible_stages(&self) -> Vec<&StageState> {
        let f = self.stage_filter.to_lowercase();
        self.view()
            .stages
            .iter()
            .filter(|s| f.is_empty() || stage_row_text(s).to_lowercase().contains(&f))
            .collect()
    }

    /// Health checks shown in the Environment pane (filtered).
    pub fn visible_health(&self) -> Vec<&HealthCheck> {
        let f = self.env_filter.to_lowercase();
        self.view()
            .health
            .iter()
            .filter(|h| f.is_empty() || health_row_text(h).to_lowercase().contains(&f))
            .collect()
    }

    /// Index of the selected row in a list pane, clamped to the visible rows.
    pub fn selected(&self, pane: Pane) -> Option<usize> {
        let (sel, len) = match pane {
            Pane::Stages => (self.stage_sel, self.visible_stages().len()),
            Pane::Environment => (self.env_sel, self.visible_health().len()),
            _ => return None,
        };
        (len > 0).then(|| sel.min(len - 1))
    }

    pub(super) fn selected_stage_id(&self) -> Option<String> {
        let i = self.selected(Pane::Stages)?;
        self.visible_stages().get(i).map(|s| s.plan.id.clone())
    }

    pub(super) fn move_selection(&mut self, down: bool) {
        let Some(cur) = self.selected(self.focus) else {
            return;
        };
        let len = match self.focus {
            Pane::Stages => self.visible_stages().len(),
            _ => self.visible_health().len(),
        };
        let next = if down {
            (cur + 1).min(len.saturating_sub(1))
        } else {
            cur.saturating_sub(1)
        };
        match self.focus {
            Pane::Stages => self.stage_sel = next,
            _ => self.env_sel = next,
        }
    }

    pub(crate) fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    pub(crate) fn open_help(&mut self) {
        self.overlay = Some(Overlay::Help { scroll: 0 });
    }

    pub(crate) fn set_theme(&mut self, name: &str) -> anyhow::Result<()> {
        self.theme = Theme::resolve(name, self.themes_dir.as_deref(), self.color, self.no_color)?;
        Ok(())
    }

    pub(crate) fn themes_dir_ref(&self) -> Option<&std::path::Path> {
        self.themes_dir.as_deref()
    }

    /// Whether an engine is attached to receive commands.
    pub fn has_engine(&self) -> bool {
        self.has_engine
    }

    /// Whether the clock in the header is running (redraw once a second).
    pub fn clock_running(&self) -> bool {
        !self.replay && self.state.in_progress()
    }
}
