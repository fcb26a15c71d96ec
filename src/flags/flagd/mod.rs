//! The flagd flag-definition format: parse and validate, evaluate a flag for a
//! context exactly as flagd does (for the operator subset in [`super::logic`]),
//! read a flag's canary share and rewrite it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::flags::doc::Doc;

mod rollout;
use crate::flags::logic::{self, LogicError};
use crate::flags::{DEFAULT_CANARY_VARIANT, FlagError};

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
