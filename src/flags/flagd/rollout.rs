//! A flag's canary share: reading it from the `fractional` split of its
//! targeting, and rewriting that split for a rollout step.

use serde_json::{Number, Value, json};

use super::FlagFile;
use crate::flags::doc::Doc;
use crate::flags::{FlagError, FlagState, check_percent};

impl FlagFile {
    /// The flag's state, with the canary share of its `fractional` targeting.
    pub fn state(
        &self,
        flag: &str,
        configured_canary: Option<&str>,
    ) -> Result<FlagState, FlagError> {
        let def = self.flag_doc(flag)?;
        let enabled = matches!(def.get("state"), Some(Doc::String(s)) if s == "ENABLED");
        let variants = Self::variant_names(def);
        let default_variant = match def.get("defaultVariant") {
            Some(Doc::String(s)) => Some(s.clone()),
            _ => None,
        };
        let canary = self.canary_variant(flag, configured_canary).ok();
        let targeting = def.get("targeting").map(Doc::to_value);
        let frac = targeting.as_ref().and_then(find_fractional);
        let (rollout_percent, split) = match (&frac, &canary) {
            (Some(entries), Some(c)) => {
                let buckets = split_entries(entries);
                let total: u64 = buckets.iter().map(|(_, w)| w).sum();
                let cw: u64 = buckets.iter().filter(|(n, _)| n == c).map(|(_, w)| w).sum();
                let pct = if total == 0 {
                    0.0
                } else {
                    100.0 * cw as f64 / total as f64
                };
                let text = buckets
                    .iter()
                    .map(|(n, w)| format!("{n} {w}"))
                    .collect::<Vec<_>>()
                    .join(" / ");
                (Some(pct), format!("fractional {text}"))
            }
            (None, Some(c))
                if targeting
                    .as_ref()
                    .is_none_or(|t| t.as_object().is_some_and(|m| m.is_empty())) =>
            {
                let pct = if default_variant.as_deref() == Some(c.as_str()) {
                    100.0
                } else {
                    0.0
                };
                (
                    Some(pct),
                    match &default_variant {
                        Some(d) => format!("static {d}"),
                        None => "static, no default variant (the caller's default)".to_string(),
                    },
                )
            }
            (None, _) => (None, "targeting without fractional".to_string()),
            (Some(_), None) => (None, "fractional, no canary variant".to_string()),
        };
        Ok(FlagState {
            flag: flag.to_string(),
            provider: "file".into(),
            enabled,
            rollout_percent,
            canary_variant: canary,
            variants,
            default_variant,
            summary: format!("{}, {split}", if enabled { "ENABLED" } else { "DISABLED" }),
        })
    }

    /// Give the canary variant `percent` of the flag's `fractional` split and
    /// set the flag `ENABLED`. The other entry gets the rest. Whole percentages
    /// are written as weights out of 100, others out of 10000 (0.01% steps).
    /// A flag with no targeting gets `fractional` [canary, default].
    pub fn set_canary_percent(
        &mut self,
        flag: &str,
        configured_canary: Option<&str>,
        percent: f64,
    ) -> Result<(), FlagError> {
        check_percent(percent)?;
        let canary = self.canary_variant(flag, configured_canary)?;
        let (scale, cw) = if percent.fract() == 0.0 {
            (100u64, percent as u64)
        } else {
            (10_000, (percent * 100.0).round() as u64)
        };
        let rest = scale - cw;
        let origin = self.origin.clone();
        let invalid = |m: String| FlagError::Invalid {
            flag: flag.to_string(),
            origin: origin.clone(),
            message: m,
        };
        let def = self
            .doc
            .get_mut("flags")
            .and_then(|f| f.get_mut(flag))
            .ok_or_else(|| invalid("not found".into()))?;
        let default = match def.get("defaultVariant") {
            Some(Doc::String(s)) => s.clone(),
            _ => String::new(),
        };
        let has_targeting = match def.get("targeting") {
            None | Some(Doc::Null) => false,
            Some(Doc::Object(m)) => !m.is_empty(),
            Some(_) => true,
        };
        if !has_targeting {
            if default.is_empty() {
                return Err(invalid(format!(
                    "no targeting and no defaultVariant, so no baseline variant to split with: add a fractional [\"{canary}\", BASELINE] split to its targeting, or name the baseline in defaultVariant"
                )));
            }
            if default == canary {
                return Err(invalid(format!(
                    "no targeting and the default variant is the canary \"{canary}\": add a fractional [canary, baseline] split to its targeting"
                )));
            }
            let t = json!({"fractional": [[canary, cw], [default, rest]]});
            def.set("targeting", Doc::from_value(&t));
        } else {
            let entries = def
                .get_mut("targeting")
                .and_then(find_fractional_mut)
                .ok_or_else(|| invalid("its targeting has no \"fractional\" operator, so there is no rollout percentage to set".into()))?;
            let mut canary_idx = None;
            let mut others = Vec::new();
            for (i, e) in entries.iter().enumerate() {
                if let Doc::Array(pair) = e {
                    match pair.first() {
                        Some(Doc::String(n)) if *n == canary => canary_idx = Some(i),
                        Some(_) => others.push(i),
                        None => {}
                    }
                }
            }
            if others.len() != 1 {
                return Err(invalid(format!(
                    "its fractional has {} non-canary entries; a rollout can be set only on a two-way split (canary \"{canary}\" and one baseline)",
                    others.len()
                )));
            }
            let weight = |w: u64| Doc::Number(Number::from(w));
            let set_weight = |e: &mut Doc, w: u64| {
                if let Doc::Array(pair) = e {
                    pair.truncate(1);
                    pair.push(weight(w));
                }
            };
            set_weight(&mut entries[others[0]], rest);
            match canary_idx {
                Some(i) => set_weight(&mut entries[i], cw),
                None => {
                    // new canary entry goes first, so raising the share keeps
                    // already-canary users on the canary
                    let at = if matches!(entries.first(), Some(Doc::Array(_))) {
                        0
                    } else {
                        1
                    };
                    entries.insert(
                        at,
                        Doc::Array(vec![Doc::String(canary.clone()), weight(cw)]),
                    );
                }
            }
        }
        def.set("state", Doc::String("ENABLED".into()));
        Ok(())
    }
}

fn find_fractional(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(a)) = m.get("fractional") {
                return Some(a.clone());
            }
            m.values().find_map(find_fractional)
        }
        Value::Array(a) => a.iter().find_map(find_fractional),
        _ => None,
    }
}

fn find_fractional_mut(d: &mut Doc) -> Option<&mut Vec<Doc>> {
    match d {
        Doc::Object(m) => {
            if m.len() == 1 && m[0].0 == "fractional" && matches!(m[0].1, Doc::Array(_)) {
                if let Doc::Array(a) = &mut m[0].1 {
                    return Some(a);
                }
                return None;
            }
            m.iter_mut().find_map(|(_, v)| find_fractional_mut(v))
        }
        Doc::Array(a) => a.iter_mut().find_map(find_fractional_mut),
        _ => None,
    }
}

/// `(variant, weight)` of each distribution entry (skipping a bucketing expression).
fn split_entries(entries: &[Value]) -> Vec<(String, u64)> {
    entries
        .iter()
        .filter_map(|e| {
            let a = e.as_array()?;
            let name = match a.first()? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let w = a.get(1).and_then(Value::as_f64).unwrap_or(1.0).max(0.0) as u64;
            Some((name, w))
        })
        .collect()
}
