//! Test data vocabulary: what the `data` stage and the `flightdeck data`
//! faces report about a copy (tables copied, findings, parity lines). Plain
//! data, so that the journal, reports and panes share one shape; the logic
//! lives in the `data` capability.

use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;

/// How personal a source column is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnClass {
    /// Identifies a person on its own (email, phone, name, card...).
    Personal,
    /// Identifies a person in combination (postal code, city, birth year...).
    QuasiIdentifier,
    /// Nothing personal found.
    Other,
}

impl ColumnClass {
    /// The word used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnClass::Personal => "personal",
            ColumnClass::QuasiIdentifier => "quasi-identifier",
            ColumnClass::Other => "other",
        }
    }
}

/// A table's copy begins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableStarted {
    /// `schema.table`.
    pub table: String,
    /// The source's estimate of its rows (pg_class.reltuples; 0 unknown).
    pub estimated_rows: u64,
    /// Transforms applied, as `column:transformer` (empty: copied as is).
    pub transforms: Vec<String>,
}

/// A table's rows are in the target (its COPY committed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableCopied {
    /// `schema.table`.
    pub table: String,
    /// Rows written.
    pub rows: u64,
    /// Bytes of COPY text written.
    pub bytes: u64,
    /// Wall time of the table's copy.
    pub seconds: f64,
    /// Rows per second.
    pub rows_per_sec: f64,
}

/// Where a finding comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A source personal value found in the target.
    Leak,
    /// A detector (email, card...) matched a target value.
    Detector,
    /// A personal source column without a rule or acceptance.
    Unruled,
    /// Quasi-identifiers form a group smaller than `min_k`.
    KAnonymity,
}

/// One finding of the leak scan or the classification. It names where, never
/// the value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFinding {
    /// What kind of finding.
    pub kind: FindingKind,
    /// `schema.table`.
    pub table: String,
    /// Column (or the quasi-identifier columns joined by `,`).
    pub column: String,
    /// Row key (primary key values, or `row N` when the key itself is
    /// personal); empty for column-level findings.
    pub row_key: String,
    /// Detector or reason: `source_value`, `email`, `card`...
    pub detector: String,
    /// Hits of this kind in this column (the finding stands for all).
    pub count: u64,
    /// Accepted in config (reason and expiry), so it does not fail.
    #[serde(default)]
    pub accepted: bool,
}

/// One parity comparison between source and target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParityLine {
    /// `schema.table`.
    pub table: String,
    /// Column, or empty for table-level metrics.
    pub column: String,
    /// `rows`, `size`, `null_fraction`, `distinct_ratio`, `ks`, `fanout_median`, `fanout_p95`, `orphans`.
    pub metric: String,
    /// The source's value.
    pub source: f64,
    /// The target's value.
    pub target: f64,
    /// The bound, as written (`±0%`, `D <= 0.10`, `= 0`).
    pub tolerance: String,
    /// Within the bound or not.
    pub verdict: Verdict,
}

/// What the leak scan read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeakScan {
    /// Personal source values hashed.
    pub source_values: u64,
    /// Target rows read.
    pub rows: u64,
    /// Seconds it took.
    pub seconds: f64,
}
