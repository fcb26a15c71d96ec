//! `data verify`: the leak scan, k-anonymity and parity between a source
//! and a target, usable on its own or after a copy.

use std::collections::BTreeMap;

use serde::Serialize;

use super::DataError;
use super::catalog::{self, Catalog};
use super::classify::{self, ColumnReport};
use super::conn::Endpoint;
use super::leak::{self, LeakReport};
use super::parity;
use super::plan::{self, Plan};
use super::rules::Rules;
use super::transform::Transformer;
use crate::core::data::{ColumnClass, DataFinding, FindingKind, ParityLine};
use crate::core::verdict::Verdict;

/// k-anonymity of one table's quasi-identifiers.
#[derive(Clone, Debug, Serialize)]
pub struct KAnonymity {
    /// `schema.table`.
    pub table: String,
    /// The quasi-identifier columns.
    pub columns: Vec<String>,
    /// The smallest group in the target.
    pub k: u64,
    /// The bound.
    pub min_k: u64,
    /// k >= min_k.
    pub verdict: Verdict,
}

/// Everything `verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// Source label.
    pub source: String,
    /// Target label.
    pub target: String,
    /// Pass when nothing leaked and parity holds.
    pub verdict: Verdict,
    /// The leak scan.
    pub leak: LeakReport,
    /// k-anonymity per table with declared quasi-identifiers.
    pub k_anonymity: Vec<KAnonymity>,
    /// Parity lines.
    pub parity: Vec<ParityLine>,
}

/// Columns whose values are personal in the source and should not appear
/// in the target: classified personal, not accepted, not kept on purpose.
pub fn personal_columns(reports: &[ColumnReport], plan: &Plan) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in reports {
        let kept = plan
            .get(&r.table, &r.column)
            .is_some_and(|p| p.transformer == Transformer::Keep);
        if r.class == ColumnClass::Personal && r.accepted.is_none() && !kept {
            out.entry(r.table.clone())
                .or_default()
                .push(r.column.clone());
        }
    }
    out
}

/// Run the verification; `progress` gets a line at each phase (the
/// command prints them on stderr: a big database takes minutes).
pub async fn verify(
    source: &Endpoint,
    target: &Endpoint,
    rules: &Rules,
    scale: u32,
    progress: &(dyn Fn(String) + Sync),
) -> Result<VerifyReport, DataError> {
    let src = source.connect().await?;
    let tgt = target.connect().await?;
    let mut cat: Catalog = catalog::read(&src).await?;
    plan::add_references(&mut cat, rules)?;
    let plan = plan::resolve(&cat, rules)?;
    let mut reports = classify::classify(&src, &cat).await?;
    classify::check_rules(&mut reports, &plan, rules, chrono::Utc::now().date_naive());
    let personal = personal_columns(&reports, &plan);
    progress(format!(
        "hashing the values of {} personal columns of the source",
        personal.values().map(Vec::len).sum::<usize>()
    ));
    let set = leak::source_values(&src, &cat, &personal).await?;
    progress(format!(
        "{} source values hashed; scanning the target",
        set.values
    ));
    let leak = leak::scan_target(target, &cat, std::sync::Arc::new(set), rules.jobs).await?;
    progress(format!(
        "leak scan: {} rows in {:.2} s ({:.0} rows/s), {} findings; parity",
        leak.rows,
        leak.seconds,
        leak.rows as f64 / leak.seconds.max(1e-9),
        leak.findings.len()
    ));
    let mut k_anonymity = Vec::new();
    let mut by_table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for q in &rules.quasi_identifiers {
        if let Some((t, c)) = q.rsplit_once('.') {
            by_table
                .entry(t.to_string())
                .or_default()
                .push(c.to_string());
        }
    }
    for (table, cols) in by_table {
        let Some(t) = cat.table(&table) else {
            return Err(DataError::Usage(format!(
                "{}: quasi_identifiers names {table}, which the source does not have",
                rules.source
            )));
        };
        if let Some(c) = cols.iter().find(|c| t.column(c).is_none()) {
            return Err(DataError::Usage(format!(
                "{}: quasi_identifiers names {table}.{c}, which the source does not have",
                rules.source
            )));
        }
        let k = leak::k_anonymity(&tgt, t, &cols).await?;
        let min_k = rules.min_k.unwrap_or(1);
        k_anonymity.push(KAnonymity {
            table,
            columns: cols,
            k,
            min_k,
            verdict: if k >= min_k {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
        });
    }
    let relaxed = |t: &str, c: &str| {
        // Lossy transforms change nulls or distinct counts on purpose;
        // fakes outside a unique index draw from small value spaces.
        plan.get(t, c).is_some_and(|r| {
            matches!(
                r.transformer,
                Transformer::Null
                    | Transformer::Generalise { .. }
                    | Transformer::Mask { .. }
                    | Transformer::Template { .. }
            ) || (matches!(r.transformer, Transformer::Fake { .. }) && !r.unique)
        })
    };
    let parity = parity::compare(&src, &tgt, &cat, &rules.parity, &relaxed, scale).await?;
    let failed = leak.findings.iter().any(|f| !f.accepted)
        || parity.iter().any(|p| p.verdict == Verdict::Fail)
        || k_anonymity.iter().any(|k| k.verdict == Verdict::Fail);
    Ok(VerifyReport {
        source: source.label.clone(),
        target: target.label.clone(),
        verdict: if failed { Verdict::Fail } else { Verdict::Pass },
        leak,
        k_anonymity,
        parity,
    })
}

/// The findings of unruled personal columns.
pub fn unruled_findings(reports: &[ColumnReport]) -> Vec<DataFinding> {
    reports
        .iter()
        .filter(|r| r.unruled)
        .map(|r| DataFinding {
            kind: FindingKind::Unruled,
            table: r.table.clone(),
            column: r.column.clone(),
            row_key: String::new(),
            detector: r.detector.unwrap_or("name").to_string(),
            count: 1,
            accepted: false,
        })
        .collect()
}
