//! Operational drills. This part holds the alerting and runbook kinds as
//! self-contained modules that the drill core calls.

pub mod alerts;
pub mod runbook;
