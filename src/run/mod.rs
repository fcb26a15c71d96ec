//! The run: events, their fold into state, the journal and the engine.

pub mod approval_view;
pub mod canary_view;
pub mod command;
pub mod engine;
pub mod event;
pub mod journal;
pub mod narrative;
pub mod recorder;
pub mod state;
pub mod verdict;
