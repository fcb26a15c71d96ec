//! What the file-restore kind knows about a file: its fingerprint (size,
//! SHA-256, and for a Terraform state its `serial` and `lineage`), the
//! built-in corruptions, and the throwaway work folder the drill copies the
//! file into (removed when the drill ends, on every path).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// How the built-in corruption damages the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Corruption {
    /// Same length, other bytes: a size check alone cannot pass it.
    #[default]
    Overwrite,
    /// Cut to zero bytes.
    Truncate,
}

/// What the file is, for what the verification checks beyond the checksum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A Terraform state when the name ends in `.tfstate`, else a file.
    #[default]
    Auto,
    /// Any file: size and SHA-256.
    File,
    /// A Terraform state: it must also parse, with the same serial and lineage.
    TerraformState,
}

impl Format {
    /// The format for this path (`Auto` resolved).
    pub fn for_path(self, path: &Path) -> Format {
        match self {
            Format::Auto if path.extension().is_some_and(|e| e == "tfstate") => {
                Format::TerraformState
            }
            Format::Auto => Format::File,
            f => f,
        }
    }
}

/// A file's fingerprint.
#[derive(Clone, Debug, PartialEq)]
pub struct Fingerprint {
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// A Terraform state's `serial` and `lineage`.
    pub state: Option<(u64, String)>,
}

impl Fingerprint {
    /// One line: `1234 bytes, sha256 ab12…, serial 7, lineage 3f…`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} bytes, sha256 {}", self.bytes, short(&self.sha256));
        if let Some((serial, lineage)) = &self.state {
            s.push_str(&format!(", serial {serial}, lineage {lineage}"));
        }
        s
    }
}

/// The first 12 hex digits, for one-line details.
pub fn short(sha: &str) -> String {
    sha.chars().take(12).collect()
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A Terraform state's `serial` and `lineage`, or why it is not one.
pub fn terraform_state(bytes: &[u8]) -> Result<(u64, String), String> {
    #[derive(Deserialize)]
    struct State {
        serial: u64,
        lineage: String,
    }
    serde_json::from_slice::<State>(bytes)
        .map(|s| (s.serial, s.lineage))
        .map_err(|e| format!("not a Terraform state (JSON with serial and lineage): {e}"))
}

/// Read `path` and fingerprint it as `format`.
pub fn fingerprint(path: &Path, format: Format) -> Result<Fingerprint, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let state = match format.for_path(path) {
        Format::TerraformState => {
            Some(terraform_state(&bytes).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        _ => None,
    };
    Ok(Fingerprint {
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        state,
    })
}

/// Why `got` is not `want`, or `None` when it is.
pub fn mismatch(want: &Fingerprint, got: &Fingerprint) -> Option<String> {
    if want.sha256 != got.sha256 || want.bytes != got.bytes {
        return Some(format!(
            "checksum differs: expected {} bytes sha256 {}, found {} bytes sha256 {}",
            want.bytes,
            short(&want.sha256),
            got.bytes,
            short(&got.sha256)
        ));
    }
    match (&want.state, &got.state) {
        (Some(w), Some(g)) if w != g => Some(format!(
            "Terraform state differs: expected serial {} lineage {}, found serial {} lineage {}",
            w.0, w.1, g.0, g.1
        )),
        _ => None,
    }
}

/// Damage the file as told.
pub fn corrupt(path: &Path, how: Corruption) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot corrupt {}: {e}", path.display());
    match how {
        Corruption::Truncate => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(0))
            .map_err(fail),
        Corruption::Overwrite => {
            let len = std::fs::metadata(path).map_err(fail)?.len() as usize;
            // Bytes that differ from the original at every position.
            let old = std::fs::read(path).map_err(fail)?;
            let new: Vec<u8> = (0..len.max(1))
                .map(|i| old.get(i).map_or(b'#', |b| b ^ 0x5a))
                .collect();
            std::fs::write(path, new).map_err(fail)
        }
    }
}

/// A folder of the drill's own, removed on drop (success, failure, abort).
pub struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Create `flightdeck-file-dr-<uuid>` in the system's temp folder, 0700.
    pub fn create() -> Result<WorkDir, String> {
        let path =
            std::env::temp_dir().join(format!("flightdeck-file-dr-{}", uuid::Uuid::new_v4()));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.recursive(true)
            .create(path.join("backup"))
            .map_err(|e| format!("cannot create work folder {}: {e}", path.display()))?;
        Ok(WorkDir { path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Copy `from` to `to`, naming both on failure.
pub fn copy(from: &Path, to: &Path) -> Result<u64, String> {
    std::fs::copy(from, to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"{"version":4,"terraform_version":"1.0.3","serial":7,"lineage":"3f2a","outputs":{},"resources":[]}"#;

    #[test]
    fn a_terraform_state_is_fingerprinted_with_serial_and_lineage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("terraform.tfstate");
        std::fs::write(&p, STATE).unwrap();
        let f = fingerprint(&p, Format::Auto).unwrap();
        assert_eq!(f.state, Some((7, "3f2a".to_string())));
        assert_eq!(f.bytes, STATE.len() as u64);
        assert_eq!(f.sha256, sha256_hex(STATE.as_bytes()));
        // Same bytes but a bumped serial: the checksum catches it first.
        let mut other = f.clone();
        other.state = Some((8, "3f2a".into()));
        assert!(mismatch(&f, &other).unwrap().contains("serial 7"));
        assert_eq!(mismatch(&f, &f), None);
        std::fs::write(&p, "{}").unwrap();
        assert!(
            fingerprint(&p, Format::Auto)
                .unwrap_err()
                .contains("not a Terraform state")
        );
        assert!(fingerprint(&p, Format::File).is_ok());
    }

    #[test]
    fn both_corruptions_change_the_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.conf");
        for how in [Corruption::Overwrite, Corruption::Truncate] {
            std::fs::write(&p, "listen = 8080\n").unwrap();
            let before = fingerprint(&p, Format::File).unwrap();
            corrupt(&p, how).unwrap();
            let after = fingerprint(&p, Format::File).unwrap();
            assert!(mismatch(&before, &after).is_some(), "{how:?}");
            if how == Corruption::Overwrite {
                assert_eq!(after.bytes, before.bytes, "overwrite keeps the size");
            }
        }
    }

    #[test]
    fn the_work_folder_goes_away_on_drop() {
        let w = WorkDir::create().unwrap();
        let p = w.path().to_path_buf();
        assert!(p.join("backup").is_dir());
        drop(w);
        assert!(!p.exists());
    }
}
