//! What the IaC stage found: the verdict with its evidence, and the plan,
//! drift, parity, apply and outputs behind them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::drift::DriftReport;
use super::parity::ParityReport;
use super::plan::PlanSummary;
use super::provisioner::{ApplyReport, OutputValue};
use super::vars::VarParityReport;
use crate::core::iac::IacEndpoint;
use crate::core::verdict::{Evidence, Verdict};

/// Everything the IaC stage found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IacOutcome {
    /// The stage verdict.
    pub verdict: Verdict,
    /// Evidence behind it.
    pub evidence: Vec<Evidence>,
    /// One-line summary.
    pub summary: String,
    /// The plan, if one was made or read.
    pub plan: Option<PlanSummary>,
    /// Drift, if checked.
    pub drift: Option<DriftReport>,
    /// Resource parity with production, if configured.
    pub parity: Option<ParityReport>,
    /// Var-file parity with production, if configured.
    pub var_parity: Option<VarParityReport>,
    /// What apply did, if it ran.
    pub apply: Option<ApplyReport>,
    /// Root outputs (sensitive ones masked).
    pub outputs: BTreeMap<String, OutputValue>,
    /// Endpoints found in outputs.
    pub endpoints: Vec<IacEndpoint>,
    /// When an ephemeral environment should be gone.
    pub expires_at: Option<DateTime<Utc>>,
}

impl IacOutcome {
    /// Nothing found yet: a pass until evidence says otherwise.
    pub(super) fn new() -> IacOutcome {
        IacOutcome {
            verdict: Verdict::Pass,
            evidence: Vec::new(),
            summary: String::new(),
            plan: None,
            drift: None,
            parity: None,
            var_parity: None,
            apply: None,
            outputs: BTreeMap::new(),
            endpoints: Vec::new(),
            expires_at: None,
        }
    }

    /// The parts a `StageFinished` event needs.
    pub fn verdict_parts(&self) -> (Verdict, Vec<Evidence>, String) {
        (self.verdict, self.evidence.clone(), self.summary.clone())
    }

    /// Add one piece of evidence; the outcome takes the worst verdict.
    pub(super) fn add(
        &mut self,
        label: &str,
        value: impl Into<String>,
        threshold: Option<String>,
        verdict: Verdict,
    ) {
        self.verdict = self.verdict.worst(verdict);
        self.evidence.push(Evidence {
            label: label.into(),
            value: value.into(),
            threshold,
            verdict,
        });
    }
}
