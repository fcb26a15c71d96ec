//! Scans: SARIF ingest with severity normalisation, Flightdeck's own baseline,
//! risk acceptances, external scanner runs, the built-in secrets scan, HTTP
//! posture checks, and the judge that turns findings and policy results into a
//! verdict. Nothing here knows the TUI or the journal.
//!
//! Typical stage flow: [`run_scanner`] or [`parse_sarif_file`] (plus
//! [`secrets::scan_secrets`] and [`posture::check_posture`]) -> [`mark_known`]
//! with [`load_baseline`] -> [`apply_acceptances`] -> [`judge_with_unavailable`].

mod acceptance;
mod baseline;
pub mod cli;
mod config;
mod error;
mod finding;
mod judge;
pub mod posture;
mod runner;
mod sarif;
mod sarif_model;
pub mod secrets;
mod severity;
pub mod stage;

pub use crate::core::scan::{
    Acceptance, BaselineState, Disposition, Finding, Location, Severity, Suppression,
};
pub use acceptance::{RiskAcceptance, apply_acceptances};
pub use baseline::{Baseline, baseline_path, load_baseline, mark_known, save_baseline};
pub use config::ScanSection;
pub use error::ScanError;
pub use finding::fingerprint_of;
pub use judge::{ScanCriteria, Unavailable, judge, judge_with_unavailable};
pub use runner::{ScanOutcome, ScannerCommand, run_scanner};
pub use sarif::{parse_sarif_file, parse_sarif_files, parse_sarif_str};
pub use severity::from_cvss;

/// A serde_json error message without its trailing " at line L column C".
pub fn json_error_message(msg: &str) -> String {
    sarif::without_position(msg)
}
