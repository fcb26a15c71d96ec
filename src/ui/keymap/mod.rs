//! Key bindings: the keymap that maps keys ([`Key`]) to the [`Action`]
//! vocabulary.
//!
//! The built-in `config/keymap.toml` is embedded in the binary; a user keymap
//! is merged over it (adds keys or rebinds them). Help and the hint bar are
//! generated from the same [`Keymap`], so they cannot drift from the keys
//! that actually work.

mod action;
mod key;

use std::path::Path;

use anyhow::{Context, anyhow, bail};

pub use action::{Action, Limits};
pub use key::Key;

/// The built-in keymap, embedded so the binary works from any directory.
pub const BUILTIN_KEYMAP: &str = include_str!("../../../config/keymap.toml");

/// Name used for the built-in keymap in error messages.
pub const BUILTIN_KEYMAP_NAME: &str = "config/keymap.toml (built-in)";

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
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
