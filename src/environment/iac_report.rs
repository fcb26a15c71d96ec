//! What the IaC part of an environment stage found, as journalled. Root
//! outputs are left out on purpose: they may hold secrets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::iac::IacOutcome;
use crate::iac::drift::DriftReport;
use crate::iac::parity::ParityReport;
use crate::iac::plan::PlanSummary;
use crate::iac::provisioner::ApplyReport;
use crate::iac::stage::IacEndpoint;
use crate::iac::vars::VarParityReport;
use crate::run::verdict::Verdict;

/// The IaC findings of one environment stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IacReport {
    /// `terraform`, `tofu`, `command` or `none`.
    pub provisioner: String,
    /// Workspace, if one was selected.
    pub workspace: Option<String>,
    /// Verdict of the IaC part alone.
    pub verdict: Verdict,
    /// One-line summary.
    pub summary: String,
    /// Plan summary (sensitive values masked).
    pub plan: Option<PlanSummary>,
    /// Drift, if checked.
    pub drift: Option<DriftReport>,
    /// Parity with production, if configured.
    pub parity: Option<ParityReport>,
    /// Var-file parity, if configured.
    pub var_parity: Option<VarParityReport>,
    /// What apply did, if it ran.
    pub apply: Option<ApplyReport>,
    /// Endpoints found in outputs.
    pub endpoints: Vec<IacEndpoint>,
    /// When an ephemeral environment will be destroyed.
    pub expires_at: Option<DateTime<Utc>>,
}

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
