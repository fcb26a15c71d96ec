//! Bundled demo assets (sample SARIF, a folder with one planted fake key, the
//! example policies), embedded in the binary so the demo runs from any
//! directory, and written out at demo start for the stages to read.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// (relative path, contents) of every bundled asset.
const ASSETS: [(&str, &str); 13] = [
    ("flags.json", include_str!("../../config/demo/flags.json")),
    (
        "terraform/main.tf",
        include_str!("../../config/demo/terraform/main.tf"),
    ),
    (
        "prod-state.json",
        include_str!("../../config/demo/prod-state.json"),
    ),
    (
        "trivy-shop-api.sarif",
        include_str!("../../config/demo/trivy-shop-api.sarif"),
    ),
    (
        "bandit-shop-api.sarif",
        include_str!("../../config/demo/bandit-shop-api.sarif"),
    ),
    (
        "semgrep-shop-api.sarif",
        include_str!("../../config/demo/semgrep-shop-api.sarif"),
    ),
    (
        "app/settings.py",
        include_str!("../../config/demo/app/settings.py"),
    ),
    (
        "app/README.md",
        include_str!("../../config/demo/app/README.md"),
    ),
    (
        "policies/no_critical.rego",
        include_str!("../../config/policies/no_critical.rego"),
    ),
    (
        "policies/load_p95.rego",
        include_str!("../../config/policies/load_p95.rego"),
    ),
    (
        "policies/release_version.rego",
        include_str!("../../config/policies/release_version.rego"),
    ),
    (
        "policies/prod_approver.rego",
        include_str!("../../config/policies/prod_approver.rego"),
    ),
    (
        "policies/README.md",
        include_str!("../../config/policies/README.md"),
    ),
];

/// Write the assets under `dir` (replacing older copies) and return its absolute path.
pub fn materialise(dir: &Path) -> Result<PathBuf> {
    for (rel, body) in ASSETS {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| {
                format!("cannot create demo asset directory {}", parent.display())
            })?;
        }
        std::fs::write(&path, body)
            .with_context(|| format!("cannot write demo asset {}", path.display()))?;
    }
    std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))
}
