//! Infrastructure as code: what the environment's Terraform (or OpenTofu, or
//! a custom command) is about to change, whether the live environment drifted
//! from its code, and how closely pre-production matches production.
//!
//! Pure parsers and judges ([`plan`], [`drift`], [`parity`], [`vars`]) sit
//! beside the effects ([`provisioner`], [`stage`]). Only machine-readable
//! Terraform output is parsed (`show -json`, `-json` UI streams, `output
//! -json`), and no raw value of a sensitive attribute ever leaves this module.

pub mod approval;
pub mod command;
pub mod config;
pub mod drift;
pub mod error;
pub mod face;
mod outcome;
pub mod outputs;
pub mod parity;
pub mod pattern;
pub mod plan;
pub mod process;
pub mod provisioner;
pub mod risk;
pub mod stage;
mod validate;
pub mod values;
pub mod vars;

pub use config::IacConfig;
pub use error::IacError;
pub use stage::{IacOutcome, run_stage, run_stage_with};
