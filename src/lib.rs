//! Flightdeck: a terminal control room for pre-production release validation.
//!
//! The spine: stages emit [`run::event::Event`]s; the run state is a fold of
//! events ([`run::state::RunState`]); the TUI, the headless reporter, the
//! journal and replay all consume the same events.

pub mod canary;
pub mod cli;
pub mod config;
pub mod demo;
pub mod environment;
pub mod flags;
pub mod gate;
pub mod headless;
pub mod iac;
pub mod launch;
pub mod load;
pub mod policy;
pub mod report;
pub mod run;
pub mod scan;
pub mod secrets;
pub mod tls;
pub mod ui;
