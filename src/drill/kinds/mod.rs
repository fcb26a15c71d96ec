//! Drill kinds: each is a module that adds its own method (and rollback)
//! around the declared steps. A kind plugs in with one `DrillKind` variant
//! (in `core::drill`) and one arm in each match below.

use crate::core::drill::{DrillKind, StepPlan};

use super::runner::{MethodStop, Runner};
use super::spec::{Drill, SpecError};

/// The kind's own steps, for `drill_started` (declared steps come apart).
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    match drill.kind {
        DrillKind::Experiment => Vec::new(),
        _ => Vec::new(),
    }
}

/// Check the kind's `[drill.params]`.
pub fn validate(drill: &Drill) -> Vec<SpecError> {
    match drill.kind {
        DrillKind::Experiment => Vec::new(),
        _ => Vec::new(),
    }
}

/// The kind's own method, run before the declared method steps.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    match run.drill().kind {
        DrillKind::Experiment => Ok(()),
        other => Err(MethodStop::Failed(format!(
            "drill kind {} is not available in this build",
            other.as_str()
        ))),
    }
}

/// The kind's own rollback, run before the declared rollbacks; `false`
/// when it failed.
pub async fn rollback(run: &Runner<'_>) -> bool {
    match run.drill().kind {
        DrillKind::Experiment => true,
        _ => true,
    }
}
