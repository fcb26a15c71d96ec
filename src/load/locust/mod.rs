//! Scale-out through Locust: when one generator is not enough, Flightdeck
//! drives a Locust master and its workers (local processes, or one per host
//! through a configured command) and keeps the judgement central.
//!
//! - [`locustfile`] writes the locustfile from the same `[load]` config as
//!   the built-in engine (mix, headers, bodies, targeting key, closed or
//!   open pacing, a `LoadTestShape` that ends the run) and replaces Locust's
//!   two-digit response-time bucketing with three significant digits.
//! - Live figures come from a small reporter inside that locustfile, not
//!   from the web API (which `--headless` does not start): each worker sums
//!   its requests per wall-clock second and sends each closed second to the
//!   master, which appends it as a JSON line to a file Flightdeck reads
//!   ([`report`]). Flightdeck merges them with `record_n` into the same HDR
//!   histograms and [`crate::load::Window`]s as the built-in engine, so the
//!   Load pane, thresholds, baselines and reports work unchanged.
//! - [`process`] starts every process in its own process group and stops it
//!   by that id on every path.
//!
//! Safety: the allow-list and the rate and duration caps of `[load]` apply
//! unchanged (to the total across workers); the master's worker port binds
//! to `load.locust.master_bind` (127.0.0.1 by default) and its web UI, if
//! it ever starts, to 127.0.0.1.

pub mod binary;
pub mod config;
pub mod locustfile;
pub mod process;
pub mod report;
mod run;
mod swarm;

pub use config::{Engine, LoadFeatures, LocustConfig, WorkerHost};
pub use run::run;
