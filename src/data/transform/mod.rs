//! Transformers: what happens to a column's values on the way to the
//! target. Deterministic ones (`hmac`, `fake`, `noise`, `shift_dates`) draw
//! from one keyed hash of the value (or of the row key), never of the
//! column, so the same value becomes the same pseudonym in every table and
//! every run with the same key, and joins hold.

pub mod dates;
pub mod fake;
pub mod keyed;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use fake::FakeKind;
pub use keyed::HmacKey;

use super::catalog::Column;

/// A transformer as written in a rule (`transformer = "..."` plus its
/// parameters).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "transformer", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transformer {
    /// Copy as is.
    Keep,
    /// NULL.
    Null,
    /// SHA-256, unkeyed (32 hex characters). Guessable for small value
    /// spaces; prefer `hmac`.
    Hash,
    /// HMAC-SHA256 with the rules' `hmac_key` (32 hex characters).
    Hmac,
    /// A realistic fake value of `kind`, chosen by the keyed hash.
    Fake {
        /// What kind of value.
        kind: FakeKind,
    },
    /// Keep the last `keep_last` characters, replace the others by `*`.
    Mask {
        /// Characters kept at the end.
        #[serde(default = "default_keep_last")]
        keep_last: usize,
    },
    /// Add a deterministic offset within ± `bound` (a number, or days for dates).
    Noise {
        /// The bound.
        bound: f64,
    },
    /// Coarser values: dates to `month` or `year`, numbers to a `bucket`.
    Generalise {
        /// `month` or `year` (dates).
        #[serde(default)]
        to: Option<String>,
        /// Bucket width (numbers).
        #[serde(default)]
        bucket: Option<f64>,
    },
    /// Shift every date of a row by the same offset within ± `max_days`.
    ShiftDates {
        /// The bound in days.
        max_days: u32,
    },
    /// A text built from the row's transformed columns: `{column}`, and
    /// `{hmac}` for 8 hex characters of the value's keyed hash.
    Template {
        /// The text, e.g. `note about order {id}`.
        template: String,
    },
}

fn default_keep_last() -> usize {
    4
}

/// Every transformer name.
pub const NAMES: &str =
    "keep, null, hash, hmac, fake, mask, noise, generalise, shift_dates, template";

impl Transformer {
    /// Its config name.
    pub fn name(&self) -> &'static str {
        match self {
            Transformer::Keep => "keep",
            Transformer::Null => "null",
            Transformer::Hash => "hash",
            Transformer::Hmac => "hmac",
            Transformer::Fake { .. } => "fake",
            Transformer::Mask { .. } => "mask",
            Transformer::Noise { .. } => "noise",
            Transformer::Generalise { .. } => "generalise",
            Transformer::ShiftDates { .. } => "shift_dates",
            Transformer::Template { .. } => "template",
        }
    }

    /// Needs the HMAC key.
    pub fn keyed(&self) -> bool {
        matches!(
            self,
            Transformer::Hmac
                | Transformer::Fake { .. }
                | Transformer::Noise { .. }
                | Transformer::ShiftDates { .. }
                | Transformer::Template { .. }
        )
    }

    /// Why this transformer cannot apply to `col` (None: it can).
    pub fn rejects(&self, col: &Column) -> Option<String> {
        let ty = &col.type_name;
        let text = col.category == 'S';
        match self {
            Transformer::Keep => None,
            Transformer::Null if col.not_null => {
                Some("the column is NOT NULL; use another transformer".into())
            }
            Transformer::Null => None,
            Transformer::Hash | Transformer::Hmac if text || ty == "uuid" => {
                max_len(ty).filter(|n| *n < 32).map(|n| {
                    format!("its output has 32 characters and the column holds {n}")
                })
            }
            Transformer::Fake { kind: FakeKind::Ip } if text || ty == "inet" => None,
            Transformer::Fake { .. } | Transformer::Mask { .. } | Transformer::Template { .. }
                if text =>
            {
                None
            }
            Transformer::Noise { bound } if *bound <= 0.0 || !bound.is_finite() => {
                Some("noise.bound must be a positive number".into())
            }
            Transformer::Noise { .. } if col.is_numeric() || col.is_date() => None,
            Transformer::Generalise { to: Some(t), bucket: None }
                if (t == "month" || t == "year") && col.is_date() =>
            {
                None
            }
            Transformer::Generalise { to: None, bucket: Some(b) }
                if *b > 0.0 && col.is_numeric() =>
            {
                None
            }
            Transformer::Generalise { .. } => Some(
                "generalise takes to = \"month\" or \"year\" on a date column, or bucket = N (> 0) on a numeric one"
                    .into(),
            ),
            Transformer::ShiftDates { .. } if col.is_date() => None,
            _ => Some(format!(
                "{} cannot transform a column of type {ty}",
                self.name()
            )),
        }
    }
}

fn max_len(ty: &str) -> Option<usize> {
    let inner = ty
        .strip_prefix("character varying(")
        .or_else(|| ty.strip_prefix("character("))?;
    inner.trim_end_matches(')').parse().ok()
}

/// What a transformer needs besides the value.
pub struct Context<'a> {
    /// The keyed hash.
    pub key: &'a HmacKey,
    /// The row key (primary key values, or the row number).
    pub row_key: &'a str,
    /// The column has a unique index: outputs must be distinct.
    pub unique: bool,
    /// 0, or the how-manieth retry after a uniqueness collision.
    pub attempt: u32,
    /// The column is an integer type.
    pub integer: bool,
    /// The row's other columns after transformation, for templates.
    pub row: &'a [(&'a str, Option<&'a str>)],
}

/// Apply `t` to one value. An error says what broke, never the value.
pub fn apply(t: &Transformer, value: Option<&str>, cx: &Context) -> Result<Option<String>, String> {
    let Some(v) = value else {
        return Ok(None);
    };
    let attempt = cx.attempt.to_le_bytes();
    Ok(Some(match t {
        Transformer::Keep => v.to_string(),
        Transformer::Null => return Ok(None),
        Transformer::Hash => {
            let mut h = Sha256::new();
            h.update(v.as_bytes());
            if cx.attempt > 0 {
                h.update(attempt);
            }
            keyed::hex(&h.finalize()[..16])
        }
        Transformer::Hmac => {
            let mac = if cx.attempt > 0 {
                cx.key.mac(&[b"hmac:", &attempt, v.as_bytes()])
            } else {
                cx.key.mac(&[b"hmac:", v.as_bytes()])
            };
            keyed::hex(&mac[..16])
        }
        Transformer::Fake { kind } => {
            let seed = cx.key.mac(&[b"fake:", &attempt, v.as_bytes()]);
            fake::fake(*kind, &seed, cx.unique || cx.attempt > 0)
        }
        Transformer::Mask { keep_last } => {
            let n = v.chars().count();
            v.chars()
                .enumerate()
                .map(|(i, c)| if i + keep_last < n { '*' } else { c })
                .collect()
        }
        Transformer::Noise { bound } => {
            let mac = cx
                .key
                .mac(&[b"noise:", cx.row_key.as_bytes(), b"\0", v.as_bytes()]);
            let u = unit(&mac) * 2.0 - 1.0;
            if let Some(d) = dates::Stamp::parse(v) {
                d.shifted((u * bound).round() as i64)
                    .ok_or("the date leaves the calendar's range")?
            } else {
                let x: f64 = v.trim().parse().map_err(|_| "not a number".to_string())?;
                number(x + u * bound, v, cx.integer)
            }
        }
        Transformer::Generalise { to, bucket } => {
            if let Some(b) = bucket {
                let x: f64 = v.trim().parse().map_err(|_| "not a number".to_string())?;
                number((x / b).floor() * b, v, cx.integer)
            } else {
                let d = dates::Stamp::parse(v).ok_or("not a date")?;
                d.truncated(to.as_deref() == Some("year"))
            }
        }
        Transformer::ShiftDates { max_days } => {
            let mac = cx.key.mac(&[b"shift:", cx.row_key.as_bytes()]);
            let span = 2 * i64::from(*max_days) + 1;
            let days =
                (u64::from_le_bytes(first8(&mac)) % span as u64) as i64 - i64::from(*max_days);
            dates::Stamp::parse(v)
                .ok_or("not a date")?
                .shifted(days)
                .ok_or("the date leaves the calendar's range")?
        }
        Transformer::Template { template } => render(template, v, cx),
    }))
}

fn first8(mac: &[u8; 32]) -> [u8; 8] {
    let mut b = [0u8; 8];
    b.copy_from_slice(&mac[..8]);
    b
}

fn unit(mac: &[u8; 32]) -> f64 {
    (u64::from_le_bytes(first8(mac)) >> 11) as f64 / (1u64 << 53) as f64
}

/// A number in the input's style: integers stay integers, decimals keep the
/// input's scale.
fn number(x: f64, input: &str, integer: bool) -> String {
    let scale = input.split_once('.').map(|(_, f)| f.len()).unwrap_or(0);
    if integer || scale == 0 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.scale$}")
    }
}

fn render(template: &str, v: &str, cx: &Context) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let name = &rest[i + 1..i + j];
        if name == "hmac" {
            out.push_str(&keyed::hex(&cx.key.mac(&[b"hmac:", v.as_bytes()])[..4]));
        } else if let Some((_, val)) = cx.row.iter().find(|(n, _)| *n == name) {
            out.push_str(val.unwrap_or(""));
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
