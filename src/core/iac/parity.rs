//! Parity of pre-production with production (state and var files), as
//! journalled. The comparison lives in `crate::iac::parity` and `crate::iac::vars`.

use serde::{Deserialize, Serialize};

/// One attribute (or a whole resource, attribute `*`) that differs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParityDifference {
    /// Address after normalisation.
    pub address: String,
    /// Attribute path, or `*` for a resource present on one side only.
    pub attribute: String,
    /// Pre-production value (masked); `None` when absent.
    pub preprod: Option<String>,
    /// Production value (masked); `None` when absent.
    pub prod: Option<String>,
    /// Declared as intended, so not counted in the score.
    pub intended: bool,
    /// The declared reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The parity of pre-production with production.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParityReport {
    /// Pre-production source.
    pub preprod_file: String,
    /// Production source.
    pub prod_file: String,
    /// 100 x matching / comparable, one decimal; `None` when nothing was comparable.
    pub score: Option<f64>,
    /// Comparable attributes (a resource on one side only counts with all its attributes).
    pub comparable: usize,
    /// Comparable attributes with equal values.
    pub matching: usize,
    /// Resources present on both sides.
    pub resources_matched: usize,
    /// Addresses only in pre-production (not intended).
    pub only_in_preprod: Vec<String>,
    /// Addresses only in production (not intended).
    pub only_in_prod: Vec<String>,
    /// Attributes skipped: ignored, sensitive, unknown until apply, or absent from a plan.
    pub not_compared: usize,
    /// Every difference, intended ones marked.
    pub differences: Vec<ParityDifference>,
}

impl ParityReport {
    /// Differences not declared intended.
    pub fn unintended(&self) -> impl Iterator<Item = &ParityDifference> {
        self.differences.iter().filter(|d| !d.intended)
    }

    /// One line: `parity 92.3 (12/13 attributes, 1 unintended, 2 intended differences)`.
    pub fn headline(&self) -> String {
        let intended = self.differences.iter().filter(|d| d.intended).count();
        let unintended = self.differences.len() - intended;
        match self.score {
            Some(s) => format!(
                "parity {} ({}/{} attributes match; {unintended} unintended, {intended} intended differences)",
                crate::core::format::trim_num(s),
                self.matching,
                self.comparable
            ),
            None => format!("parity unknown: nothing comparable ({intended} intended differences)"),
        }
    }

    /// A human summary for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "parity {} vs {}\n  {}\n",
            self.preprod_file,
            self.prod_file,
            self.headline()
        );
        for d in &self.differences {
            let tag = if d.intended { "intended" } else { "DIFF" };
            out.push_str(&format!(
                "  {tag:<8} {} {}: preprod {} | prod {}{}\n",
                d.address,
                d.attribute,
                d.preprod.as_deref().unwrap_or("(absent)"),
                d.prod.as_deref().unwrap_or("(absent)"),
                d.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
        }
        out
    }
}

/// One variable that differs between the two files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VarDifference {
    /// Variable name.
    pub key: String,
    /// Pre-production value (rendered, masked for secret-looking names); `None` when absent.
    pub preprod: Option<String>,
    /// Production value; `None` when absent.
    pub prod: Option<String>,
    /// Declared as an intended difference.
    pub intended: bool,
    /// The declared reason, if intended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Comparison of two var files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VarParityReport {
    /// Pre-production file.
    pub preprod_file: String,
    /// Production file.
    pub prod_file: String,
    /// Variables with the same value on both sides.
    pub matching: usize,
    /// Every difference, intended ones included (and marked).
    pub differences: Vec<VarDifference>,
}

impl VarParityReport {
    /// Differences that were not declared intended.
    pub fn unintended(&self) -> impl Iterator<Item = &VarDifference> {
        self.differences.iter().filter(|d| !d.intended)
    }
}
