//! Reading one part of the layered tree into a typed section: every unknown
//! key is reported with a suggestion, and a type error with its full key
//! path and a hint, instead of stopping at serde's first message.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Origins, Problem, Severity, Value};

/// The shapes of a secret reference, for hints. The text lives here, not in
/// `secrets`, because the section reader explains a bad reference without
/// knowing which capability holds it.
pub const SECRET_SHAPES_HINT: &str = "{ env = \"NAME\" } or { aws_secret = \"ID\", key = \"FIELD\" }; without key, the whole secret string is the value";

/// Deserialize one part of the config, recording unknown keys and the first
/// type error with its full key path. `prefix` is the part's key path from
/// the top (`environment.endpoints[0]`); `known` is the part serialised from
/// a sample value, whose keys are the suggestions for a misspelt one.
pub fn section<T: DeserializeOwned + Serialize>(
    value: Value,
    prefix: &str,
    known: &serde_json::Value,
    origins: &Origins<'_>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let mut unknown = Vec::new();
    let mut record = |p: serde_ignored::Path<'_>| unknown.push(p.to_string());
    let de = serde_ignored::Deserializer::new(value, &mut record);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    for u in unknown {
        let key = join(prefix, &u);
        let leaf = u.rsplit('.').next().unwrap_or(&u).to_string();
        let parent = u.rsplit_once('.').map(|(p, _)| p).unwrap_or("");
        problems.push(Problem {
            severity: Severity::Error,
            source: origins.of(&key),
            key: key.clone(),
            message: "unknown key".into(),
            hint: suggest(&leaf, known_keys_at(known, parent)),
        });
    }
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().to_string();
            let mut key = if path == "." {
                prefix.to_string()
            } else {
                join(prefix, &path)
            };
            let mut message = clean_message(&e.inner().to_string());
            let mut hint = hint_for(&message);
            if let Some(field) = quoted_after(&message, "missing configuration field ") {
                // The field may be a full path below the section already.
                key = if field.contains('.') {
                    join(prefix, &field)
                } else {
                    join(&key, &field)
                };
                message = "is required but missing".into();
                hint = "add it; config/flightdeck.toml shows an example".into();
            } else if message.contains("secret reference") {
                // Internally tagged enums (the canary provider) lose the
                // path below them; the token is the provider's only reference.
                if key.ends_with(".provider") {
                    key.push_str(".token");
                }
                hint = format!("write {SECRET_SHAPES_HINT}");
            } else if let Some(bad) = message.split("does not have variant constructor ").nth(1) {
                let leaf = key.rsplit('.').next().unwrap_or(&key);
                message = format!("unknown value `{}`", bad.trim());
                hint = match allowed_values(leaf) {
                    Some(list) => format!("use one of {list}"),
                    None => "see config/flightdeck.toml for the allowed values".into(),
                };
            }
            problems.push(Problem {
                severity: Severity::Error,
                source: origins.of(&key),
                key,
                hint,
                message,
            });
            None
        }
    }
}

/// The entries of an array of tables (`[[stages]]`); anything else is a
/// problem at `key` and no entries.
pub fn array_items(
    v: Value,
    key: &str,
    origins: &Origins<'_>,
    problems: &mut Vec<Problem>,
) -> Vec<Value> {
    match v.kind {
        ::config::ValueKind::Array(items) => items,
        _ => {
            problems.push(Problem {
                severity: Severity::Error,
                source: origins.of(key),
                key: key.to_string(),
                message: "must be an array of tables".into(),
                hint: format!("write each entry as [[{key}]]"),
            });
            Vec::new()
        }
    }
}

/// Take `key` out of a table, so that it can be read on its own (with its
/// own key paths) and the rest of the table without it.
pub fn take(v: &mut Value, key: &str) -> Option<Value> {
    match &mut v.kind {
        ::config::ValueKind::Table(t) => t.shift_remove(key),
        _ => None,
    }
}

fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else if path.is_empty() || path == "." {
        prefix.to_string()
    } else {
        format!("{prefix}.{path}")
    }
}

/// Drop the `config` crate's own location suffix: we name the source ourselves.
fn clean_message(m: &str) -> String {
    let m = m.split(" for key `").next().unwrap_or(m);
    let m = m.split(" in the environment").next().unwrap_or(m);
    m.trim().to_string()
}

fn quoted_after(message: &str, lead: &str) -> Option<String> {
    let rest = message.strip_prefix(lead)?;
    Some(rest.trim_matches(|c| c == '"' || c == '`').to_string())
}

/// Allowed values of enum-valued keys, named by their leaf key: serde's
/// message for an unknown variant of an untagged or renamed enum does not
/// list them.
fn allowed_values(leaf: &str) -> Option<&'static str> {
    match leaf {
        "risk" => Some("dev, staging, preprod, prod"),
        "kind" => Some("environment, load, scan, policy, drill, canary, gate"),
        "color" => Some("auto, never, 16, 256, truecolor"),
        "apply" => Some("never, confirm, auto"),
        _ => None,
    }
}

fn hint_for(message: &str) -> String {
    if let Some(rest) = message.split("expected one of ").nth(1) {
        format!("use one of {rest}")
    } else if message.starts_with("missing field") {
        "add the field; config/flightdeck.toml shows an example".into()
    } else if message.starts_with("invalid type") {
        "write the value with the type shown in config/flightdeck.toml".into()
    } else {
        "see config/flightdeck.toml for the expected shape".into()
    }
}

fn known_keys_at(known: &serde_json::Value, parent: &str) -> Vec<String> {
    let mut cur = known;
    for part in parent.split('.').filter(|p| !p.is_empty()) {
        cur = match cur.get(part) {
            Some(v) => v,
            None => return Vec::new(),
        };
    }
    cur.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// A hint for an unknown key: the closest known one, or the list of known ones.
pub fn suggest(leaf: &str, known: Vec<String>) -> String {
    let best = known
        .iter()
        .map(|k| (strsim::levenshtein(leaf, k), k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= 3 => format!("did you mean `{k}`?"),
        _ if !known.is_empty() => format!("known keys here: {}", known.join(", ")),
        _ => "remove it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_key_gets_the_closest_known_one() {
        let known = vec!["service".to_string(), "release".to_string()];
        assert_eq!(suggest("servise", known.clone()), "did you mean `service`?");
        assert_eq!(
            suggest("zzzzzzzzzz", known),
            "known keys here: service, release"
        );
        assert_eq!(suggest("x", Vec::new()), "remove it");
    }
}
