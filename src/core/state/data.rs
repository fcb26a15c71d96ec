//! The data stage's view: one line per table (rows copied against the
//! estimate, rate, transforms, parity verdict), the findings and parity
//! lines, and the leak-scan summary.

use serde::Serialize;

use crate::core::data::{DataFinding, FindingKind, LeakScan, ParityLine};
use crate::core::event::{Envelope, Event};
use crate::core::state::RunState;
use crate::core::verdict::Verdict;

/// One table of the copy.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DataTableView {
    /// `schema.table`.
    pub table: String,
    /// The source's estimate.
    pub estimated_rows: u64,
    /// Rows so far (all of them once copied).
    pub rows: u64,
    /// Committed in the target.
    pub copied: bool,
    /// Rows per second of the finished copy.
    pub rows_per_sec: f64,
    /// `column:transformer`.
    pub transforms: Vec<String>,
    /// The worst parity verdict of the table, once compared.
    pub parity: Option<Verdict>,
}

/// Everything the data stage reported.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DataView {
    /// The stage id, once one ran.
    pub stage: Option<String>,
    /// Tables in the order their copy began.
    pub tables: Vec<DataTableView>,
    /// Findings in arrival order.
    pub findings: Vec<DataFinding>,
    /// Parity lines in arrival order.
    pub parity: Vec<ParityLine>,
    /// The leak scan, once done.
    pub leak: Option<LeakScan>,
}

impl DataView {
    /// Findings that fail (leaks and detector hits not accepted).
    pub fn leaks(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| !f.accepted && matches!(f.kind, FindingKind::Leak | FindingKind::Detector))
            .count()
    }

    fn table(&mut self, name: &str) -> &mut DataTableView {
        if let Some(i) = self.tables.iter().position(|t| t.table == name) {
            return &mut self.tables[i];
        }
        self.tables.push(DataTableView {
            table: name.to_string(),
            ..DataTableView::default()
        });
        let last = self.tables.len() - 1;
        &mut self.tables[last]
    }
}

/// Fold the data events; a data stage that starts again starts afresh.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    let d = &mut s.data;
    match &env.event {
        Event::StageStarted { stage } if d.stage.as_deref() == Some(stage) => {
            *d = DataView {
                stage: Some(stage.clone()),
                ..DataView::default()
            };
        }
        Event::DataTableStarted { stage, table } => {
            d.stage = Some(stage.clone());
            let t = d.table(&table.table);
            t.estimated_rows = table.estimated_rows;
            t.transforms = table.transforms.clone();
            t.rows = 0;
            t.copied = false;
        }
        Event::DataTableProgress { table, rows, .. } => {
            let t = d.table(table);
            t.rows = t.rows.max(*rows);
        }
        Event::DataTableCopied { copied, .. } => {
            let t = d.table(&copied.table);
            t.rows = copied.rows;
            t.copied = true;
            t.rows_per_sec = copied.rows_per_sec;
        }
        Event::DataLeakScan { scan, .. } => d.leak = Some(scan.clone()),
        Event::DataFinding { finding, .. } => d.findings.push(finding.clone()),
        Event::DataParity { line, .. } => {
            d.parity.push(line.clone());
            let verdict = line.verdict;
            let name = line.table.clone();
            // Partitions report through their partitioned table.
            for t in d
                .tables
                .iter_mut()
                .filter(|t| t.table == name || t.table.starts_with(&format!("{name}_")))
            {
                t.parity = Some(t.parity.map_or(verdict, |v| v.worst(verdict)));
            }
            if !d.tables.iter().any(|t| t.table == name) {
                let t = d.table(&name);
                t.parity = Some(verdict);
            }
        }
        _ => {}
    }
}
