//! The vocabulary of a run, and the fold that gives it meaning.
//!
//! Everything here is plain data and pure functions: ids, verdicts and
//! evidence, the [`event::Event`] enum with every capability's payload as
//! serde data, the journal [`event::Envelope`], the fold
//! ([`state::RunState::apply`], which delegates to one view fold per
//! capability), narrative lines, and number formatting and small statistics.
//!
//! `core` imports nothing else of the crate, no tokio and no ratatui: every
//! other floor builds on it, and a capability's logic stays in the
//! capability.

pub mod action;
pub mod actor;
pub mod canary;
pub mod capacity;
pub mod command;
pub mod data;
pub mod disaster;
pub mod dr_evidence;
pub mod drill;
pub mod drill_ops;
pub mod environment;
pub mod event;
mod event_rules;
pub mod flags;
pub mod format;
pub mod gate;
pub mod history;
pub mod iac;
pub mod impact;
pub mod load;
pub mod log_level;
pub mod narrative;
pub mod notify;
pub mod policy;
pub mod recovery;
pub mod scan;
pub mod share;
pub mod signoff;
pub mod stage;
pub mod state;
pub mod stats;
pub mod verdict;
