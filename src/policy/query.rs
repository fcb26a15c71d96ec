//! One query over the policies, answered as `opa eval` answers it: the
//! face of `policy eval --query` and the reader behind `[[policy.gates]]`.
//!
//! `opa eval` prints `{"result": [{"expressions": [{"value": ..., "text":
//! ..., "location": ...}]}]}` for a defined query and `{}` for an undefined
//! one; regorus serialises its results in the same shape, so the JSON is
//! passed through as it comes.

use super::rego::{Loaded, engine_for, load_sources, one_line};

/// What a query gave.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryAnswer {
    /// The results in `opa eval`'s JSON shape (`{}` when undefined).
    pub json: serde_json::Value,
    /// The value of the query's first expression in each result; empty
    /// when the query is undefined.
    pub values: Vec<serde_json::Value>,
}

impl QueryAnswer {
    /// Whether the query is undefined (no result).
    pub fn undefined(&self) -> bool {
        self.values.is_empty()
    }
}

/// Evaluate `query` (e.g. `data.terraform.analysis.authz`) over policies
/// given as `(name, text)` and `input`. Every file must load, as `opa eval`
/// requires; an error names the file or the query.
pub fn eval_query(
    sources: &[(String, String)],
    input: &serde_json::Value,
    query: &str,
) -> Result<QueryAnswer, String> {
    let (loaded, broken) = load_sources(sources);
    if let Some(b) = broken.first() {
        return Err(format!("{}: {}", b.policy, b.messages.join("; ")));
    }
    eval_loaded(&loaded, input, query)
}

/// Evaluate `query` over files already parsed.
pub(super) fn eval_loaded(
    loaded: &[Loaded],
    input: &serde_json::Value,
    query: &str,
) -> Result<QueryAnswer, String> {
    let mut engine = engine_for(loaded, input)?;
    let results = engine
        .eval_query(query.to_string(), false)
        .map_err(|e| format!("query `{query}`: {}", one_line(&e.to_string())))?;
    let json = serde_json::to_value(&results)
        .map_err(|e| format!("query `{query}`: the result is not JSON ({e})"))?;
    let values = json
        .get("result")
        .and_then(serde_json::Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r.pointer("/expressions/0/value").cloned())
                .collect()
        })
        .unwrap_or_default();
    Ok(QueryAnswer { json, values })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src(text: &str) -> Vec<(String, String)> {
        vec![("p.rego".to_string(), text.to_string())]
    }

    #[test]
    fn a_defined_rule_answers_in_opa_eval_shape() {
        let a = eval_query(
            &src("package p\n\nallow if input.ok\n"),
            &json!({"ok": true}),
            "data.p.allow",
        )
        .expect("query");
        assert_eq!(a.values, vec![json!(true)]);
        assert_eq!(
            a.json["result"][0]["expressions"][0]["text"],
            json!("data.p.allow")
        );
        assert_eq!(a.json["result"][0]["expressions"][0]["value"], json!(true));
    }

    #[test]
    fn an_undefined_rule_is_an_empty_object() {
        let a = eval_query(
            &src("package p\n\nallow if input.ok\n"),
            &json!({"ok": false}),
            "data.p.allow",
        )
        .expect("query");
        assert!(a.undefined());
        assert_eq!(a.json, json!({}));
    }

    #[test]
    fn a_broken_file_or_query_is_an_error_naming_it() {
        let e = eval_query(&src("package p\nallow if {"), &json!({}), "data.p.allow")
            .expect_err("broken file");
        assert!(e.starts_with("p.rego:"), "{e}");
        let e = eval_query(&src("package p\n"), &json!({}), "data.p[").expect_err("broken query");
        assert!(e.starts_with("query `data.p[`"), "{e}");
    }
}
