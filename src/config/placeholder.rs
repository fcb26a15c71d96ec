//! The demo's placeholders. `config/flightdeck.toml` names the embedded demo
//! targets and assets as `{demo.baseline}` and so on; only `flightdeck demo`
//! knows their ports and paths, so checks before then treat a placeholder as
//! "filled later" rather than as a broken URL or a missing file.

/// Placeholders that `flightdeck demo` fills with its embedded targets and assets.
pub const DEMO_PLACEHOLDERS: [&str; 8] = [
    "{demo.baseline}",
    "{demo.canary}",
    "{demo.app}",
    "{demo.assets}",
    "{demo.deploy}",
    "{demo.bluegreen}",
    // The longer name first: `{demo.failover}` is its prefix.
    "{demo.failover_primary_pid}",
    "{demo.failover}",
];

/// What a placeholder stands for while a value is checked: a URL that parses,
/// so that the rest of the value (path, query) is still checked.
const STAND_IN: &str = "http://127.0.0.1:1";

/// `text` with every placeholder replaced by a stand-in URL.
pub fn as_if_filled(text: &str) -> String {
    let mut s = text.to_string();
    for p in DEMO_PLACEHOLDERS {
        s = s.replace(p, STAND_IN);
    }
    s
}

/// Whether `text` holds a placeholder (a value, or a message naming one).
pub fn holds_placeholder(text: &str) -> bool {
    DEMO_PLACEHOLDERS.iter().any(|p| text.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_is_checked_as_a_url() {
        assert_eq!(
            as_if_filled("{demo.baseline}/healthz"),
            "http://127.0.0.1:1/healthz"
        );
        assert!(holds_placeholder("{demo.assets}/flags.json"));
        assert!(!holds_placeholder("http://127.0.0.1:8080"));
    }
}
