//! The journalled part of an IaC outcome.

pub use crate::core::iac::IacReport;
use crate::iac::IacOutcome;

impl IacReport {
    /// The journalled part of an outcome.
    pub fn from_outcome(
        provisioner: String,
        workspace: Option<String>,
        o: &IacOutcome,
    ) -> IacReport {
        IacReport {
            provisioner,
            workspace,
            verdict: o.verdict,
            summary: o.summary.clone(),
            plan: o.plan.clone(),
            drift: o.drift.clone(),
            parity: o.parity.clone(),
            var_parity: o.var_parity.clone(),
            apply: o.apply.clone(),
            endpoints: o.endpoints.clone(),
            expires_at: o.expires_at,
        }
    }
}
