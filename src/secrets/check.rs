//! Whether secret references resolve: one [`RefStatus`] per reference, with
//! the error that names the reference and the fix, never the value. The
//! `flightdeck secrets check` face, which walks a whole config for its
//! references, sits with the launcher (it needs the aggregate config).

use serde::Serialize;

use super::SecretRef;

/// One reference and its outcome.
#[derive(Clone, Debug, Serialize)]
pub struct RefStatus {
    /// Dotted key path in the config, e.g. `canary.provider.token`.
    pub path: String,
    /// `env` or `aws_secret`.
    pub kind: &'static str,
    /// The reference as written (never the value).
    pub reference: SecretRef,
    /// Whether it resolved to a non-empty value.
    pub resolved: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RefStatus {
    /// Resolve `reference`, found at `path`, and keep only the outcome: the
    /// value is dropped here.
    pub async fn of(path: String, reference: SecretRef) -> RefStatus {
        let result = reference.resolve().await;
        RefStatus {
            path,
            kind: reference.kind(),
            resolved: result.is_ok(),
            error: result.err().map(|e| e.to_string()),
            reference,
        }
    }
}

/// Resolve every reference, in order (sequentially: there are few).
pub async fn resolve_all(refs: Vec<(String, SecretRef)>) -> Vec<RefStatus> {
    let mut out = Vec::new();
    for (path, reference) in refs {
        out.push(RefStatus::of(path, reference).await);
    }
    out
}
