//! The data stage in the demo. The demo starts no database of its own, so
//! without PostgreSQL on the machine the stage is skipped, saying where it
//! looked and what would make it run. With PostgreSQL found, the demo's
//! throwaway "production" and "pre-production" clusters are the next step
//! (they come with the shared throwaway-cluster module); until then the
//! stage is skipped too, naming the PostgreSQL it found, so that the demo
//! never reports a copy it did not make.

use std::path::{Path, PathBuf};

/// Where a PostgreSQL installation's binaries are looked for, in order.
pub const LOOKED: &str =
    "FLIGHTDECK_PGBIN, /usr/lib/postgresql/*/bin, `pg_config --bindir` on PATH";

/// The bin directory of a PostgreSQL installation: `explicit` (the
/// `FLIGHTDECK_PGBIN` variable) when set, else the newest version under
/// `root` (`/usr/lib/postgresql`), else what `pg_config` says. A directory
/// counts when it holds `initdb` and `pg_ctl`.
pub fn find_postgres(
    explicit: Option<&Path>,
    root: &Path,
    pg_config: Option<&Path>,
) -> Option<PathBuf> {
    let usable = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = explicit {
        return usable(d).then(|| d.to_path_buf());
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| usable(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return Some(d);
    }
    let out = std::process::Command::new(pg_config?)
        .arg("--bindir")
        .output()
        .ok()?;
    let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && usable(&d)).then_some(d)
}

/// [`find_postgres`] on this machine.
pub fn find_installed() -> Option<PathBuf> {
    let explicit = std::env::var_os("FLIGHTDECK_PGBIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    find_postgres(
        explicit.as_deref(),
        Path::new("/usr/lib/postgresql"),
        Some(Path::new("pg_config")),
    )
}

/// Why the demo's data stage is skipped, given what [`find_postgres`]
/// found.
pub fn skip_reason(found: Option<&Path>) -> String {
    match found {
        None => format!(
            "the demo starts no database and found no PostgreSQL (looked at {LOOKED}); \
             install PostgreSQL (e.g. apt-get install postgresql) or set FLIGHTDECK_PGBIN, \
             or set data.source and data.target to copy real databases"
        ),
        Some(bin) => format!(
            "PostgreSQL found at {}, but the demo's throwaway clusters are not started by \
             this build; set data.source and data.target (e.g. two local databases) and \
             data.rules to run the copy",
            bin.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for t in ["initdb", "pg_ctl"] {
            std::fs::write(dir.join(t), "").unwrap();
        }
    }

    #[test]
    fn finds_the_explicit_dir_or_the_newest_version_or_nothing() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("lib/postgresql");
        assert_eq!(find_postgres(None, &root, None), None);
        install(&root.join("13/bin"));
        install(&root.join("15/bin"));
        std::fs::create_dir_all(root.join("16/bin")).unwrap(); // no tools
        assert_eq!(find_postgres(None, &root, None), Some(root.join("15/bin")));
        let explicit = t.path().join("custom");
        // An explicit dir without the tools finds nothing: it is not
        // silently replaced by another installation.
        assert_eq!(find_postgres(Some(&explicit), &root, None), None);
        install(&explicit);
        assert_eq!(
            find_postgres(Some(&explicit), &root, None),
            Some(explicit.clone())
        );
        let missing = t.path().join("no-such-pg_config");
        assert_eq!(
            find_postgres(None, &t.path().join("none"), Some(&missing)),
            None
        );
    }

    #[test]
    fn the_reason_says_where_it_looked_or_what_it_found() {
        let none = skip_reason(None);
        assert!(none.contains("found no PostgreSQL"), "{none}");
        assert!(none.contains("FLIGHTDECK_PGBIN"), "{none}");
        let found = skip_reason(Some(Path::new("/opt/pg/bin")));
        assert!(found.contains("/opt/pg/bin"), "{found}");
    }
}
