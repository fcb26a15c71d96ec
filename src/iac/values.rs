//! Terraform values as flat attribute paths, with sensitive and unknown masks
//! applied, so that summaries can list changes without ever carrying the raw
//! value of a sensitive attribute.

use std::collections::BTreeMap;

pub use crate::core::iac::plan::{AttributeChange, SENSITIVE, UNKNOWN};
use serde_json::Value;

/// A flattened leaf: what may be shown, and a private key for comparison.
/// Its `Debug` output leaves the raw value out.
#[derive(Clone, PartialEq)]
pub struct Leaf {
    /// The rendered value, or [`SENSITIVE`] / [`UNKNOWN`].
    pub shown: String,
    /// Compact JSON of the raw value, for equality only; never displayed.
    raw: String,
    /// Whether the value is masked as sensitive.
    pub sensitive: bool,
    /// Whether the value is unknown until apply.
    pub unknown: bool,
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Leaf {
    /// Whether two leaves hold the same value (raw comparison, masks aside).
    pub fn same_value(&self, other: &Leaf) -> bool {
        !self.unknown && !other.unknown && self.raw == other.raw
    }
}

/// Join a parent path and an object key.
fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn truthy(mask: &Value) -> bool {
    matches!(mask, Value::Bool(true))
}

fn child<'a>(mask: &'a Value, key: &str) -> &'a Value {
    mask.get(key).unwrap_or(&Value::Null)
}

fn child_at(mask: &Value, i: usize) -> &Value {
    mask.get(i).unwrap_or(&Value::Null)
}

/// Flatten `value` into attribute paths. Where `sensitive` holds `true` the
/// whole subtree becomes one masked leaf; where `unknown` holds `true` the
/// leaf is marked unknown (even when `value` omits it).
pub fn flatten(value: &Value, sensitive: &Value, unknown: &Value) -> BTreeMap<String, Leaf> {
    let mut out = BTreeMap::new();
    walk(value, sensitive, unknown, String::new(), &mut out);
    out
}

fn walk(v: &Value, s: &Value, u: &Value, path: String, out: &mut BTreeMap<String, Leaf>) {
    let raw = || serde_json::to_string(v).unwrap_or_default();
    if truthy(u) {
        out.insert(
            path,
            Leaf {
                shown: UNKNOWN.into(),
                raw: String::new(),
                sensitive: truthy(s),
                unknown: true,
            },
        );
        return;
    }
    if truthy(s) {
        out.insert(
            path,
            Leaf {
                shown: SENSITIVE.into(),
                raw: raw(),
                sensitive: true,
                unknown: false,
            },
        );
        return;
    }
    match v {
        Value::Object(map) if !map.is_empty() || u.as_object().is_some_and(|m| !m.is_empty()) => {
            let mut keys: Vec<&String> = map.keys().collect();
            if let Some(um) = u.as_object() {
                keys.extend(um.keys().filter(|k| !map.contains_key(*k)));
            }
            for k in keys {
                let cv = map.get(k).unwrap_or(&Value::Null);
                walk(cv, child(s, k), child(u, k), key_path(&path, k), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, cv) in items.iter().enumerate() {
                walk(
                    cv,
                    child_at(s, i),
                    child_at(u, i),
                    format!("{path}[{i}]"),
                    out,
                );
            }
        }
        Value::Null if path.is_empty() => {}
        other => {
            out.insert(
                path,
                Leaf {
                    shown: render(other),
                    raw: raw(),
                    sensitive: false,
                    unknown: false,
                },
            );
        }
    }
}

/// Render a non-sensitive value compactly.
pub fn render(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "?".into())
}

/// Whether a sensitivity mask marks anything at all as sensitive.
pub fn mask_any(mask: &Value) -> bool {
    match mask {
        Value::Bool(b) => *b,
        Value::Object(m) => m.values().any(mask_any),
        Value::Array(a) => a.iter().any(mask_any),
        _ => false,
    }
}

/// Merge two sensitivity masks: a path is sensitive if either side says so.
pub fn merge_masks(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
        (Value::Object(x), Value::Object(y)) => {
            let mut m = x.clone();
            for (k, bv) in y {
                let merged = merge_masks(x.get(k).unwrap_or(&Value::Null), bv);
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (Value::Array(x), Value::Array(y)) => {
            let n = x.len().max(y.len());
            Value::Array(
                (0..n)
                    .map(|i| merge_masks(child_at(a, i), child_at(b, i)))
                    .collect(),
            )
        }
        (Value::Object(_) | Value::Array(_), _) => a.clone(),
        _ => b.clone(),
    }
}

/// The attributes that differ between two flattened sides.
pub fn diff(
    before: &BTreeMap<String, Leaf>,
    after: &BTreeMap<String, Leaf>,
) -> Vec<AttributeChange> {
    let mut paths: Vec<&String> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|p| {
            let (b, a) = (before.get(p), after.get(p));
            let same = match (b, a) {
                (Some(b), Some(a)) => b.same_value(a),
                (None, None) => true,
                _ => false,
            };
            (!same).then(|| AttributeChange {
                path: p.clone(),
                before: b.map(|l| l.shown.clone()),
                after: a.map(|l| l.shown.clone()),
            })
        })
        .collect()
}

/// Compare the `before` and `after` of a Terraform change object, masking
/// with the union of `before_sensitive` and `after_sensitive`.
pub fn change_diff(change: &Value) -> Vec<AttributeChange> {
    let null = Value::Null;
    let get = |k: &str| change.get(k).unwrap_or(&null);
    let mask = merge_masks(get("before_sensitive"), get("after_sensitive"));
    let before = flatten(get("before"), &mask, &null);
    let after = flatten(get("after"), &mask, get("after_unknown"));
    diff(&before, &after)
}

/// Render a Terraform path (`["network_interface", 0, "id"]`) as
/// `network_interface[0].id`.
pub fn render_path(steps: &Value) -> String {
    let mut out = String::new();
    for step in steps.as_array().map(Vec::as_slice).unwrap_or_default() {
        match step {
            Value::Number(n) => out.push_str(&format!("[{n}]")),
            Value::String(s) => out = key_path(&out, s),
            other => out = key_path(&out, &render(other)),
        }
    }
    out
}

/// Collect the keys of a JSON object into an ordered map of borrowed values.
pub fn object_entries(v: Option<&Value>) -> BTreeMap<&str, &Value> {
    v.and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_subtree_is_one_masked_leaf_and_unknowns_are_listed() {
        let v = json!({"a": 1, "db": {"password": "hunter2", "user": "app"}, "list": [1, 2]});
        let s = json!({"db": {"password": true}});
        let u = json!({"id": true});
        let flat = flatten(&v, &s, &u);
        assert_eq!(flat["db.password"].shown, SENSITIVE);
        assert_eq!(flat["db.user"].shown, "\"app\"");
        assert_eq!(flat["list[1]"].shown, "2");
        assert_eq!(flat["id"].shown, UNKNOWN);
        assert!(!format!("{flat:?}").contains("hunter2"));
    }

    #[test]
    fn change_diff_masks_both_sides_and_sees_hidden_changes() {
        let c = json!({
            "before": {"pw": "old-secret", "size": 1},
            "after": {"pw": "new-secret", "size": 2},
            "before_sensitive": {},
            "after_sensitive": {"pw": true},
            "after_unknown": {}
        });
        let d = change_diff(&c);
        assert_eq!(d.len(), 2);
        let text = serde_json::to_string(&d).unwrap();
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(d[0].before.as_deref(), Some(SENSITIVE));
    }

    #[test]
    fn paths_render_like_terraform_addresses() {
        assert_eq!(
            render_path(&json!(["network_interface", 0, "id"])),
            "network_interface[0].id"
        );
        assert_eq!(render_path(&json!(["ami"])), "ami");
    }
}
