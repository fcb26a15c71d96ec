//! Key bindings: the `Action` vocabulary and the keymap that maps keys to it.
//!
//! The built-in `config/keymap.toml` is embedded in the binary; a user keymap
//! is merged over it (adds keys or rebinds them). Help and the hint bar are
//! generated from the same [`Keymap`], so they cannot drift from the keys
//! that actually work.

use std::fmt;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};

/// The built-in keymap, embedded so the binary works from any directory.
pub const BUILTIN_KEYMAP: &str = include_str!("../../config/keymap.toml");

/// Name used for the built-in keymap in error messages.
pub const BUILTIN_KEYMAP_NAME: &str = "config/keymap.toml (built-in)";

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
    pub const ALL: [Action; 26] = [
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
        Action::Zoom,
        Action::Freeze,
        Action::Filter,
        Action::Command,
        Action::Rollback,
        Action::Promote,
        Action::Hold,
        Action::Rerun,
        Action::KillLoad,
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
            Action::Zoom => "zoom",
            Action::Freeze => "freeze",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Rollback => "rollback",
            Action::Promote => "promote",
            Action::Hold => "hold",
            Action::Rerun => "rerun",
            Action::KillLoad => "kill_load",
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
            Action::Zoom => "zoom the focused pane (toggle)",
            Action::Freeze => "freeze the view; events keep arriving (toggle)",
            Action::Filter => "filter rows of Stages, Environment or Findings",
            Action::Command => "command palette (:quit :theme :rerun ...)",
            Action::Rollback => "roll back the active canary",
            Action::Promote => "promote the active canary",
            Action::Hold => "hold or release a pending automatic rollback",
            Action::Rerun => "rerun the selected stage",
            Action::KillLoad => "stop the load now (safe: kept in read-only)",
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
        self.changes_things() || self == Action::KillLoad
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

/// A key as written in a keymap file, normalised so that it compares equal to
/// the key event the terminal delivers (`R`, `shift-r` and Shift+r are one key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    mods: KeyModifiers,
}

impl Key {
    /// Parse a key string such as `q`, `R`, `shift-tab`, `ctrl-c`, `f5`, `esc`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let prefix = ["ctrl-", "alt-", "shift-"]
                .into_iter()
                .find(|p| lower.starts_with(p) && rest.len() > p.len());
            match prefix {
                Some("ctrl-") => mods |= KeyModifiers::CONTROL,
                Some("alt-") => mods |= KeyModifiers::ALT,
                Some(_) => mods |= KeyModifiers::SHIFT,
                None => break,
            }
            rest = &rest[prefix.map_or(0, str::len)..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "tab" => KeyCode::Tab,
                "backtab" => {
                    mods |= KeyModifiers::SHIFT;
                    KeyCode::Tab
                }
                "esc" | "escape" => KeyCode::Esc,
                "enter" | "return" => KeyCode::Enter,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "" => return Err("empty key".to_string()),
                other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if (1..=12).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key name `{rest}`")),
                },
            },
        };
        Ok(Key::normalise(code, mods))
    }

    /// The key of a terminal key event.
    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::normalise(ev.code, ev.modifiers)
    }

    fn normalise(code: KeyCode, mut mods: KeyModifiers) -> Key {
        mods &= KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT;
        let code = match code {
            KeyCode::BackTab => {
                mods -= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods -= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            KeyCode::Char(c) => {
                // The character already carries the shift (`R`, `?`).
                let shifted = mods.contains(KeyModifiers::SHIFT);
                mods -= KeyModifiers::SHIFT;
                if shifted && c.is_ascii_lowercase() {
                    KeyCode::Char(c.to_ascii_uppercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            other => other,
        };
        Key { code, mods }
    }

    /// A key event for this key (used by tests and replays of keystrokes).
    pub fn to_event(self) -> KeyEvent {
        KeyEvent::new(self.code, self.mods)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// What a key means under the current mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The key triggers this action.
    Bound(Action),
    /// The key is bound to an action that read-only mode removed.
    Disabled(Action),
    /// The key does nothing.
    Unbound,
}

/// The live key bindings.
#[derive(Clone, Debug, PartialEq)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

impl Keymap {
    /// The built-in keymap.
    pub fn builtin() -> anyhow::Result<Keymap> {
        let bindings = parse_bindings(BUILTIN_KEYMAP, BUILTIN_KEYMAP_NAME)?;
        Ok(Keymap::from_bindings(bindings))
    }

    /// The built-in keymap with the user's file (if any) merged over it.
    pub fn load(user: Option<&Path>) -> anyhow::Result<Keymap> {
        let mut map = Keymap::builtin()?;
        if let Some(path) = user {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read keymap file", path.display()))?;
            map.merge(parse_bindings(&text, &path.display().to_string())?);
        }
        Ok(map)
    }

    /// Parse a keymap file's text on its own (no built-in bindings).
    pub fn parse(text: &str, source: &str) -> anyhow::Result<Keymap> {
        Ok(Keymap::from_bindings(parse_bindings(text, source)?))
    }

    fn from_bindings(bindings: Vec<(Key, Action)>) -> Keymap {
        let mut map = Keymap {
            bindings: Vec::new(),
        };
        map.merge(bindings);
        map
    }

    fn merge(&mut self, bindings: Vec<(Key, Action)>) {
        for (key, action) in bindings {
            self.bindings.retain(|(k, _)| *k != key);
            self.bindings.push((key, action));
        }
        let order = |a: Action| Action::ALL.iter().position(|x| *x == a);
        self.bindings
            .sort_by_key(|(k, a)| (order(*a), k.to_string().len(), k.to_string()));
    }

    /// Bindings in help order, leaving out what the limits take away
    /// (`false`/`true` mean not read-only/read-only).
    pub fn bindings(&self, limits: impl Into<Limits>) -> impl Iterator<Item = (Key, Action)> + '_ {
        let limits = limits.into();
        self.bindings
            .iter()
            .copied()
            .filter(move |(_, a)| a.allowed(limits))
    }

    /// Keys bound to an action, shortest first.
    pub fn keys_for(&self, action: Action, limits: impl Into<Limits>) -> Vec<Key> {
        self.bindings(limits)
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k)
            .collect()
    }

    /// What a key means.
    pub fn lookup(&self, key: Key, limits: impl Into<Limits>) -> Lookup {
        let limits = limits.into();
        match self.bindings.iter().find(|(k, _)| *k == key) {
            Some((_, a)) if !a.allowed(limits) => Lookup::Disabled(*a),
            Some((_, a)) => Lookup::Bound(*a),
            None => Lookup::Unbound,
        }
    }
}

fn parse_bindings(text: &str, source: &str) -> anyhow::Result<Vec<(Key, Action)>> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| anyhow!("{source}: not a valid keymap: {e}"))?;
    let mut out = Vec::new();
    for (key_text, value) in &table {
        let Some(name) = value.as_str() else {
            bail!(
                "{source}: key `{key_text}`: expected an action name in quotes (valid actions: {})",
                Action::names()
            );
        };
        let key = Key::parse(key_text).map_err(|e| {
            anyhow!("{source}: key `{key_text}`: {e} (examples: q, R, ctrl-c, shift-tab, esc, f5)")
        })?;
        let action = Action::from_name(name).ok_or_else(|| {
            anyhow!(
                "{source}: key `{key_text}`: unknown action `{name}` (valid actions: {})",
                Action::names()
            )
        })?;
        out.push((key, action));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_keymap_parses_and_binds_the_essentials() {
        let map = Keymap::builtin().expect("built-in keymap parses");
        for action in [
            Action::Quit,
            Action::Help,
            Action::FocusNext,
            Action::Rollback,
        ] {
            assert!(
                !map.keys_for(action, false).is_empty(),
                "{action:?} unbound"
            );
        }
        let ctrl_c = Key::from_event(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(map.lookup(ctrl_c, false), Lookup::Bound(Action::Quit));
    }

    #[test]
    fn action_names_match_serde() {
        for a in Action::ALL {
            let json = serde_json::to_string(&a).expect("serialises");
            assert_eq!(json, format!("\"{}\"", a.name()));
        }
    }

    #[test]
    fn shifted_letters_and_backtab_normalise() {
        let r = Key::parse("R").expect("R");
        assert_eq!(Key::parse("shift-r").expect("shift-r"), r);
        let ev = KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), r);
        let bt = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            Key::from_event(&bt),
            Key::parse("shift-tab").expect("shift-tab")
        );
        assert_eq!(
            Key::parse("shift-tab").expect("st").to_string(),
            "shift-tab"
        );
        assert_eq!(Key::parse("ctrl-c").expect("cc").to_string(), "ctrl-c");
    }

    #[test]
    fn unknown_action_names_file_key_and_valid_actions() {
        let err = Keymap::parse("x = \"explode\"\n", "my-keys.toml")
            .expect_err("unknown action must fail")
            .to_string();
        assert!(err.contains("my-keys.toml"), "{err}");
        assert!(err.contains("key `x`"), "{err}");
        assert!(err.contains("explode"), "{err}");
        assert!(err.contains("valid actions: quit, help"), "{err}");
    }

    #[test]
    fn unparsable_key_names_file_and_key() {
        let err = Keymap::parse("\"ctrl-banana\" = \"quit\"\n", "k.toml")
            .expect_err("bad key must fail")
            .to_string();
        assert!(err.contains("k.toml: key `ctrl-banana`"), "{err}");
    }

    #[test]
    fn user_keymap_merges_over_builtin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.toml");
        std::fs::write(&path, "x = \"quit\"\nq = \"help\"\n").expect("write");
        let map = Keymap::load(Some(&path)).expect("loads");
        let x = Key::parse("x").expect("x");
        let q = Key::parse("q").expect("q");
        assert_eq!(map.lookup(x, false), Lookup::Bound(Action::Quit));
        assert_eq!(map.lookup(q, false), Lookup::Bound(Action::Help));
        assert!(!map.keys_for(Action::Zoom, false).is_empty());
    }

    #[test]
    fn read_only_removes_actions_that_change_things() {
        let map = Keymap::builtin().expect("builtin");
        assert!(map.bindings(true).all(|(_, a)| !a.changes_things()));
        assert!(map.keys_for(Action::Rollback, true).is_empty());
        assert!(map.keys_for(Action::Promote, true).is_empty());
        assert!(map.keys_for(Action::Hold, true).is_empty());
        assert!(!map.keys_for(Action::Hold, false).is_empty());
        let h = Key::parse("H").expect("H");
        assert_eq!(map.lookup(h, true), Lookup::Disabled(Action::Hold));
        let r = Key::parse("R").expect("R");
        assert_eq!(map.lookup(r, true), Lookup::Disabled(Action::Rollback));
    }

    #[test]
    fn kill_load_survives_read_only_but_not_replay() {
        let map = Keymap::builtin().expect("builtin");
        let k = Key::parse("K").expect("K");
        assert_ne!(k, Key::parse("k").expect("k"), "K is not the up key");
        assert_eq!(map.lookup(k, true), Lookup::Bound(Action::KillLoad));
        let replay = Limits {
            read_only: true,
            replay: true,
        };
        assert_eq!(map.lookup(k, replay), Lookup::Disabled(Action::KillLoad));
        assert!(map.keys_for(Action::KillLoad, replay).is_empty());
        for (key, action) in [
            ("+", Action::WindowWider),
            ("-", Action::WindowNarrower),
            ("s", Action::Sort),
        ] {
            let key = Key::parse(key).expect("key");
            assert_eq!(map.lookup(key, replay), Lookup::Bound(action));
        }
    }
}
