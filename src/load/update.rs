//! What the load engine hands its caller while it runs.

use serde::{Deserialize, Serialize};

use crate::core::load::Window;

/// What the runner reports while it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LoadUpdate {
    /// The run has resolved its targets and starts now.
    Started {
        /// `open` or `closed`.
        model: crate::core::load::LoadModel,
        /// Planned duration, seconds.
        duration_s: f64,
        /// Connections (closed) or pool size (open).
        connections: u32,
    },
    /// One second of results.
    Window(Window),
    /// The workers of a distributed engine (Locust) changed.
    Workers(crate::core::load::WorkerPool),
}
