//! [`FileProvider`]: a flagd flag-definition file on disk. Writes go to a temp
//! file in the same directory and are renamed over the original, so a reader
//! (flagd, the demo target) sees the old file or the new one, never half.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::flagd::FlagFile;
use super::{FlagError, FlagProvider, FlagState};

/// A flagd flag file as a flag provider.
#[derive(Clone, Debug)]
pub struct FileProvider {
    path: PathBuf,
    canary_variant: Option<String>,
}

impl FileProvider {
    /// A provider over `path`; `canary_variant` names the canary (default
    /// `canary`, else `on`).
    pub fn new(path: impl Into<PathBuf>, canary_variant: Option<String>) -> FileProvider {
        FileProvider {
            path: path.into(),
            canary_variant,
        }
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read and parse the file.
    pub async fn load(&self) -> Result<FlagFile, FlagError> {
        let text = tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|source| FlagError::Io {
                path: self.path.display().to_string(),
                action: "read",
                source,
            })?;
        FlagFile::parse(&text, &self.path.display().to_string())
    }

    async fn write_and_confirm(&self, flag: &str, percent: f64) -> Result<FlagState, FlagError> {
        let mut file = self.load().await?;
        file.set_canary_percent(flag, self.canary_variant.as_deref(), percent)?;
        write_atomic(&self.path, file.to_pretty().as_bytes()).await?;
        let state = self.read(flag).await?;
        match state.rollout_percent {
            Some(p) if (p - percent).abs() < 0.01 && state.enabled => Ok(state),
            other => Err(FlagError::NotConfirmed {
                provider: "file".into(),
                flag: flag.into(),
                wanted: format!("{percent}% ENABLED"),
                found: format!("{other:?}% enabled={}", state.enabled),
            }),
        }
    }
}

/// Write `bytes` to `path` atomically: temp file in the same directory, fsync,
/// rename over the target.
pub async fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FlagError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "flags.json".into());
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
    let io = |action: &'static str, p: &Path| {
        let p = p.display().to_string();
        move |source| FlagError::Io {
            path: p,
            action,
            source,
        }
    };
    let result = async {
        use tokio::io::AsyncWriteExt;
        let mut f = tokio::fs::File::create(&tmp)
            .await
            .map_err(io("create temp file", &tmp))?;
        f.write_all(bytes)
            .await
            .map_err(io("write temp file", &tmp))?;
        f.sync_all().await.map_err(io("sync temp file", &tmp))?;
        drop(f);
        tokio::fs::rename(&tmp, path)
            .await
            .map_err(io("rename temp file over", path))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}

#[async_trait]
impl FlagProvider for FileProvider {
    fn name(&self) -> &str {
        "file"
    }

    async fn read(&self, flag: &str) -> Result<FlagState, FlagError> {
        self.load()
            .await?
            .state(flag, self.canary_variant.as_deref())
    }

    async fn set_rollout(&self, flag: &str, percent: f64) -> Result<FlagState, FlagError> {
        self.write_and_confirm(flag, percent).await
    }

    /// Canary weight to 0; the flag stays `ENABLED`, so flagd serves the
    /// baseline variant from the file rather than the caller's code default.
    async fn rollback(&self, flag: &str) -> Result<FlagState, FlagError> {
        self.write_and_confirm(flag, 0.0).await
    }
}
