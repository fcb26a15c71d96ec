//! Stop conditions, polled all through a drill's method (as AWS FIS): the
//! first that trips cancels the method and is journalled; polls that hold
//! are not.

use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use crate::core::drill::{Phase, StepOutcome};

use super::runner::Runner;
use super::step::{StepCx, execute};

/// Poll the stop conditions until one trips (then cancel the method) or
/// the method ends. Only a trip is journalled: polls that hold are not.
pub(super) async fn stop_watch(
    run: &Runner<'_>,
    tripped: &Mutex<Option<String>>,
    cancel: &CancellationToken,
) {
    let drill = run.drill();
    if drill.stop_conditions.is_empty() {
        return std::future::pending().await;
    }
    let poll_cx = StepCx::new(run.cx.flags.clone(), cancel.clone());
    loop {
        for s in &drill.stop_conditions {
            let r = execute(&poll_cx, s).await;
            if r.outcome == StepOutcome::Failed {
                run.ended(&s.name, Phase::StopCondition, s.timeout, &r);
                if let Ok(mut t) = tripped.lock() {
                    *t = Some(format!("{} ({})", s.name, r.detail));
                }
                cancel.cancel();
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(drill.stop_poll) => {}
            _ = cancel.cancelled() => return std::future::pending().await,
        }
    }
}
