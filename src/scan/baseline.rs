//! Flightdeck's own per-service baseline: the fingerprints seen and accepted as
//! "known" at some point, so that later runs can tell new findings from old ones.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ScanError;
use crate::scan::Finding;

/// The baseline file of one service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Service name.
    pub service: String,
    /// Fingerprints of known findings.
    pub fingerprints: BTreeSet<String>,
}

/// `<dir>/<service>.baseline.json`; the service name is reduced to `[A-Za-z0-9._-]`.
pub fn baseline_path(dir: &Path, service: &str) -> PathBuf {
    let safe: String = service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.baseline.json"))
}

/// Write the fingerprints of `findings` (except those reported fixed) as the service's baseline.
pub fn save_baseline(
    dir: &Path,
    service: &str,
    findings: &[Finding],
) -> Result<PathBuf, ScanError> {
    let baseline = Baseline {
        service: service.to_string(),
        fingerprints: findings
            .iter()
            .filter(|f| f.baseline_state != Some(super::BaselineState::Absent))
            .map(|f| f.fingerprint.clone())
            .collect(),
    };
    std::fs::create_dir_all(dir).map_err(|source| ScanError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = baseline_path(dir, service);
    let json = serde_json::to_string_pretty(&baseline).expect("baseline serialises");
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json + "\n")
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| ScanError::Io {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

/// Read the service's baseline; `Ok(None)` when none was saved yet.
pub fn load_baseline(dir: &Path, service: &str) -> Result<Option<Baseline>, ScanError> {
    let path = baseline_path(dir, service);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ScanError::Io { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ScanError::Baseline {
            path,
            message: e.to_string(),
        })
}

/// Mark each finding known or not; returns how many are known.
pub fn mark_known(findings: &mut [Finding], baseline: &Baseline) -> usize {
    let mut known = 0;
    for f in findings.iter_mut() {
        f.known = baseline.fingerprints.contains(&f.fingerprint);
        known += usize::from(f.known);
    }
    known
}
