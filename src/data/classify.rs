//! Classification of every source column as personal, quasi-identifier or
//! other, from its name and a sample of its values; and the check that
//! every personal column has a rule or an acceptance.

use chrono::NaiveDate;
use regex::Regex;
use serde::Serialize;
use tokio_postgres::Client;

use super::DataError;
use super::catalog::{Catalog, Column, Table};
use super::conn::db_message;
use super::conn::ident;
use super::detect::{Detector, Detectors};
use super::plan::Plan;
use super::rules::Rules;
use crate::core::data::ColumnClass;

/// Values sampled per table.
pub const SAMPLE: i64 = 200;

/// One column's class and why.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnReport {
    /// `schema.table`.
    pub table: String,
    /// Column.
    pub column: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The class.
    pub class: ColumnClass,
    /// Why (name pattern, detector counts).
    pub reasons: Vec<String>,
    /// The detector that matched most sampled values, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detector: Option<&'static str>,
    /// The transformer and its origin, when a rules file was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The acceptance (reason, until), when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    /// A personal column with neither rule nor valid acceptance.
    pub unruled: bool,
    /// A generated column: the target computes it from the transformed ones.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub generated: bool,
}

struct NameRules {
    personal: Vec<(Regex, &'static str)>,
    quasi: Vec<(Regex, &'static str)>,
}

fn name_rules() -> NameRules {
    let re = |p: &str| Regex::new(p).expect("a name pattern compiles");
    NameRules {
        personal: vec![
            (re(r"(^|_)e?mail"), "the name says e-mail"),
            (
                re(r"(^|_)(phone|mobile|msisdn|tel|telephone|fax)($|_)"),
                "the name says phone",
            ),
            (
                re(
                    r"^(first|last|middle|full|given|family|maiden|sur)_?name$|^name$|^(customer|person|contact|holder)_name$",
                ),
                "the name says a person's name",
            ),
            (
                re(r"(^|_)(ssn|social_security|national_id|passport|tax_id|nino)($|_)"),
                "the name says a national identifier",
            ),
            (
                re(r"(^|_)(iban|bank_account|account_number)($|_)"),
                "the name says a bank account",
            ),
            (
                re(r"(^|_)(card|card_number|cc_number|pan)($|_)"),
                "the name says a payment card",
            ),
            (
                re(r"(^|_)(ip|ip_address|client_ip|remote_addr)($|_)"),
                "the name says an IP address",
            ),
            (
                re(r"(^|_)(birth|dob|born|birthday|date_of_birth|birth_date)($|_)"),
                "the name says date of birth",
            ),
            (
                re(r"(^|_)(street|address|address_line\d?|addr)($|_)"),
                "the name says a street address",
            ),
            (
                re(r"(^|_)(note|notes|comment|comments|remark|remarks|free_text|message)($|_)"),
                "free text: may mention people",
            ),
            (
                re(r"(^|_)(password|passwd|secret|token)($|_)"),
                "the name says a credential",
            ),
        ],
        quasi: vec![
            (
                re(r"(^|_)(zip|zipcode|postal|postal_code|postcode)($|_)"),
                "the name says postal code",
            ),
            (re(r"(^|_)(city|town)($|_)"), "the name says city"),
            (re(r"(^|_)(gender|sex)($|_)"), "the name says gender"),
            (re(r"(^|_)(age|birth_year)($|_)"), "the name says age"),
            (
                re(r"(^|_)(country|nationality)($|_)"),
                "the name says country",
            ),
            (
                re(r"(^|_)(job|occupation|employer|salary|income)($|_)"),
                "the name says job or income",
            ),
        ],
    }
}

/// Classify every column of the source (partitions are classified through
/// their partitioned table).
pub async fn classify(src: &Client, cat: &Catalog) -> Result<Vec<ColumnReport>, DataError> {
    let names = name_rules();
    let det = Detectors::new();
    let mut out = Vec::new();
    for t in cat.tables.iter().filter(|t| t.root.is_none()) {
        let samples = sample(src, t).await?;
        for (i, c) in t.columns.iter().enumerate() {
            out.push(classify_column(
                t,
                c,
                samples.get(i).map(Vec::as_slice).unwrap_or(&[]),
                &names,
                &det,
            ));
        }
    }
    Ok(out)
}

/// Up to [`SAMPLE`] non-null values of each text-like or date column, as text.
async fn sample(src: &Client, t: &Table) -> Result<Vec<Vec<String>>, DataError> {
    let wanted: Vec<&Column> = t.columns.iter().collect();
    let exprs: Vec<String> = wanted
        .iter()
        .map(|c| {
            if c.is_text() || c.is_date() {
                format!("{}::text", ident(&c.name))
            } else {
                "NULL::text".into()
            }
        })
        .collect();
    if exprs.is_empty() {
        return Ok(Vec::new());
    }
    let rows = src
        .query(
            &format!(
                "SELECT {} FROM {} LIMIT {SAMPLE}",
                exprs.join(", "),
                t.sql_name()
            ),
            &[],
        )
        .await
        .map_err(|e| {
            DataError::Unreachable(format!("sampling {}: {}", t.full_name(), db_message(&e)))
        })?;
    let mut cols = vec![Vec::new(); wanted.len()];
    for r in rows {
        for (i, col) in cols.iter_mut().enumerate() {
            if let Some(v) = r.get::<_, Option<String>>(i) {
                col.push(v);
            }
        }
    }
    Ok(cols)
}

fn classify_column(
    t: &Table,
    c: &Column,
    values: &[String],
    names: &NameRules,
    det: &Detectors,
) -> ColumnReport {
    let lname = c.name.to_lowercase();
    let mut class = ColumnClass::Other;
    let mut reasons = Vec::new();
    let mut detector = None;
    let birth_name = lname.contains("birth") || lname == "dob" || lname.contains("born");
    if let Some((_, why)) = names.personal.iter().find(|(r, _)| r.is_match(&lname)) {
        class = ColumnClass::Personal;
        reasons.push((*why).to_string());
    } else if let Some((_, why)) = names.quasi.iter().find(|(r, _)| r.is_match(&lname)) {
        class = ColumnClass::QuasiIdentifier;
        reasons.push((*why).to_string());
    }
    if !values.is_empty() {
        let mut counts: std::collections::BTreeMap<Detector, usize> = Default::default();
        for v in values {
            if let Some(d) = det.find(v) {
                *counts.entry(d).or_default() += 1;
            } else if birth_name && det.birth_date(v) {
                *counts.entry(Detector::DateOfBirth).or_default() += 1;
            }
        }
        if let Some((d, n)) = counts.iter().max_by_key(|(_, n)| **n) {
            let free_text = reasons.iter().any(|r| r.starts_with("free text"));
            // Most values for a typed column; any for free text.
            if *n * 2 >= values.len() || (free_text && *n > 0) {
                class = ColumnClass::Personal;
                detector = Some(d.as_str());
                reasons.push(format!(
                    "{n}/{} sampled values are {}",
                    values.len(),
                    d.as_str()
                ));
            }
        }
    }
    ColumnReport {
        table: t.full_name(),
        column: c.name.clone(),
        type_name: c.type_name.clone(),
        class,
        reasons,
        detector,
        rule: None,
        accepted: None,
        unruled: false,
        generated: c.generated,
    }
}

/// Mark each report with its rule or acceptance; personal columns with
/// neither are `unruled`.
pub fn check_rules(reports: &mut [ColumnReport], plan: &Plan, rules: &Rules, today: NaiveDate) {
    for r in reports.iter_mut() {
        if let Some(res) = plan.get(&r.table, &r.column) {
            r.rule = Some(format!("{} ({})", res.transformer.name(), res.origin));
        }
        let full = format!("{}.{}", r.table, r.column);
        if let Some(a) = rules.accept.iter().find(|a| a.column == full) {
            if a.expires >= today {
                r.accepted = Some(format!("{} (until {})", a.reason, a.expires));
            } else {
                r.reasons
                    .push(format!("acceptance expired on {}", a.expires));
            }
        }
        r.unruled = r.class == ColumnClass::Personal
            && r.rule.is_none()
            && r.accepted.is_none()
            && !r.generated;
    }
}
