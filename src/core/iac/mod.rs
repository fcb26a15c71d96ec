//! What the IaC part of an environment stage found, as journalled: plan,
//! drift, parity, apply and the endpoints from outputs. Root outputs are left
//! out on purpose: they may hold secrets. The provisioners live in `crate::iac`.

pub mod approval;
pub mod drift;
pub mod parity;
pub mod plan;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;
use drift::DriftReport;
use parity::{ParityReport, VarParityReport};
use plan::PlanSummary;

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

/// What an apply or destroy did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Resources whose change completed.
    pub completed: Vec<String>,
    /// Terraform's closing summary, e.g. `Apply complete! Resources: 1 added, 0 changed, 0 destroyed.`.
    pub summary: String,
}

/// An endpoint URL found in an IaC output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IacEndpoint {
    /// Endpoint name (from `outputs_endpoints`).
    pub name: String,
    /// The output it came from.
    pub output: String,
    /// The URL.
    pub url: String,
}
