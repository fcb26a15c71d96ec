//! The embedded demo: a real target service on 127.0.0.1 (baseline and
//! canary variants), a notification receiver, and the demo run plan that
//! uses them.

pub mod assets;
pub mod failover;
pub mod fault;
pub mod fleet;
pub mod listen;
pub mod receiver;
pub mod rollout;
pub mod target;

pub use fleet::DemoTargets;
pub use target::{Behaviour, DEMO_FLAG, Scenario};
