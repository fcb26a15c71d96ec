//! The environment stage: checks that the environment under test is up and
//! runs the expected version. (Provisioning through IaC arrives later.)

pub mod health;

pub use health::run_stage;
