//! Flightdeck: a terminal control room for pre-production release validation.
//!
//! The spine: stages emit [`core::event::Event`]s; the run state is a fold of
//! events ([`core::state::RunState`]); the TUI, the headless reporter, the
//! journal and replay all consume the same events.
//!
//! Floors, from the ground up; each imports only from the floors below it:
//! `core` (vocabulary, events, the fold), the toolkit `config` + `record` +
//! `tls` + `output` + `identity` (config layering and the section reader,
//! the recorder and journal, TLS, the faces' output format, who the
//! operator is), the capabilities
//! (`environment`, `iac`, `load`, `canary`, `flags`, `scan`, `policy`,
//! `secrets`, `gate`, `demo`, `history`, `impact`, `notify`, `share`, each with its config
//! section and its `validate()`), `engine` (the stage graph and the whole configuration),
//! and the faces (`ui`, `report`, `headless`, `cli`, `launch`).
//! `tests/architecture.rs` holds the floors in place.

pub mod canary;
pub mod cli;
pub mod config;
pub mod core;
pub mod data;
pub mod demo;
pub mod drill;
pub mod engine;
pub mod environment;
pub mod flags;
pub mod gate;
pub mod headless;
pub mod history;
pub mod iac;
pub mod identity;
pub mod impact;
pub mod launch;
pub mod load;
pub mod notify;
pub mod output;
pub mod pg;
pub mod policy;
pub mod record;
pub mod report;
pub mod scan;
pub mod secrets;
pub mod share;
pub mod tls;
pub mod ui;
