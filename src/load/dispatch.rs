//! Picking the engine that sends the load: `load.engine` chooses between
//! the built-in engine and Locust. Never a silent fallback: a run that asked
//! for Locust and cannot have it fails with the reason.

use tokio_util::sync::CancellationToken;

use super::config::LoadConfig;
use super::error::LoadError;
use super::locust::Engine;
use super::plan::LoadPlan;
use super::update::LoadUpdate;
use crate::core::load::Summary;

/// Run `plan` on the engine `cfg.engine` names.
pub async fn run_configured(
    cfg: &LoadConfig,
    plan: LoadPlan,
    cancel: CancellationToken,
    sink: impl FnMut(LoadUpdate),
) -> Result<Summary, LoadError> {
    match cfg.engine {
        Engine::Builtin => super::runner::run(plan, cancel, sink).await,
        Engine::Locust => super::locust::run(plan, &cfg.locust, cfg.insecure, cancel, sink).await,
    }
}
