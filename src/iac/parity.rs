//! Production parity: how closely the pre-production plan (its
//! `planned_values`) or state matches a production state or plan. Resources
//! are matched by address after stripping environment-specific parts;
//! declared intended differences are reported but not held against the score.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::{IntendedDifference, ParityConfig};
use super::error::{IacError, check_format, read_json};
use super::pattern::matches;
use super::values::{Leaf, flatten, object_entries};
pub use crate::core::iac::parity::{ParityDifference, ParityReport};

/// Whether a snapshot came from a plan (absent attributes may be unknown) or a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotKind {
    /// `planned_values` of a plan: unknown values are absent.
    Plan,
    /// A state: every value is known.
    State,
}

/// One resource (or root output, as `output.NAME`) with flattened attributes.
#[derive(Clone, Debug)]
pub struct SnapshotResource {
    /// Address as written in the file.
    pub address: String,
    /// Resource type (`output` for outputs).
    pub resource_type: String,
    /// Flattened, masked attributes.
    pub attributes: BTreeMap<String, Leaf>,
}

/// The resources of one environment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Source file.
    pub file: String,
    /// Plan or state.
    pub kind: SnapshotKind,
    /// Managed resources and root outputs.
    pub resources: Vec<SnapshotResource>,
}

fn collect_module(m: &Value, out: &mut Vec<SnapshotResource>) {
    for r in m
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("mode").and_then(Value::as_str).unwrap_or("managed") != "managed" {
            continue;
        }
        let null = Value::Null;
        out.push(SnapshotResource {
            address: r
                .get("address")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string(),
            resource_type: r
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            attributes: flatten(
                r.get("values").unwrap_or(&null),
                r.get("sensitive_values").unwrap_or(&null),
                &null,
            ),
        });
    }
    for c in m
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_module(c, out);
    }
}

fn output_resource(name: &str, sensitive: bool, value: &Value) -> SnapshotResource {
    let mask = Value::Bool(sensitive);
    let attributes = match value {
        Value::Object(_) if !sensitive => flatten(value, &Value::Null, &Value::Null),
        _ => flatten(
            &serde_json::json!({ "value": value }),
            &serde_json::json!({ "value": mask }),
            &Value::Null,
        ),
    };
    SnapshotResource {
        address: format!("output.{name}"),
        resource_type: "output".into(),
        attributes,
    }
}

/// Turn a raw `.tfstate` path list (`[{"type":"get_attr","value":"pw"}]`) into a mask.
fn tfstate_mask(paths: Option<&Value>) -> Value {
    let mut mask = Value::Object(Default::default());
    for path in paths.and_then(Value::as_array).into_iter().flatten() {
        let steps: Vec<&Value> = path
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("value"))
            .collect();
        let mut slot = &mut mask;
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            let key = match step {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !slot.is_object() {
                break;
            }
            let entry = slot.as_object_mut().map(|m| {
                m.entry(key).or_insert_with(|| {
                    if last {
                        Value::Bool(true)
                    } else {
                        Value::Object(Default::default())
                    }
                })
            });
            match entry {
                Some(e) => slot = e,
                None => break,
            }
        }
    }
    mask
}

/// Read a snapshot from a parsed document: plan JSON, `show -json` state, or raw `.tfstate` (v4).
pub fn snapshot(file: &Path, doc: &Value) -> Result<Snapshot, IacError> {
    let mut resources = Vec::new();
    if doc.get("version").and_then(Value::as_u64) == Some(4) && doc.get("resources").is_some() {
        for r in doc["resources"].as_array().into_iter().flatten() {
            if r.get("mode").and_then(Value::as_str) != Some("managed") {
                continue;
            }
            let t = r.get("type").and_then(Value::as_str).unwrap_or("");
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            let module = r
                .get("module")
                .and_then(Value::as_str)
                .map(|m| format!("{m}."))
                .unwrap_or_default();
            for inst in r
                .get("instances")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let index = match inst.get("index_key") {
                    Some(Value::Number(n)) => format!("[{n}]"),
                    Some(Value::String(s)) => format!("[\"{s}\"]"),
                    _ => String::new(),
                };
                resources.push(SnapshotResource {
                    address: format!("{module}{t}.{name}{index}"),
                    resource_type: t.to_string(),
                    attributes: flatten(
                        inst.get("attributes").unwrap_or(&Value::Null),
                        &tfstate_mask(inst.get("sensitive_attributes")),
                        &Value::Null,
                    ),
                });
            }
        }
        for (name, o) in object_entries(doc.get("outputs")) {
            let sensitive = o.get("sensitive").and_then(Value::as_bool).unwrap_or(false);
            resources.push(output_resource(
                name,
                sensitive,
                o.get("value").unwrap_or(&Value::Null),
            ));
        }
        return Ok(Snapshot {
            file: file.display().to_string(),
            kind: SnapshotKind::State,
            resources,
        });
    }
    check_format(file, doc)?;
    let (values, kind) = if let Some(v) = doc.get("planned_values") {
        (v, SnapshotKind::Plan)
    } else if let Some(v) = doc.get("values") {
        (v, SnapshotKind::State)
    } else {
        // `terraform show -json` of an empty state prints only format_version.
        return Ok(Snapshot {
            file: file.display().to_string(),
            kind: SnapshotKind::State,
            resources,
        });
    };
    if let Some(root) = values.get("root_module") {
        collect_module(root, &mut resources);
    }
    for (name, o) in object_entries(values.get("outputs")) {
        let sensitive = o.get("sensitive").and_then(Value::as_bool).unwrap_or(false);
        match o.get("value") {
            Some(v) => resources.push(output_resource(name, sensitive, v)),
            // In a plan an output without a value is unknown until apply.
            None => resources.push(SnapshotResource {
                address: format!("output.{name}"),
                resource_type: "output".into(),
                attributes: BTreeMap::new(),
            }),
        }
    }
    Ok(Snapshot {
        file: file.display().to_string(),
        kind,
        resources,
    })
}

/// Read a snapshot file.
pub fn read(file: &Path) -> Result<Snapshot, IacError> {
    snapshot(file, &read_json(file)?)
}

/// How to match and what to forgive.
#[derive(Clone, Debug, Default)]
pub struct ParityOptions {
    /// Differences that are meant to be.
    pub intended: Vec<IntendedDifference>,
    /// Removed from addresses before matching.
    pub strip: Vec<Regex>,
    /// Drop instance keys from addresses.
    pub strip_index: bool,
    /// Attribute patterns never compared.
    pub ignore_attributes: Vec<String>,
}

impl ParityOptions {
    /// Build from config; a bad regex is a config error naming it.
    pub fn from_config(c: &ParityConfig) -> Result<ParityOptions, IacError> {
        let strip = c
            .strip
            .iter()
            .map(|s| {
                Regex::new(s).map_err(|e| IacError::Config(format!("parity.strip `{s}`: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(ParityOptions {
            intended: c.intended.clone(),
            strip,
            strip_index: c.strip_index,
            ignore_attributes: c.ignore_attributes.clone(),
        })
    }

    /// The address used for matching.
    pub fn normalize(&self, address: &str) -> String {
        let mut a = address.to_string();
        for r in &self.strip {
            a = r.replace_all(&a, "").into_owned();
        }
        if self.strip_index {
            let mut out = String::new();
            let mut depth = 0;
            for c in a.chars() {
                match c {
                    '[' => depth += 1,
                    ']' if depth > 0 => depth -= 1,
                    c if depth == 0 => out.push(c),
                    _ => {}
                }
            }
            a = out;
        }
        a
    }

    fn intended_for(&self, address: &str, attribute: &str) -> Option<&IntendedDifference> {
        self.intended
            .iter()
            .find(|d| matches(&d.address, address) && matches(&d.attribute, attribute))
    }
}

fn index(s: &Snapshot, opts: &ParityOptions) -> BTreeMap<String, SnapshotResource> {
    let mut out = BTreeMap::new();
    for r in &s.resources {
        let mut key = opts.normalize(&r.address);
        let mut n = 2;
        while out.contains_key(&key) {
            key = format!("{}#{n}", opts.normalize(&r.address));
            n += 1;
        }
        out.insert(key, r.clone());
    }
    out
}

/// Compare pre-production with production.
pub fn compare(preprod: &Snapshot, prod: &Snapshot, opts: &ParityOptions) -> ParityReport {
    let a = index(preprod, opts);
    let b = index(prod, opts);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let (mut comparable, mut matching, mut matched, mut not_compared) = (0, 0, 0, 0);
    let (mut only_a, mut only_b, mut differences) = (Vec::new(), Vec::new(), Vec::new());
    let ignored = |p: &str| opts.ignore_attributes.iter().any(|g| matches(g, p));
    for key in keys {
        match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) => {
                matched += 1;
                let mut paths: Vec<&String> =
                    x.attributes.keys().chain(y.attributes.keys()).collect();
                paths.sort();
                paths.dedup();
                for p in paths {
                    let (l, r) = (x.attributes.get(p), y.attributes.get(p));
                    let may_be_unknown =
                        |side: Option<&Leaf>, kind| side.is_none() && kind == SnapshotKind::Plan;
                    // Secrets are not compared: they should differ, and a
                    // difference could not be shown anyway.
                    if ignored(p)
                        || l.is_some_and(|l| l.unknown || l.sensitive)
                        || r.is_some_and(|r| r.unknown || r.sensitive)
                        || may_be_unknown(l, preprod.kind)
                        || may_be_unknown(r, prod.kind)
                    {
                        not_compared += 1;
                        continue;
                    }
                    let same = matches!((l, r), (Some(l), Some(r)) if l.same_value(r));
                    let decl = (!same).then(|| opts.intended_for(key, p)).flatten();
                    if decl.is_none() {
                        comparable += 1;
                    }
                    if same {
                        matching += 1;
                    } else {
                        differences.push(ParityDifference {
                            address: key.clone(),
                            attribute: p.clone(),
                            preprod: l.map(|l| l.shown.clone()),
                            prod: r.map(|r| r.shown.clone()),
                            intended: decl.is_some(),
                            reason: decl.and_then(|d| d.reason.clone()),
                        });
                    }
                }
            }
            (x, y) => {
                let r = x.or(y).expect("key comes from one side");
                let decl = opts.intended_for(key, "*");
                if decl.is_none() {
                    comparable += r.attributes.keys().filter(|p| !ignored(p)).count().max(1);
                    if x.is_some() {
                        only_a.push(key.clone())
                    } else {
                        only_b.push(key.clone())
                    }
                }
                let present = Some(format!("({})", r.resource_type));
                differences.push(ParityDifference {
                    address: key.clone(),
                    attribute: "*".into(),
                    preprod: x.and(present.clone()),
                    prod: y.and(present),
                    intended: decl.is_some(),
                    reason: decl.and_then(|d| d.reason.clone()),
                });
            }
        }
    }
    let score =
        (comparable > 0).then(|| (1000.0 * matching as f64 / comparable as f64).round() / 10.0);
    ParityReport {
        preprod_file: preprod.file.clone(),
        prod_file: prod.file.clone(),
        score,
        comparable,
        matching,
        resources_matched: matched,
        only_in_preprod: only_a,
        only_in_prod: only_b,
        not_compared,
        differences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(resources: Value) -> Value {
        json!({"format_version": "1.0", "values": {"root_module": {"resources": resources}}})
    }

    #[test]
    fn strip_prefixes_intended_and_score() {
        let pre = state(json!([
            {"address": "module.preprod.aws_instance.web", "mode": "managed", "type": "aws_instance",
             "values": {"instance_type": "t3.small", "ami": "ami-1", "monitoring": true, "id": "i-1"}}
        ]));
        let prod = state(json!([
            {"address": "module.prod.aws_instance.web", "mode": "managed", "type": "aws_instance",
             "values": {"instance_type": "m5.large", "ami": "ami-1", "monitoring": false, "id": "i-2"}}
        ]));
        let opts = ParityOptions {
            intended: vec![IntendedDifference {
                address: "aws_instance.*".into(),
                attribute: "instance_type".into(),
                reason: None,
            }],
            strip: vec![Regex::new(r"^module\.(preprod|prod)\.").unwrap()],
            strip_index: false,
            ignore_attributes: vec!["id".into()],
        };
        let r = compare(
            &snapshot(Path::new("a"), &pre).unwrap(),
            &snapshot(Path::new("b"), &prod).unwrap(),
            &opts,
        );
        assert_eq!((r.matching, r.comparable), (1, 2));
        assert_eq!(r.score, Some(50.0));
        assert_eq!(r.unintended().count(), 1);
        assert_eq!(r.unintended().next().unwrap().attribute, "monitoring");
    }

    #[test]
    fn missing_resources_count_with_their_attributes() {
        let pre = state(json!([]));
        let prod = state(json!([
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "values": {"bucket": "x", "acl": "private"}}
        ]));
        let r = compare(
            &snapshot(Path::new("a"), &pre).unwrap(),
            &snapshot(Path::new("b"), &prod).unwrap(),
            &ParityOptions::default(),
        );
        assert_eq!(r.only_in_prod, vec!["aws_s3_bucket.b"]);
        assert_eq!((r.matching, r.comparable, r.score), (0, 2, Some(0.0)));
    }

    #[test]
    fn raw_tfstate_with_sensitive_attributes_is_masked() {
        let doc = json!({"version": 4, "resources": [
            {"mode": "managed", "type": "aws_db_instance", "name": "main", "instances": [
                {"attributes": {"password": "s3cr3t-pw", "engine": "postgres"},
                 "sensitive_attributes": [[{"type": "get_attr", "value": "password"}]]}]}]});
        let s = snapshot(Path::new("t"), &doc).unwrap();
        assert_eq!(s.resources[0].address, "aws_db_instance.main");
        assert_eq!(
            s.resources[0].attributes["password"].shown,
            super::super::values::SENSITIVE
        );
    }
}
