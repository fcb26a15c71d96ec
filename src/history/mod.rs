//! Run history: every finished run indexed in a store (SQLite at
//! `<state_dir>/history.db`, or PostgreSQL for a team), with the journals
//! as the truth ([`index`]); production outcomes recorded after a release
//! ([`outcome`]); trends ([`trend`]), the calibration of checks and of the
//! gate against those outcomes ([`calibrate`]), and the release's risk
//! ([`risk`]) handed to a run at its start ([`context`]).
//!
//! The index holds only what reports hold ([`record`]): stages, checks,
//! load figures with their histograms, canary judgements, drill
//! objectives, findings counts, outcomes, the change's paths. It knows
//! nothing of the TUI; its faces are `flightdeck history` and
//! `flightdeck outcome` ([`cli`]).

pub mod calibrate;
pub mod calibrations;
pub mod capacity;
pub mod cli;
pub mod config;
pub mod context;
pub mod error;
pub mod index;
pub mod outcome;
pub mod queries;
pub mod record;
pub mod risk;
pub mod store;
pub mod trend;
pub mod write;

pub use config::{HistorySection, RiskOptions};
pub use error::StoreError;
pub use store::{Location, Store};
