//! The HTTP load engine: paces requests (closed or open model), summarises
//! them at the source into one-second [`Window`]s of HDR histograms, and
//! judges the run against thresholds and a saved baseline.
//!
//! It knows nothing of the TUI or the journal: callers receive
//! [`LoadUpdate`]s through a sink and a [`Summary`] at the end.
//!
//! Safety: load goes only to loopback unless a host is listed in
//! `load.allow_hosts`; every run is bounded by `max_duration_s`,
//! `max_rate` and `max_connections`, and stops by itself.
//!
//! Supported: HTTP/1.1 keep-alive (one task per connection, driving its own
//! connection) and HTTP/2 (`http2 = true`, one stream at a time per
//! connection; prior knowledge over TCP, ALPN over TLS), over plain TCP or
//! HTTPS (rustls; certificates checked against the Mozilla roots plus
//! `load.ca_file`, unless `load.insecure`). A failed TLS handshake counts as
//! error kind `tls`.

pub mod baseline;
pub mod calibrate;
pub mod capacity;
pub mod cli;
pub mod config;
mod dispatch;
pub mod error;
pub mod judge;
pub mod lean;
pub mod learn;
pub mod locust;
pub mod pace;
pub mod plan;
mod pool;
pub mod runner;
pub mod schedule;
pub mod stage;
pub mod stats;
pub mod target;
pub mod threshold;
pub mod tls;
pub mod totals;
mod update;
mod worker;

pub use crate::core::load::{
    EndpointSummary, EndpointWindow, LagStats, Percentiles, Summary, VariantSummary, VariantWindow,
    Window,
};
pub use baseline::{Baseline, Comparison, compare, compare_calibrated};
pub use cli::{LoadArgs, run_cli};
pub use config::{BaselineOptions, LoadConfig, RateStage, RequestSpec};
pub use dispatch::run_configured;
pub use error::LoadError;
pub use judge::judge;
pub use plan::LoadPlan;
pub use runner::run;
pub use threshold::Threshold;
pub use update::LoadUpdate;
