//! Change impact: run what the change calls for. The change comes from git
//! ([`change`]: files with renames, lines added and removed); rules map
//! path globs to stages to select or intensify, each with its reason
//! ([`config`]); [`select`] turns the change, the rules, the plan and the
//! risk into a selection that the engine applies before the graph runs.
//! Hard gates are never skipped unless config allows it, and a change that
//! no rule explains runs the full plan.

pub mod change;
pub mod config;
pub mod face;
pub mod select;

pub use change::{ChangeError, Git};
pub use config::{ImpactRule, ImpactSection, IntensifySpec};
pub use select::{PlannedStage, select};
