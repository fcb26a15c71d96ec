//! Finding PostgreSQL's binaries: an explicit `bin_dir`, then
//! `FLIGHTDECK_PGBIN`, then the highest version under
//! `/usr/lib/postgresql/*/bin` (Debian keeps them off PATH), then
//! `pg_config --bindir`.

use std::path::{Path, PathBuf};

use super::PgError;

/// The message when no installation is found (drills end Skipped with it).
pub const NOT_FOUND: &str =
    "PostgreSQL not found: install postgresql or set bin_dir/FLIGHTDECK_PGBIN";

/// A directory holding `initdb`, `postgres`, `pg_dump`...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinDir(PathBuf);

impl BinDir {
    /// Find the binaries; `explicit` (a drill's `bin_dir`) wins. An explicit
    /// directory without `postgres` in it is an error naming it, not a
    /// fallback to another installation.
    pub fn find(explicit: Option<&Path>) -> Result<BinDir, PgError> {
        if let Some(dir) = explicit {
            return BinDir::at(dir, "bin_dir");
        }
        if let Some(dir) = std::env::var_os("FLIGHTDECK_PGBIN").filter(|d| !d.is_empty()) {
            return BinDir::at(Path::new(&dir), "FLIGHTDECK_PGBIN");
        }
        if let Some(dir) = highest_under(Path::new("/usr/lib/postgresql")) {
            return Ok(BinDir(dir));
        }
        if let Ok(out) = std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
            && out.status.success()
        {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if dir.join("postgres").is_file() {
                return Ok(BinDir(dir));
            }
        }
        Err(PgError::NotFound(NOT_FOUND.into()))
    }

    fn at(dir: &Path, from: &str) -> Result<BinDir, PgError> {
        if dir.join("postgres").is_file() {
            Ok(BinDir(dir.to_path_buf()))
        } else if dir.is_dir() {
            Err(PgError::NotFound(format!(
                "{NOT_FOUND} ({from} {} has no `postgres` binary)",
                dir.display()
            )))
        } else {
            Err(PgError::NotFound(format!(
                "{NOT_FOUND} ({from} {} does not exist)",
                dir.display()
            )))
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.0
    }

    /// The path of `tool`, or an error naming the step that needs it.
    pub fn tool(&self, tool: &str, step: &str) -> Result<PathBuf, PgError> {
        let p = self.0.join(tool);
        if p.is_file() {
            Ok(p)
        } else {
            Err(PgError::MissingTool(format!(
                "{step}: `{tool}` not found in {} (install the PostgreSQL client and server tools, or point bin_dir at a complete installation)",
                self.0.display()
            )))
        }
    }
}

/// `ROOT/<version>/bin` with the highest numeric version that holds `postgres`.
fn highest_under(root: &Path) -> Option<PathBuf> {
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let version: Vec<u32> = name
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let bin = e.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_install(root: &Path, version: &str) {
        let bin = root.join(version).join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("postgres"), "").unwrap();
    }

    #[test]
    fn the_highest_version_wins_numerically() {
        let dir = tempfile::tempdir().unwrap();
        fake_install(dir.path(), "9.6");
        fake_install(dir.path(), "15");
        fake_install(dir.path(), "13");
        std::fs::create_dir_all(dir.path().join("17/bin")).unwrap(); // no postgres in it
        let got = highest_under(dir.path()).unwrap();
        assert_eq!(got, dir.path().join("15/bin"));
    }

    #[test]
    fn an_explicit_dir_without_postgres_is_not_found_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = BinDir::find(Some(dir.path())).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, PgError::NotFound(_)));
        assert!(text.contains("PostgreSQL not found"), "{text}");
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
    }

    #[test]
    fn a_missing_tool_names_the_step_and_the_tool() {
        let dir = tempfile::tempdir().unwrap();
        fake_install(dir.path(), "15");
        let bin = BinDir::find(Some(&dir.path().join("15/bin"))).unwrap();
        let err = bin.tool("pg_basebackup", "base backup").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("base backup: `pg_basebackup` not found"),
            "{err}"
        );
    }
}
