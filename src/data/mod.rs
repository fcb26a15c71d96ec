//! Test data: copy a production PostgreSQL database into a pre-production
//! one, transform every personal column on the way, prove afterwards that
//! nothing personal came through, and show that volumes and distributions
//! match.
//!
//! - [`copy`]: schema, data (streamed COPY, tables in parallel), constraints,
//!   sequences, from one read-only snapshot of the source.
//! - [`rules`], [`plan`], [`transform`]: the rules file, resolved against the
//!   catalog, and the transformers.
//! - [`classify`], [`detect`]: personal / quasi-identifier / other.
//! - [`leak`], [`parity`], [`verify`]: the proof.
//! - [`cli`]: `flightdeck data classify|copy|verify`.

mod binary_copy;
pub mod catalog;
pub mod classify;
pub mod cli;
pub mod collisions;
pub mod config;
pub mod conn;
pub mod copy;
mod copy_step;
pub mod demo;
pub mod detect;
mod error;
pub mod leak;
pub mod parity;
pub mod plan;
pub mod rows;
pub mod rules;
pub mod scale;
pub mod schema;
pub mod stage;
mod stage_run;
pub mod starter;
mod table_copy;
pub mod transform;
pub mod verify;

pub use config::DataSection;
pub use error::DataError;
