//! The flagd flag-definition format: parse and validate, evaluate a flag for a
//! context exactly as flagd does (for the operator subset in [`super::logic`]),
//! read a flag's canary share and rewrite it.

use serde::{Deserialize, Serialize};
use serde_json::{Number, Value, json};

use super::doc::Doc;
use super::logic::{self, LogicError};
use super::{DEFAULT_CANARY_VARIANT, FlagError, FlagState, check_percent};

/// Why a flag resolved to its variant (flagd / OpenFeature reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EvalReason {
    /// No targeting: the default variant.
    Static,
    /// Targeting chose the variant.
    TargetingMatch,
    /// Targeting returned nothing: the default variant.
    Default,
    /// The flag is `DISABLED`: no variant; callers serve their code default.
    Disabled,
    /// A fractional split chose the variant (OFREP servers may report it).
    Split,
    /// Any other reason reported by a remote evaluator.
    Unknown,
}

/// The result of evaluating one flag for one context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedFlag {
    /// Flag key.
    pub flag: String,
    /// Variant name, `None` when the flag is disabled.
    pub variant: Option<String>,
    /// The variant's value (`null` when disabled).
    pub value: Value,
    /// Why.
    pub reason: EvalReason,
}

/// A parsed, validated flagd flag file. Keeps the original document (key order
/// and unrelated content) for writing back.
#[derive(Clone, Debug, PartialEq)]
pub struct FlagFile {
    origin: String,
    doc: Doc,
}

fn parse_err(origin: &str, path: &str, message: impl Into<String>) -> FlagError {
    FlagError::Parse {
        origin: origin.to_string(),
        json_path: path.to_string(),
        message: message.into(),
    }
}

impl FlagFile {
    /// Parse and validate `text`; `origin` (a path) names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<FlagFile, FlagError> {
        let doc: Doc = serde_json::from_str(text).map_err(|e| {
            parse_err(
                origin,
                "$",
                format!(
                    "invalid JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let file = FlagFile {
            origin: origin.to_string(),
            doc,
        };
        file.validate()?;
        Ok(file)
    }

    fn validate(&self) -> Result<(), FlagError> {
        let o = &self.origin;
        let Doc::Object(_) = &self.doc else {
            return Err(parse_err(
                o,
                "$",
                "the document must be an object with a \"flags\" member",
            ));
        };
        let Some(Doc::Object(flags)) = self.doc.get("flags") else {
            return Err(parse_err(
                o,
                "$.flags",
                "missing or not an object (flagd files have {\"flags\": {NAME: {...}}})",
            ));
        };
        for (name, def) in flags {
            let p = format!("$.flags.{name}");
            let Doc::Object(_) = def else {
                return Err(parse_err(o, &p, "a flag definition must be an object"));
            };
            match def.get("state") {
                Some(Doc::String(s)) if s == "ENABLED" || s == "DISABLED" => {}
                Some(other) => {
                    return Err(parse_err(
                        o,
                        &format!("{p}.state"),
                        format!(
                            "expected \"ENABLED\" or \"DISABLED\", found {}",
                            serde_json::to_string(other).unwrap_or_default()
                        ),
                    ));
                }
                None => {
                    return Err(parse_err(
                        o,
                        &format!("{p}.state"),
                        "missing (\"ENABLED\" or \"DISABLED\")",
                    ));
                }
            }
            let Some(Doc::Object(variants)) = def.get("variants") else {
                return Err(parse_err(
                    o,
                    &format!("{p}.variants"),
                    "missing or not an object of variant name -> value",
                ));
            };
            if variants.is_empty() {
                return Err(parse_err(
                    o,
                    &format!("{p}.variants"),
                    "no variants defined",
                ));
            }
            match def.get("defaultVariant") {
                Some(Doc::String(d)) if variants.iter().any(|(k, _)| k == d) => {}
                Some(Doc::String(d)) => {
                    return Err(parse_err(
                        o,
                        &format!("{p}.defaultVariant"),
                        format!(
                            "\"{d}\" is not one of the variants ({})",
                            variants
                                .iter()
                                .map(|(k, _)| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                Some(Doc::Null) => {}
                _ => {
                    return Err(parse_err(
                        o,
                        &format!("{p}.defaultVariant"),
                        "missing or not a string",
                    ));
                }
            }
            match def.get("targeting") {
                None | Some(Doc::Object(_)) | Some(Doc::Null) => {}
                Some(_) => {
                    return Err(parse_err(
                        o,
                        &format!("{p}.targeting"),
                        "must be a JSONLogic object",
                    ));
                }
            }
        }
        if let Some(ev) = self.doc.get("$evaluators")
            && !matches!(ev, Doc::Object(_))
        {
            return Err(parse_err(
                o,
                "$.$evaluators",
                "must be an object of name -> JSONLogic rule",
            ));
        }
        Ok(())
    }

    /// The file path (or origin) used in errors.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Flag keys, in file order.
    pub fn flag_names(&self) -> Vec<String> {
        match self.doc.get("flags") {
            Some(Doc::Object(m)) => m.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// The document, pretty-printed (2-space indent, original key order).
    pub fn to_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.doc).unwrap_or_default();
        s.push('\n');
        s
    }

    fn flag_doc(&self, flag: &str) -> Result<&Doc, FlagError> {
        self.doc
            .get("flags")
            .and_then(|f| f.get(flag))
            .ok_or_else(|| self.not_found(flag))
    }

    fn not_found(&self, flag: &str) -> FlagError {
        FlagError::FlagNotFound {
            flag: flag.to_string(),
            origin: self.origin.clone(),
            known: self.flag_names(),
        }
    }

    fn invalid(&self, flag: &str, message: impl Into<String>) -> FlagError {
        FlagError::Invalid {
            flag: flag.to_string(),
            origin: self.origin.clone(),
            message: message.into(),
        }
    }

    fn variant_names(def: &Doc) -> Vec<String> {
        match def.get("variants") {
            Some(Doc::Object(m)) => m.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// Which variant is the canary: `configured`, else `canary`, else `on`.
    pub fn canary_variant(
        &self,
        flag: &str,
        configured: Option<&str>,
    ) -> Result<String, FlagError> {
        let names = Self::variant_names(self.flag_doc(flag)?);
        let pick = match configured {
            Some(c) => names.iter().find(|n| *n == c),
            None => names
                .iter()
                .find(|n| *n == DEFAULT_CANARY_VARIANT)
                .or_else(|| names.iter().find(|n| *n == "on")),
        };
        pick.cloned().ok_or_else(|| {
            self.invalid(flag, format!(
                "no canary variant {} (variants: {}); name it in the canary config (canary_variant)",
                configured.map(|c| format!("\"{c}\"")).unwrap_or_else(|| "\"canary\" or \"on\"".into()),
                names.join(", ")
            ))
        })
    }

    /// Resolve `{"$ref": NAME}` against `$evaluators`, as flagd does at load.
    fn resolved_targeting(&self, flag: &str, def: &Doc) -> Result<Option<Value>, FlagError> {
        let Some(t) = def.get("targeting") else {
            return Ok(None);
        };
        let evaluators = self
            .doc
            .get("$evaluators")
            .map(Doc::to_value)
            .unwrap_or(json!({}));
        let mut v = t.to_value();
        resolve_refs(&mut v, &evaluators, 0).map_err(|m| self.invalid(flag, m))?;
        match &v {
            Value::Null => Ok(None),
            Value::Object(m) if m.is_empty() => Ok(None),
            _ => Ok(Some(v)),
        }
    }

    /// Evaluate `flag` for `context` (an object; `targetingKey` drives fractional).
    pub fn evaluate(&self, flag: &str, context: &Value) -> Result<EvaluatedFlag, FlagError> {
        let def = self.flag_doc(flag)?;
        if matches!(def.get("state"), Some(Doc::String(s)) if s == "DISABLED") {
            return Ok(EvaluatedFlag {
                flag: flag.into(),
                variant: None,
                value: Value::Null,
                reason: EvalReason::Disabled,
            });
        }
        let variants = def
            .get("variants")
            .map(Doc::to_value)
            .unwrap_or(Value::Null);
        let default = match def.get("defaultVariant") {
            Some(Doc::String(s)) => Some(s.clone()),
            _ => None,
        };
        let serve = |name: Option<String>, reason| EvaluatedFlag {
            flag: flag.to_string(),
            value: name
                .as_ref()
                .and_then(|n| variants.get(n))
                .cloned()
                .unwrap_or(Value::Null),
            variant: name,
            reason,
        };
        let Some(rule) = self.resolved_targeting(flag, def)? else {
            return Ok(serve(default, EvalReason::Static));
        };
        let mut data = match context {
            Value::Object(m) => m.clone(),
            Value::Null => serde_json::Map::new(),
            _ => return Err(self.invalid(flag, "the evaluation context must be a JSON object")),
        };
        data.insert(
            "$flagd".into(),
            json!({"flagKey": flag, "timestamp": chrono::Utc::now().timestamp()}),
        );
        let out = logic::eval(&rule, &Value::Object(data))
            .map_err(|LogicError(m)| self.invalid(flag, format!("targeting: {m}")))?;
        let name = match out {
            Value::Null => return Ok(serve(default, EvalReason::Default)),
            Value::String(s) if s.is_empty() => return Ok(serve(default, EvalReason::Default)),
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            other => {
                return Err(self.invalid(
                    flag,
                    format!("targeting returned {other}, not a variant name"),
                ));
            }
        };
        if variants.get(&name).is_none() {
            return Err(self.invalid(
                flag,
                format!("targeting returned variant \"{name}\", which is not defined in variants"),
            ));
        }
        Ok(serve(Some(name), EvalReason::TargetingMatch))
    }

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
                    format!("static {}", default_variant.clone().unwrap_or_default()),
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
            if default == canary || default.is_empty() {
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

/// Evaluate `flag` in the flagd file text `flag_file_json` for `context`.
pub fn evaluate(
    flag_file_json: &str,
    flag: &str,
    context: &Value,
) -> Result<EvaluatedFlag, FlagError> {
    FlagFile::parse(flag_file_json, "<flags>")?.evaluate(flag, context)
}

fn resolve_refs(v: &mut Value, evaluators: &Value, depth: u32) -> Result<(), String> {
    if depth > 32 {
        return Err("$ref nesting deeper than 32 (a cycle in $evaluators?)".into());
    }
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("$ref") => {
            let name = m["$ref"].as_str().unwrap_or_default().to_string();
            let mut target = evaluators
                .get(&name)
                .cloned()
                .ok_or_else(|| format!("$ref \"{name}\" is not defined in $evaluators"))?;
            resolve_refs(&mut target, evaluators, depth + 1)?;
            *v = target;
        }
        Value::Object(m) => {
            for x in m.values_mut() {
                resolve_refs(x, evaluators, depth)?;
            }
        }
        Value::Array(a) => {
            for x in a {
                resolve_refs(x, evaluators, depth)?;
            }
        }
        _ => {}
    }
    Ok(())
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
