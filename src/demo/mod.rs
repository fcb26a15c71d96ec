//! The embedded demo: a real target service on 127.0.0.1 (baseline and
//! canary variants) and the demo run plan that uses it.

pub mod assets;
pub mod target;

pub use target::{Behaviour, DEMO_FLAG, DemoTargets, Scenario};
