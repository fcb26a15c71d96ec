//! Capacity search: how much traffic this release carries within its SLO,
//! and is that above the peak it must carry?
//!
//! The open-model rate rises in steps (each held `step_s` and judged on
//! the SLO), then bisects between the last good and the first bad rate.
//! It never exceeds `max_rate`, stops at the first step whose errors pass
//! the safety bound, and is honest: a generator that cannot keep the rate
//! while the target answers in time makes the result inconclusive, never a
//! capacity figure; a step too noisy to judge runs once more, then the
//! search ends inconclusive.

pub mod cli;
pub mod config;
pub mod judge;
pub mod search;
pub mod stage;

pub use config::CapacityConfig;
pub use search::{StepMeasure, search};
