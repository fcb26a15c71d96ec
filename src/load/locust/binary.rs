//! Finding Locust: `FLIGHTDECK_LOCUST` (a path to the `locust` program), else
//! `locust` on PATH, and checking its version. There is no fallback to the
//! built-in engine: a run that asked for Locust and cannot have it fails
//! with the version needed and how to install it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::load::error::LoadError;

/// The oldest Locust whose response-time bucketing and worker reporting the
/// generated locustfile replaces (tested with this one).
pub const REQUIRED_VERSION: &str = "2.47.0";

/// How to install it, for error messages.
pub const INSTALL_HINT: &str = "install it with `python3 -m venv ~/.cache/flightdeck/locustvenv && ~/.cache/flightdeck/locustvenv/bin/pip install 'locust>=2.47'` and set FLIGHTDECK_LOCUST=~/.cache/flightdeck/locustvenv/bin/locust (or put locust on PATH)";

/// A checked Locust program.
#[derive(Clone, Debug)]
pub struct LocustBinary {
    /// Path to the program.
    pub path: PathBuf,
    /// Its version, e.g. `2.47.0`.
    pub version: String,
}

/// Find and check Locust.
pub async fn find() -> Result<LocustBinary, LoadError> {
    let path = match std::env::var_os("FLIGHTDECK_LOCUST").filter(|v| !v.is_empty()) {
        Some(p) => {
            let p = PathBuf::from(p);
            if !p.is_file() {
                return Err(LoadError::Setup(format!(
                    "FLIGHTDECK_LOCUST={} is not a file; Locust {REQUIRED_VERSION} or newer is needed: {INSTALL_HINT}",
                    p.display()
                )));
            }
            p
        }
        None => on_path("locust").ok_or_else(|| {
            LoadError::Setup(format!(
                "load.engine = \"locust\" but no `locust` program was found (FLIGHTDECK_LOCUST unset, none on PATH); Locust {REQUIRED_VERSION} or newer is needed: {INSTALL_HINT}. Flightdeck does not fall back to the built-in engine"
            ))
        })?,
    };
    let version = version_of(&path).await?;
    if !at_least(&version, REQUIRED_VERSION) {
        return Err(LoadError::Setup(format!(
            "{} is Locust {version}; Locust {REQUIRED_VERSION} or newer is needed: {INSTALL_HINT}",
            path.display()
        )));
    }
    Ok(LocustBinary { path, version })
}

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

async fn version_of(path: &Path) -> Result<String, LoadError> {
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(path)
            .arg("--version")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| {
        LoadError::Setup(format!(
            "`{} --version` did not answer within 30 s",
            path.display()
        ))
    })?
    .map_err(|e| {
        LoadError::Setup(format!(
            "cannot run {}: {e}; Locust {REQUIRED_VERSION} or newer is needed: {INSTALL_HINT}",
            path.display()
        ))
    })?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    parse_version(&text).ok_or_else(|| {
        LoadError::Setup(format!(
            "`{} --version` printed no Locust version ({}); Locust {REQUIRED_VERSION} or newer is needed: {INSTALL_HINT}",
            path.display(),
            text.trim().chars().take(120).collect::<String>()
        ))
    })
}

/// The version in `locust --version` output (`locust 2.47.0 from ...`).
pub fn parse_version(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    while let Some(w) = words.next() {
        if w.eq_ignore_ascii_case("locust") {
            let v = words.next()?;
            if v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// True when dotted version `v` is at least `min` (numeric parts compared;
/// a suffix such as `2.47.1.dev3` counts by its numbers).
pub fn at_least(v: &str, min: &str) -> bool {
    let nums = |s: &str| -> Vec<u64> {
        s.split('.')
            .map(|p| {
                p.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0)
            })
            .collect()
    };
    let (a, b) = (nums(v), nums(min));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x > y;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            parse_version("locust 2.47.0 from /x/locust (Python 3.11.7)").as_deref(),
            Some("2.47.0")
        );
        assert_eq!(parse_version("command not found"), None);
        assert!(at_least("2.47.0", "2.47.0"));
        assert!(at_least("2.48.1", "2.47.0"));
        assert!(at_least("3.0", "2.47.0"));
        assert!(!at_least("2.31.8", "2.47.0"));
        assert!(!at_least("1.6", "2.47.0"));
    }
}
