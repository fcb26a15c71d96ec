//! The `Action` vocabulary: everything an operator can ask of the control
//! room by key, named in snake_case as keymap files write it, and what
//! read-only and replay sessions take away from it.

use serde::{Deserialize, Serialize};

/// Everything an operator can ask of the control room by key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave the control room (asks first while a run is in progress).
    Quit,
    /// Toggle the help overlay.
    Help,
    /// Focus the next pane.
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Focus pane 1 (Stages).
    #[serde(rename = "pane_1")]
    Pane1,
    /// Focus pane 2 (Environment).
    #[serde(rename = "pane_2")]
    Pane2,
    /// Focus pane 3 (Load).
    #[serde(rename = "pane_3")]
    Pane3,
    /// Focus pane 4 (Canary).
    #[serde(rename = "pane_4")]
    Pane4,
    /// Focus pane 5 (Findings).
    #[serde(rename = "pane_5")]
    Pane5,
    /// Focus pane 6 (Log).
    #[serde(rename = "pane_6")]
    Pane6,
    /// Focus pane 7 (Drills; shown when the plan has a drill stage).
    #[serde(rename = "pane_7")]
    Pane7,
    /// Focus pane 8 (Data; shown when the plan has a data stage).
    #[serde(rename = "pane_8")]
    Pane8,
    /// Zoom the focused pane to the whole body (toggle).
    Zoom,
    /// Freeze the view on a snapshot while events keep arriving (toggle).
    Freeze,
    /// Filter the rows of the focused list pane.
    Filter,
    /// Open the command palette.
    Command,
    /// Roll back the active canary.
    Rollback,
    /// Promote the active canary.
    Promote,
    /// Hold (or release) a pending automatic rollback.
    Hold,
    /// Rerun the selected stage.
    Rerun,
    /// Stop the running load at once.
    KillLoad,
    /// Give an attached viewer the operator role (the owner only, asks first).
    Grant,
    /// Open the sign-off dialog while the gate awaits sign-offs.
    Signoff,
    /// Cycle the sort order of the focused pane (Findings).
    Sort,
    /// Show a longer time span in the load chart.
    WindowWider,
    /// Show a shorter time span in the load chart.
    WindowNarrower,
    /// Close an overlay, clear a filter, leave zoom.
    Back,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Open the details of the selected row.
    Select,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: [Action; 30] = [
        Action::Quit,
        Action::Help,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Pane1,
        Action::Pane2,
        Action::Pane3,
        Action::Pane4,
        Action::Pane5,
        Action::Pane6,
        Action::Pane7,
        Action::Pane8,
        Action::Zoom,
        Action::Freeze,
        Action::Filter,
        Action::Command,
        Action::Rollback,
        Action::Promote,
        Action::Hold,
        Action::Rerun,
        Action::KillLoad,
        Action::Grant,
        Action::Signoff,
        Action::Sort,
        Action::WindowWider,
        Action::WindowNarrower,
        Action::Back,
        Action::Up,
        Action::Down,
        Action::Select,
    ];

    /// The snake_case name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::Pane1 => "pane_1",
            Action::Pane2 => "pane_2",
            Action::Pane3 => "pane_3",
            Action::Pane4 => "pane_4",
            Action::Pane5 => "pane_5",
            Action::Pane6 => "pane_6",
            Action::Pane7 => "pane_7",
            Action::Pane8 => "pane_8",
            Action::Zoom => "zoom",
            Action::Freeze => "freeze",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Rollback => "rollback",
            Action::Promote => "promote",
            Action::Hold => "hold",
            Action::Rerun => "rerun",
            Action::KillLoad => "kill_load",
            Action::Grant => "grant",
            Action::Signoff => "signoff",
            Action::Sort => "sort",
            Action::WindowWider => "window_wider",
            Action::WindowNarrower => "window_narrower",
            Action::Back => "back",
            Action::Up => "up",
            Action::Down => "down",
            Action::Select => "select",
        }
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit (asks first while the run is in progress)",
            Action::Help => "show or hide this help",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::Pane1 => "focus pane 1: Stages",
            Action::Pane2 => "focus pane 2: Environment",
            Action::Pane3 => "focus pane 3: Load",
            Action::Pane4 => "focus pane 4: Canary",
            Action::Pane5 => "focus pane 5: Findings",
            Action::Pane6 => "focus pane 6: Log",
            Action::Pane7 => "focus pane 7: Drills (when planned)",
            Action::Pane8 => "focus pane 8: Data (when planned)",
            Action::Zoom => "zoom the focused pane (toggle)",
            Action::Freeze => "freeze the view; events keep arriving (toggle)",
            Action::Filter => "filter rows of Stages, Environment or Findings",
            Action::Command => "command palette (:quit :theme :rerun ...)",
            Action::Rollback => "roll back the active canary",
            Action::Promote => "promote the active canary",
            Action::Hold => "hold or release a pending automatic rollback",
            Action::Rerun => "rerun the selected stage",
            Action::KillLoad => "stop the load now (safe: kept in read-only)",
            Action::Grant => "make an attached viewer an operator (asks)",
            Action::Signoff => "sign off (approve or reject) an awaited role",
            Action::Sort => "sort Findings: severity, tool, location",
            Action::WindowWider => "load chart: more seconds (30/60/120/300)",
            Action::WindowNarrower => "load chart: fewer seconds",
            Action::Back => "close overlay, clear filter, leave zoom",
            Action::Up => "move selection up",
            Action::Down => "move selection down",
            Action::Select => "show details of the selected stage or finding",
        }
    }

    /// Actions that change the system under test; read-only mode removes them.
    /// Holding an automatic rollback keeps a misbehaving canary live, so it
    /// is one of them.
    pub fn changes_things(self) -> bool {
        matches!(
            self,
            Action::Rollback | Action::Promote | Action::Hold | Action::Rerun
        )
    }

    /// Actions that only mean something with a live engine; replay removes them.
    /// Stopping load is the safe direction, so read-only keeps it.
    pub fn needs_live_run(self) -> bool {
        self.changes_things() || matches!(self, Action::KillLoad | Action::Grant | Action::Signoff)
    }

    /// Whether the action is available under these limits.
    pub fn allowed(self, limits: Limits) -> bool {
        !(limits.read_only && self.changes_things() || limits.replay && self.needs_live_run())
    }

    /// Look up an action by its keymap name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Comma-separated list of every action name, for error messages.
    pub fn names() -> String {
        Action::ALL.map(Action::name).join(", ")
    }
}

/// What the session takes away: read-only removes actions that change
/// things; replay also removes those that need a live engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Read-only run or `--read-only`.
    pub read_only: bool,
    /// Viewing a finished journal.
    pub replay: bool,
}

impl From<bool> for Limits {
    /// `true`: read-only (the historical meaning of the flag).
    fn from(read_only: bool) -> Limits {
        Limits {
            read_only,
            replay: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_match_serde() {
        for a in Action::ALL {
            let json = serde_json::to_string(&a).expect("serialises");
            assert_eq!(json, format!("\"{}\"", a.name()));
        }
    }
}
