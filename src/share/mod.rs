//! Sharing a live run with other terminals: `flightdeck attach`.
//!
//! Every live run listens on a Unix socket in its run directory
//! ([`server`]); [`protocol`] is what travels on it (length-prefixed JSON
//! frames with a version and a size limit); [`client`] is the attaching
//! side; [`accounts`] names peers by the uid the kernel reports; [`config`]
//! is `[share]`. Nothing here draws: the `flightdeck attach` face (the same
//! TUI, folded from the same events) is in `launch` and `ui`.

pub mod accounts;
pub mod client;
pub mod config;
pub mod protocol;
pub mod server;

pub use config::{Account, ShareSection};
pub use server::{READ_ONLY, ServerOptions, ShareServer};
