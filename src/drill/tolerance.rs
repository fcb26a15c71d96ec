//! Tolerances: what a probe's observed value must be. Exact (`200`,
//! `"2.14.0"`, `true`), a range (`{ min = 0, max = 0.5 }`, either end
//! optional), a regex (`{ regex = "^2\\." }`) or a set (`[200, 503]`).
//! Unlike Chaos Toolkit, a two-element array is a set, never a range.

use regex::Regex;
use serde_json::Value;

/// A parsed tolerance.
#[derive(Clone, Debug)]
pub enum Tolerance {
    /// Equal to this value (numbers compare numerically, also against a
    /// numeric string).
    Exact(Value),
    /// A number within `min..=max` (either end may be open).
    Range {
        /// Lowest allowed, inclusive.
        min: Option<f64>,
        /// Highest allowed, inclusive.
        max: Option<f64>,
    },
    /// The value as text matches this regex.
    Regex(Regex),
    /// Equal to one of these.
    Set(Vec<Value>),
}

const SHAPES: &str = "write a value (200, \"ok\", true), a set [200, 503], a range { min = 0, max = 5 } or { regex = \"^2\" }";

impl Tolerance {
    /// Read a tolerance as written in a drill file.
    pub fn parse(v: &Value) -> Result<Tolerance, String> {
        match v {
            Value::Number(_) | Value::String(_) | Value::Bool(_) => Ok(Tolerance::Exact(v.clone())),
            Value::Array(items) => {
                if items.is_empty() {
                    return Err(format!("an empty set matches nothing; {SHAPES}"));
                }
                if let Some(bad) = items
                    .iter()
                    .find(|i| !matches!(i, Value::Number(_) | Value::String(_) | Value::Bool(_)))
                {
                    return Err(format!(
                        "a set holds numbers, strings or booleans, not {bad}; {SHAPES}"
                    ));
                }
                Ok(Tolerance::Set(items.clone()))
            }
            Value::Object(map) => {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                if keys == ["regex"] {
                    let Some(re) = map.get("regex").and_then(Value::as_str) else {
                        return Err("regex must be a string".into());
                    };
                    return Regex::new(re)
                        .map(Tolerance::Regex)
                        .map_err(|e| format!("regex `{re}` does not compile: {e}"));
                }
                if keys.is_empty() || keys.iter().any(|k| *k != "min" && *k != "max") {
                    return Err(format!(
                        "a table tolerance is {{ min, max }} or {{ regex }}, not {{ {} }}; {SHAPES}",
                        keys.join(", ")
                    ));
                }
                let num = |k: &str| -> Result<Option<f64>, String> {
                    match map.get(k) {
                        None => Ok(None),
                        Some(x) => x
                            .as_f64()
                            .map(Some)
                            .ok_or_else(|| format!("range {k} must be a number, not {x}")),
                    }
                };
                let (min, max) = (num("min")?, num("max")?);
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    return Err(format!("range min {a} is above max {b}; swap them"));
                }
                Ok(Tolerance::Range { min, max })
            }
            Value::Null => Err(format!("a tolerance cannot be empty; {SHAPES}")),
        }
    }

    /// Whether an observed value is within the tolerance.
    pub fn accepts(&self, observed: &Value) -> bool {
        match self {
            Tolerance::Exact(want) => same(want, observed),
            Tolerance::Set(items) => items.iter().any(|w| same(w, observed)),
            Tolerance::Range { min, max } => number(observed)
                .is_some_and(|x| min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m)),
            Tolerance::Regex(re) => re.is_match(&text(observed)),
        }
    }
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tolerance::Exact(v) => write!(f, "= {}", text(v)),
            Tolerance::Set(items) => {
                let list: Vec<String> = items.iter().map(text).collect();
                write!(f, "in {{{}}}", list.join(", "))
            }
            Tolerance::Range { min, max } => match (min, max) {
                (Some(a), Some(b)) => write!(f, "in {a}..{b}"),
                (Some(a), None) => write!(f, ">= {a}"),
                (None, Some(b)) => write!(f, "<= {b}"),
                (None, None) => write!(f, "any number"),
            },
            Tolerance::Regex(re) => write!(f, "~ /{}/", re.as_str()),
        }
    }
}

/// The value as a number, when it is one (or a numeric string).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// The value as text (strings without quotes).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "nothing".into(),
        other => other.to_string(),
    }
}

fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(_), _) | (_, Value::Number(_))
            if !matches!(want, Value::Bool(_)) && !matches!(got, Value::Bool(_)) =>
        {
            match (number(want), number(got)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            }
        }
        _ => want == got,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tol(v: Value) -> Tolerance {
        Tolerance::parse(&v).unwrap()
    }

    #[test]
    fn a_two_element_array_is_a_set_not_a_range() {
        let t = tol(json!([200, 503]));
        assert!(matches!(t, Tolerance::Set(_)));
        assert!(t.accepts(&json!(200)));
        assert!(t.accepts(&json!(503)));
        // A range 200..503 would take these; the set does not.
        assert!(!t.accepts(&json!(201)));
        assert!(!t.accepts(&json!(404)));
        assert_eq!(t.to_string(), "in {200, 503}");
    }

    #[test]
    fn exact_compares_numbers_numerically_and_text_exactly() {
        let t = tol(json!(200));
        assert!(t.accepts(&json!(200)));
        assert!(t.accepts(&json!(200.0)));
        assert!(t.accepts(&json!("200")));
        assert!(!t.accepts(&json!(201)));
        let t = tol(json!("2.14.0"));
        assert!(t.accepts(&json!("2.14.0")));
        assert!(!t.accepts(&json!("2.14.1")));
        let t = tol(json!(true));
        assert!(t.accepts(&json!(true)));
        assert!(!t.accepts(&json!(1)));
    }

    #[test]
    fn ranges_are_inclusive_and_may_be_open() {
        let t = tol(json!({ "min": 0, "max": 0.5 }));
        assert!(t.accepts(&json!(0)));
        assert!(t.accepts(&json!(0.5)));
        assert!(t.accepts(&json!("0.25")));
        assert!(!t.accepts(&json!(0.51)));
        assert!(!t.accepts(&json!("fast")));
        let t = tol(json!({ "max": 5 }));
        assert!(t.accepts(&json!(-3)));
        assert!(!t.accepts(&json!(6)));
        assert_eq!(t.to_string(), "<= 5");
    }

    #[test]
    fn regex_matches_the_value_as_text() {
        let t = tol(json!({ "regex": "^2\\.14\\." }));
        assert!(t.accepts(&json!("2.14.0")));
        assert!(!t.accepts(&json!("2.13.9")));
        let t = tol(json!({ "regex": "^5\\d\\d$" }));
        assert!(t.accepts(&json!(503)));
    }

    #[test]
    fn wrong_shapes_say_what_to_write() {
        for bad in [
            json!({}),
            json!({ "min": 1, "maximum": 2 }),
            json!({ "min": "low" }),
            json!({ "min": 5, "max": 1 }),
            json!([]),
            json!([[200, 299]]),
            json!({ "regex": "(" }),
            json!(null),
        ] {
            let e = Tolerance::parse(&bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(
            Tolerance::parse(&json!({ "lo": 1 }))
                .unwrap_err()
                .contains("{ min, max }")
        );
        assert!(
            Tolerance::parse(&json!({ "min": 5, "max": 1 }))
                .unwrap_err()
                .contains("swap")
        );
    }
}
