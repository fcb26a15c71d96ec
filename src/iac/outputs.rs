//! Root outputs as `terraform output -json` prints them, with sensitive
//! values masked at the source so they never reach the journal or the screen.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{IacError, parse_json};
use super::values::{SENSITIVE, render};

/// One root output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputValue {
    /// Whether Terraform marks it sensitive.
    pub sensitive: bool,
    /// Rendered value, or a mask when sensitive.
    pub shown: String,
    /// The value, only when not sensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// Read `terraform output -json` text.
pub fn parse_outputs(label: &Path, text: &str) -> Result<BTreeMap<String, OutputValue>, IacError> {
    let doc = parse_json(label, text)?;
    let map = doc.as_object().ok_or_else(|| IacError::Shape {
        file: label.to_path_buf(),
        reason: "expected a JSON object of outputs (`terraform output -json`)".into(),
    })?;
    Ok(map
        .iter()
        .map(|(k, o)| {
            let sensitive = o.get("sensitive").and_then(Value::as_bool).unwrap_or(false);
            let v = o.get("value").cloned().unwrap_or(Value::Null);
            let out = if sensitive {
                OutputValue {
                    sensitive,
                    shown: SENSITIVE.into(),
                    value: None,
                }
            } else {
                OutputValue {
                    sensitive,
                    shown: render(&v),
                    value: Some(v),
                }
            };
            (k.clone(), out)
        })
        .collect())
}
