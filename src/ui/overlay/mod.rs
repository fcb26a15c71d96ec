//! Windows drawn over the panes.

pub mod dialog;
pub mod finding_detail;
pub mod iac_detail;
pub mod stage_detail;
