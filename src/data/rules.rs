//! The rules file: which transformer applies to which `schema.table.column`
//! (globs allowed: `*.email`, `public.*.phone`), the HMAC key reference,
//! links the catalog does not know, acceptances, quasi-identifiers and
//! parity tolerances. Parsed rule by rule, so an error names its rule.

use std::path::Path;

use chrono::NaiveDate;
use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use super::DataError;
use super::transform::{NAMES, Transformer};
use crate::secrets::SecretRef;

/// One rule: a column pattern and its transformer.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Position in the file (`rules[N]`).
    pub index: usize,
    /// The pattern as written.
    pub column: String,
    /// What to do.
    pub transformer: Transformer,
}

impl Rule {
    /// How errors name it: `rules[2] (column = "*.email")`.
    pub fn name(&self) -> String {
        format!("rules[{}] (column = {:?})", self.index, self.column)
    }
}

/// A link the catalog does not declare: `from` holds values of `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// `schema.table.column` that refers.
    pub from: String,
    /// `schema.table.column` referred to.
    pub to: String,
}

/// A personal column copied without a rule, on purpose, until a date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// `schema.table.column`.
    pub column: String,
    /// Why it may stay as it is.
    pub reason: String,
    /// Who accepted it.
    #[serde(default)]
    pub approver: Option<String>,
    /// Last valid day (inclusive).
    pub expires: NaiveDate,
}

/// The whole rules file.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    /// Where it was read from (for messages).
    pub source: String,
    /// The key of `hmac`, `fake`, `noise`, `shift_dates` and `template`.
    pub hmac_key: Option<SecretRef>,
    /// Tables copied side by side.
    pub jobs: usize,
    /// Minimum group size of the quasi-identifiers (k-anonymity).
    pub min_k: Option<u64>,
    /// Quasi-identifier columns, by table (`schema.table.column`).
    pub quasi_identifiers: Vec<String>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
    /// Extra links.
    pub references: Vec<Reference>,
    /// Acceptances.
    pub accept: Vec<Acceptance>,
    /// Parity tolerances.
    pub parity: Tolerances,
}

const KEYS: [&str; 8] = [
    "hmac_key",
    "jobs",
    "min_k",
    "quasi_identifiers",
    "rules",
    "references",
    "accept",
    "parity",
];

impl Rules {
    /// Read and parse a rules file.
    pub fn load(path: &Path) -> Result<Rules, DataError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            DataError::Usage(format!(
                "cannot read the rules file {}: {e}",
                path.display()
            ))
        })?;
        let value: toml::Table = toml::from_str(&text)
            .map_err(|e| DataError::Usage(format!("{}: not valid TOML: {e}", path.display())))?;
        Rules::from_table(&path.display().to_string(), value)
    }

    /// Parse a rules table (a file, or the `[data]` section of a config).
    pub fn from_table(source: &str, mut t: toml::Table) -> Result<Rules, DataError> {
        let err = |m: String| DataError::Usage(format!("{source}: {m}"));
        for k in t.keys() {
            if !KEYS.contains(&k.as_str()) {
                return Err(err(format!(
                    "unknown key `{k}` (known: {})",
                    KEYS.join(", ")
                )));
            }
        }
        let mut out = Rules {
            source: source.to_string(),
            jobs: 2,
            ..Rules::default()
        };
        if let Some(v) = t.remove("hmac_key") {
            out.hmac_key = Some(v.try_into().map_err(|e| err(format!("hmac_key: {e}")))?);
        }
        if let Some(v) = t.remove("jobs") {
            let j = v.as_integer().filter(|j| (1..=64).contains(j));
            out.jobs =
                j.ok_or_else(|| err("jobs must be an integer from 1 to 64".into()))? as usize;
        }
        if let Some(v) = t.remove("min_k") {
            let k = v.as_integer().filter(|k| *k >= 1);
            out.min_k = Some(k.ok_or_else(|| err("min_k must be an integer >= 1".into()))? as u64);
        }
        if let Some(v) = t.remove("quasi_identifiers") {
            out.quasi_identifiers = v.try_into().map_err(|e| {
                err(format!(
                    "quasi_identifiers must be a list of \"schema.table.column\": {e}"
                ))
            })?;
        }
        if let Some(v) = t.remove("references") {
            out.references = v.try_into().map_err(|e| {
                err(format!(
                    "references: {e} (each is {{ from = \"s.t.c\", to = \"s.t.c\" }})"
                ))
            })?;
        }
        if let Some(v) = t.remove("accept") {
            out.accept = v.try_into().map_err(|e| {
                err(format!("accept: {e} (each is {{ column = \"s.t.c\", reason = \"...\", expires = 2027-01-31 }})"))
            })?;
        }
        if let Some(v) = t.remove("parity") {
            out.parity = v.try_into().map_err(|e| err(format!("parity: {e}")))?;
        }
        if let Some(v) = t.remove("rules") {
            let list = v
                .as_array()
                .cloned()
                .ok_or_else(|| err("rules must be an array of tables ([[rules]])".into()))?;
            for (index, item) in list.into_iter().enumerate() {
                out.rules.push(parse_rule(source, index, item)?);
            }
        }
        if out.rules.iter().any(|r| r.transformer.keyed()) && out.hmac_key.is_none() {
            return Err(err(
                "hmac, fake, noise, shift_dates and template need a key: add hmac_key = { env = \"FLIGHTDECK_DATA_KEY\" }".into(),
            ));
        }
        Ok(out)
    }
}

fn parse_rule(source: &str, index: usize, item: toml::Value) -> Result<Rule, DataError> {
    let mut table = item
        .as_table()
        .cloned()
        .ok_or_else(|| DataError::Usage(format!("{source}: rules[{index}] is not a table")))?;
    let column = table
        .remove("column")
        .and_then(|c| c.as_str().map(str::to_string))
        .ok_or_else(|| {
            DataError::Usage(format!(
                "{source}: rules[{index}] has no column = \"schema.table.column\""
            ))
        })?;
    let name = format!("rules[{index}] (column = {column:?})");
    if !table.contains_key("transformer") {
        return Err(DataError::Usage(format!(
            "{source}: {name} has no transformer (one of {NAMES})"
        )));
    }
    let transformer: Transformer =
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| {
                DataError::Usage(format!(
                    "{source}: {name}: {} (transformers: {NAMES})",
                    e.message().trim()
                ))
            })?;
    if column.split('.').count() > 3 || column.is_empty() {
        return Err(DataError::Usage(format!(
            "{source}: {name}: a column is `schema.table.column`, `table.column` or `column` (globs allowed)"
        )));
    }
    Ok(Rule {
        index,
        column,
        transformer,
    })
}

/// A compiled `schema.table.column` pattern.
pub struct Pattern {
    parts: Vec<GlobMatcher>,
    literal: bool,
}

impl Pattern {
    /// Compile; fewer than three parts match from the right.
    pub fn new(p: &str) -> Option<Pattern> {
        let parts = p
            .split('.')
            .map(|s| Glob::new(s).ok().map(|g| g.compile_matcher()))
            .collect::<Option<Vec<_>>>()?;
        Some(Pattern {
            parts,
            literal: !p.contains(['*', '?', '[', '{']),
        })
    }

    /// Whether it names no glob.
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    /// Whether it matches this column.
    pub fn matches(&self, schema: &str, table: &str, column: &str) -> bool {
        let names = [schema, table, column];
        let skip = 3 - self.parts.len();
        self.parts
            .iter()
            .zip(&names[skip..])
            .all(|(g, n)| g.is_match(n))
    }
}
/// Tolerances, as `[parity]` in the rules file. Relative ones are fractions
/// (`0.05` = ±5%).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tolerances {
    /// Row counts (default: exact).
    pub rows: f64,
    /// Table size on disk (default ±50%: the target is freshly packed).
    pub size: f64,
    /// Null fraction, absolute difference (default 0.01; `null` rules raise it).
    pub null_fraction: f64,
    /// Distinct-count ratio, absolute difference (default 0.05).
    pub distinct_ratio: f64,
    /// Largest KS distance D between the samples (default 0.1).
    pub ks_max_d: f64,
    /// Values sampled per column for KS (default 2000).
    pub ks_sample: i64,
    /// FK fan-out median and p95, relative (default ±10%).
    pub fanout: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            rows: 0.0,
            size: 0.5,
            null_fraction: 0.01,
            distinct_ratio: 0.05,
            ks_max_d: 0.1,
            ks_sample: 2000,
            fanout: 0.1,
        }
    }
}
