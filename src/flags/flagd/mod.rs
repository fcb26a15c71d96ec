//! The flagd flag-definition format: parse and validate, evaluate a flag for a
//! context exactly as flagd does (for the operator subset in [`super::logic`]),
//! read a flag's canary share and rewrite it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::flags::doc::Doc;

mod resolve;
mod rollout;
mod validate;
use crate::flags::{DEFAULT_CANARY_VARIANT, FlagError};
pub use resolve::{ErrorCode, Resolution};
use validate::Problem;

/// Why a flag resolved to its value (OpenFeature reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EvalReason {
    /// No targeting: the default variant.
    Static,
    /// Targeting chose the variant.
    TargetingMatch,
    /// Targeting returned nothing, or the flag has no default variant: the
    /// default variant, else the caller's default.
    Default,
    /// The flag is `DISABLED`: no variant; callers serve their code default.
    Disabled,
    /// A fractional split chose the variant (OFREP servers may report it).
    Split,
    /// The evaluation failed; callers serve their code default.
    Error,
    /// Any other reason reported by a remote evaluator.
    Unknown,
}

impl EvalReason {
    /// The reason as OpenFeature writes it, e.g. `TARGETING_MATCH`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvalReason::Static => "STATIC",
            EvalReason::TargetingMatch => "TARGETING_MATCH",
            EvalReason::Default => "DEFAULT",
            EvalReason::Disabled => "DISABLED",
            EvalReason::Split => "SPLIT",
            EvalReason::Error => "ERROR",
            EvalReason::Unknown => "UNKNOWN",
        }
    }
}

/// The result of evaluating one flag for one context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedFlag {
    /// Flag key.
    pub flag: String,
    /// Variant name, `None` when the flag is disabled or defers to the
    /// caller's default.
    pub variant: Option<String>,
    /// The variant's value (`null` when there is no variant).
    pub value: Value,
    /// Why.
    pub reason: EvalReason,
}

/// A parsed flagd flag file. Keeps the original document (key order and
/// unrelated content) for writing back, and the flags that are malformed:
/// those fail alone, the others evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct FlagFile {
    origin: String,
    doc: Doc,
    malformed: BTreeMap<String, Problem>,
}

fn parse_err(origin: &str, path: &str, message: impl Into<String>) -> FlagError {
    FlagError::Parse {
        origin: origin.to_string(),
        json_path: path.to_string(),
        message: message.into(),
    }
}

impl FlagFile {
    /// Parse `text`; `origin` (a path) names the file in errors. Fails only
    /// when the document as a whole is unusable; a malformed flag fails
    /// alone, when it is read or evaluated ([`FlagFile::malformed`]).
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
        validate::check_document(origin, &doc)?;
        let malformed = match doc.get("flags") {
            Some(Doc::Object(flags)) => flags
                .iter()
                .filter_map(|(name, def)| {
                    validate::check_flag(name, def).map(|p| (name.clone(), p))
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        Ok(FlagFile {
            origin: origin.to_string(),
            doc,
            malformed,
        })
    }

    /// The malformed flags' errors (file, JSON path, fix), in key order.
    pub fn malformed(&self) -> Vec<FlagError> {
        self.malformed
            .values()
            .map(|p| parse_err(&self.origin, &p.json_path, p.message.clone()))
            .collect()
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

    /// The flag's definition; a malformed flag is its parse error.
    fn flag_doc(&self, flag: &str) -> Result<&Doc, FlagError> {
        if let Some(p) = self.malformed.get(flag) {
            return Err(parse_err(&self.origin, &p.json_path, p.message.clone()));
        }
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
            let mut target = evaluators.get(&name).cloned().ok_or_else(|| {
                format!(
                    "$ref \"{name}\" is not defined in $evaluators; define it there or fix the $ref"
                )
            })?;
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
