//! The control room's pure core: view state. Key handling lives in `input/`
//! (the overlays' own keys in `overlay/`), the operator's requests in
//! `requests.rs`, the palette in `palette.rs`. No terminal, no clock reads:
//! `now` is set by the event loop (or by a test), so that a render is a
//! function of `App` alone.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::ColorMode;
use crate::core::command::Command;
use crate::core::event::{Envelope, HealthCheck};
use crate::core::state::{RunState, StageState};
use crate::record::recorder::Delivery;
use crate::ui::UiOptions;
use crate::ui::keymap::{Keymap, Limits};
use crate::ui::list_view::ListView;
use crate::ui::overlay::Overlay;
use crate::ui::panes::Pane;
use crate::ui::panes::environment::health_row_text;
use crate::ui::panes::findings::{FindingSort, FindingsRow, visible_rows};
use crate::ui::panes::stages::stage_row_text;
use crate::ui::theme::{Theme, no_color_from_env};

/// Time spans the load chart can show, in seconds; `+`/`-` step through them.
pub const CHART_SPANS: [u32; 4] = [30, 60, 120, 300];

/// The load chart's span when the control room opens.
pub const DEFAULT_CHART_SPAN: u32 = 60;

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
    /// Filter and selection of each list pane (see `PaneSpec::rows`).
    pub(super) lists: HashMap<Pane, ListView>,
    pub(super) finding_sort: FindingSort,
    pub(super) chart_span: u32,
    pub(super) status: Option<Status>,
    pub(super) theme: Theme,
    pub(super) keymap: Keymap,
    pub(super) read_only_flag: bool,
    pub(super) replay: bool,
    pub(super) rollback_confirm: bool,
    pub(super) has_engine: bool,
    /// This session's peer number when attached to another process's run.
    pub(super) attached: Option<u64>,
    /// The approval request (by its time) whose dialog the operator hid.
    pub(super) approval_hidden: Option<DateTime<Utc>>,
    /// Crashed runs (by id) whose orphan question was answered or hidden.
    pub(super) orphans_answered: Vec<String>,
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
        let mut app = App {
            now: initial.last_ts.unwrap_or_default(),
            ascii: opts.ascii,
            state: initial,
            frozen: None,
            focus: Pane::Stages,
            zoomed: false,
            overlay: None,
            prompt: None,
            command_input: String::new(),
            lists: Pane::all()
                .filter(|p| p.is_list())
                .map(|p| (p, ListView::default()))
                .collect(),
            finding_sort: FindingSort::default(),
            chart_span: DEFAULT_CHART_SPAN,
            status: None,
            theme,
            keymap,
            read_only_flag: opts.read_only,
            replay: opts.replay,
            rollback_confirm: opts.rollback_confirm,
            has_engine: has_engine && !opts.replay,
            attached: opts.attached,
            approval_hidden: None,
            orphans_answered: Vec::new(),
            themes_dir: opts.themes_dir.clone(),
            color: opts.color,
            no_color,
        };
        app.sync_dialogs();
        Ok(app)
    }

    /// Apply one event to the live state (the frozen snapshot, if any, stays).
    pub fn apply(&mut self, env: &Envelope) {
        self.state.apply(env);
        self.sync_dialogs();
    }

    /// A grant question about a peer who has left (or was granted
    /// meanwhile) has nothing left to ask.
    fn sync_grant_dialog(&mut self) {
        if let Some(Overlay::ConfirmGrant { peer, .. }) = self.overlay
            && self.state.role_of(peer) != Some(crate::core::share::Role::Viewer)
        {
            self.overlay = None;
        }
    }

    /// Take one delivery of the run's events: an event to fold, or, after
    /// the screen fell behind the run, the whole state to start again from.
    pub fn receive(&mut self, d: Delivery) {
        match d {
            Delivery::Event(env) => self.apply(&env),
            Delivery::Resync(state) => {
                self.state = *state;
                self.sync_dialogs();
            }
        }
    }

    /// Open or close the dialogs that open by themselves: the apply
    /// approval first, then the orphan question.
    pub(crate) fn sync_dialogs(&mut self) {
        self.sync_approval_dialog();
        self.sync_orphan_dialog();
        self.sync_grant_dialog();
        self.sync_signoff_dialog();
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

    /// Read-only: by option, because the run itself is read-only, or
    /// because this attached session is a viewer.
    pub fn read_only(&self) -> bool {
        self.read_only_flag
            || self.state.info.as_ref().is_some_and(|i| i.read_only)
            || self.attached_viewer()
    }

    /// This session's peer number, when attached to another process's run.
    pub fn attached(&self) -> Option<u64> {
        self.attached
    }

    /// Attached without the operator role (until the owner grants it).
    pub fn attached_viewer(&self) -> bool {
        self.attached
            .is_some_and(|id| self.state.role_of(id) != Some(crate::core::share::Role::Operator))
    }

    /// A message from outside the screen (the run's answer to a command).
    pub fn note(&mut self, status: Status) {
        self.status = Some(status);
    }

    /// Whether actions that change things are unavailable (read-only or replay).
    pub fn changes_disabled(&self) -> bool {
        self.read_only() || self.replay
    }

    /// Whether an operator rollback asks first.
    pub fn rollback_confirm(&self) -> bool {
        self.rollback_confirm
    }

    /// Why changes are disabled in a read-only session, for status messages.
    pub fn read_only_reason(&self) -> &'static str {
        if self.read_only_flag {
            "started with --read-only"
        } else {
            "the run was started read-only"
        }
    }

    /// What read-only and replay take away from the keymap.
    pub fn limits(&self) -> Limits {
        Limits {
            read_only: self.read_only(),
            replay: self.replay,
        }
    }

    /// The day findings are judged on: the run's start date, so a replay
    /// shows what the run saw; the clock only before the run has started.
    pub fn today(&self) -> NaiveDate {
        self.view().started_at.unwrap_or(self.now).date_naive()
    }

    /// Seconds of load the chart shows.
    pub fn chart_span(&self) -> u32 {
        self.chart_span
    }

    /// The order of the Findings pane.
    pub fn finding_sort(&self) -> FindingSort {
        self.finding_sort
    }

    pub(super) fn step_chart_span(&mut self, wider: bool) {
        let i = CHART_SPANS
            .iter()
            .position(|s| *s >= self.chart_span)
            .unwrap_or(CHART_SPANS.len() - 1);
        let i = if wider {
            (i + 1).min(CHART_SPANS.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        self.chart_span = CHART_SPANS[i];
    }

    /// The filter and selection of a list pane.
    pub fn list(&self, pane: Pane) -> Option<&ListView> {
        self.lists.get(&pane)
    }

    pub(super) fn list_mut(&mut self, pane: Pane) -> Option<&mut ListView> {
        self.lists.get_mut(&pane)
    }

    /// The filter text of a list pane.
    pub fn filter(&self, pane: Pane) -> &str {
        self.list(pane).map_or("", ListView::filter)
    }

    /// Rows of the Findings pane (filtered and sorted), then policy results
    /// that did not pass.
    pub fn visible_findings(&self) -> Vec<FindingsRow<'_>> {
        visible_rows(self.view(), self.filter(Pane::Findings), self.finding_sort)
    }

    /// Stages shown in the Stages pane (filtered), in plan order.
    pub fn visible_stages(&self) -> Vec<&StageState> {
        let list = self.list(Pane::Stages);
        self.view()
            .stages
            .iter()
            .filter(|s| list.is_none_or(|l| l.matches(&stage_row_text(s))))
            .collect()
    }

    /// Health checks shown in the Environment pane (filtered).
    pub fn visible_health(&self) -> Vec<&HealthCheck> {
        let list = self.list(Pane::Environment);
        self.view()
            .health
            .iter()
            .filter(|h| list.is_none_or(|l| l.matches(&health_row_text(h))))
            .collect()
    }

    /// Index of the selected row in a list pane, clamped to the visible rows.
    pub fn selected(&self, pane: Pane) -> Option<usize> {
        let rows = pane.spec().rows?;
        self.list(pane)?.selected(rows(self))
    }

    /// The IaC report the Environment pane shows: the first one from an
    /// environment stage, else the first one at all.
    pub fn iac_report(&self) -> Option<(&str, &crate::environment::IacReport)> {
        let view = self.view();
        let is_env = |stage: &str| {
            view.stage(stage)
                .is_some_and(|s| s.plan.kind == crate::core::event::StageKind::Environment)
        };
        view.iac
            .iter()
            .find(|(s, _)| is_env(s))
            .or_else(|| view.iac.first())
            .map(|(s, r)| (s.as_str(), r))
    }

    pub(super) fn selected_stage_id(&self) -> Option<String> {
        let i = self.selected(Pane::Stages)?;
        self.visible_stages().get(i).map(|s| s.plan.id.clone())
    }

    /// Move the selection of the focused list pane one row down or up.
    pub(super) fn move_selection(&mut self, down: bool) {
        let focus = self.focus;
        let Some(rows) = focus.spec().rows else {
            return;
        };
        let len = rows(self);
        if let Some(list) = self.list_mut(focus) {
            list.move_selection(down, len);
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
