//! A lenient serde model of the parts of SARIF 2.1.0 that Flightdeck reads.
//!
//! Why not `serde-sarif`: its generated types are strict about enumerations and
//! required fields, so one result with `"level": "Error"` or a missing
//! `message` made the whole file unreadable. Real scanner output has such
//! quirks, and losing a whole file of findings for one odd result is worse than
//! reading it with care. Here every field is optional, enumerations are kept as
//! strings and interpreted later (see `severity.rs`), and unknown fields are
//! ignored. A file that is not JSON, or whose structure has the wrong types,
//! still fails with the JSON path of the problem.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The whole log file.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct Log {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub runs: Option<Vec<Run>>,
}

/// One run of one tool.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Run {
    #[serde(default)]
    pub tool: Tool,
    #[serde(default)]
    pub results: Option<Vec<SarifResult>>,
    #[serde(default)]
    pub artifacts: Option<Vec<Artifact>>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Tool {
    #[serde(default)]
    pub driver: ToolComponent,
    #[serde(default)]
    pub extensions: Option<Vec<ToolComponent>>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ToolComponent {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub rules: Option<Vec<Rule>>,
}

/// A `reportingDescriptor` describing a rule.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rule {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub short_description: Option<Text>,
    #[serde(default)]
    pub full_description: Option<Text>,
    #[serde(default)]
    pub help: Option<Text>,
    #[serde(default)]
    pub help_uri: Option<String>,
    #[serde(default)]
    pub default_configuration: Option<Configuration>,
    #[serde(default)]
    pub message_strings: Option<BTreeMap<String, Text>>,
    #[serde(default)]
    pub properties: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Configuration {
    #[serde(default)]
    pub level: Option<String>,
}

/// `message`/`multiformatMessageString`.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct Text {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub markdown: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub arguments: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SarifResult {
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub rule_index: Option<i64>,
    #[serde(default)]
    pub rule: Option<RuleReference>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub message: Option<Text>,
    #[serde(default)]
    pub locations: Option<Vec<Location>>,
    #[serde(default)]
    pub fingerprints: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub partial_fingerprints: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub suppressions: Option<Vec<Suppression>>,
    #[serde(default)]
    pub baseline_state: Option<String>,
    #[serde(default)]
    pub properties: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleReference {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub index: Option<i64>,
    #[serde(default)]
    pub tool_component: Option<ToolComponentReference>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ToolComponentReference {
    #[serde(default)]
    pub index: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location {
    #[serde(default)]
    pub physical_location: Option<PhysicalLocation>,
    #[serde(default)]
    pub logical_locations: Option<Vec<LogicalLocation>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhysicalLocation {
    #[serde(default)]
    pub artifact_location: Option<ArtifactLocation>,
    #[serde(default)]
    pub region: Option<Region>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct ArtifactLocation {
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub index: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Region {
    #[serde(default)]
    pub start_line: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogicalLocation {
    #[serde(default)]
    pub fully_qualified_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Artifact {
    #[serde(default)]
    pub location: Option<ArtifactLocation>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Suppression {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub justification: Option<String>,
}
