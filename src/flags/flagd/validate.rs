//! Checking a flagd document. A problem with the document as a whole (not
//! JSON, no `flags` object) leaves nothing usable and fails the parse; a
//! problem with one flag is that flag's alone: it becomes a `PARSE_ERROR` for
//! that flag, and every other flag in the file still loads and evaluates, as
//! in flagd. One odd flag written by another team must not take a canary's
//! own flag down with it.

use crate::flags::FlagError;
use crate::flags::doc::Doc;

/// What is wrong with one flag definition, and where.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Problem {
    /// Where in the document, e.g. `$.flags.checkout-v2.state`.
    pub json_path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

fn problem(path: String, message: impl Into<String>) -> Option<Problem> {
    Some(Problem {
        json_path: path,
        message: message.into(),
    })
}

/// The document-level checks: an object with a `flags` object, and
/// `$evaluators` (shared by every flag's `$ref`) an object when present.
pub(super) fn check_document(origin: &str, doc: &Doc) -> Result<(), FlagError> {
    let err = |json_path: &str, message: &str| FlagError::Parse {
        origin: origin.to_string(),
        json_path: json_path.to_string(),
        message: message.to_string(),
    };
    let Doc::Object(_) = doc else {
        return Err(err(
            "$",
            "the document must be an object with a \"flags\" member",
        ));
    };
    let Some(Doc::Object(_)) = doc.get("flags") else {
        return Err(err(
            "$.flags",
            "missing or not an object (flagd files have {\"flags\": {NAME: {...}}})",
        ));
    };
    if let Some(ev) = doc.get("$evaluators")
        && !matches!(ev, Doc::Object(_))
    {
        return Err(err(
            "$.$evaluators",
            "must be an object of name -> JSONLogic rule",
        ));
    }
    Ok(())
}

/// Check one flag definition; `None` when it is well-formed.
///
/// `defaultVariant` may be `null` or absent: flagd's schema allows both and
/// both mean "serve the caller's default" (flagd ADR "Support Explicit Code
/// Default Values in flagd Configuration").
pub(super) fn check_flag(name: &str, def: &Doc) -> Option<Problem> {
    let p = format!("$.flags.{name}");
    let Doc::Object(_) = def else {
        return problem(
            p,
            "a flag definition must be an object with \"state\", \"variants\" and optionally \"defaultVariant\" and \"targeting\"",
        );
    };
    match def.get("state") {
        Some(Doc::String(s)) if s == "ENABLED" || s == "DISABLED" => {}
        Some(other) => {
            return problem(
                format!("{p}.state"),
                format!(
                    "expected \"ENABLED\" or \"DISABLED\", found {}",
                    serde_json::to_string(other).unwrap_or_default()
                ),
            );
        }
        None => {
            return problem(
                format!("{p}.state"),
                "missing: add \"state\": \"ENABLED\" (or \"DISABLED\")",
            );
        }
    }
    let Some(Doc::Object(variants)) = def.get("variants") else {
        return problem(
            format!("{p}.variants"),
            "missing or not an object of variant name -> value, e.g. {\"on\": true, \"off\": false}",
        );
    };
    if variants.is_empty() {
        return problem(
            format!("{p}.variants"),
            "no variants defined: add at least one, e.g. {\"on\": true, \"off\": false}",
        );
    }
    let names = || {
        variants
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match def.get("defaultVariant") {
        None | Some(Doc::Null) => {}
        Some(Doc::String(d)) if variants.iter().any(|(k, _)| k == d) => {}
        Some(Doc::String(d)) => {
            return problem(
                format!("{p}.defaultVariant"),
                format!(
                    "\"{d}\" is not one of the variants ({}): name one of them, or write null to serve the caller's default",
                    names()
                ),
            );
        }
        Some(other) => {
            return problem(
                format!("{p}.defaultVariant"),
                format!(
                    "must be a variant name ({}) or null, found {}",
                    names(),
                    serde_json::to_string(other).unwrap_or_default()
                ),
            );
        }
    }
    match def.get("targeting") {
        None | Some(Doc::Object(_)) | Some(Doc::Null) => None,
        Some(_) => problem(
            format!("{p}.targeting"),
            "must be a JSONLogic object ({} or absent for none)",
        ),
    }
}
