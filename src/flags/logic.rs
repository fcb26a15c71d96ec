//! The JSONLogic subset flagd targeting uses, with flagd's custom operators
//! (`fractional`, `starts_with`, `ends_with`, `sem_ver`). Semantics follow
//! json-logic-js as flagd's Go evaluator does: loose `==`, JSONLogic truthiness
//! (`false`, `null`, `0`, `""`, `[]` are falsy), `and`/`or` return operands.

use serde_json::{Value, json};

use super::murmur::{bucket, murmur3_x86_32};

/// Why a rule could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicError(pub String);

type R = Result<Value, LogicError>;

fn err<T>(msg: impl Into<String>) -> Result<T, LogicError> {
    Err(LogicError(msg.into()))
}

/// Evaluate `rule` against `data` (the evaluation context, with `$flagd`).
pub fn eval(rule: &Value, data: &Value) -> R {
    match rule {
        Value::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|r| eval(r, data))
                .collect::<Result<_, _>>()?,
        )),
        Value::Object(map) if map.len() == 1 => {
            let (op, args) = map.iter().next().expect("one entry");
            apply(op, args, data)
        }
        Value::Object(map) if map.is_empty() => Ok(rule.clone()),
        Value::Object(map) => err(format!(
            "a JSONLogic rule has exactly one operator, found {}: {}",
            map.len(),
            map.keys().cloned().collect::<Vec<_>>().join(", ")
        )),
        _ => Ok(rule.clone()),
    }
}

/// JSONLogic truthiness.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

fn args_vec(args: &Value) -> Vec<Value> {
    match args {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn eval_args(args: &Value, data: &Value) -> Result<Vec<Value>, LogicError> {
    args_vec(args).iter().map(|a| eval(a, data)).collect()
}

fn apply(op: &str, args: &Value, data: &Value) -> R {
    match op {
        "var" => var(args, data),
        "if" | "?:" => {
            let a = args_vec(args);
            let mut i = 0;
            while i + 1 < a.len() {
                if truthy(&eval(&a[i], data)?) {
                    return eval(&a[i + 1], data);
                }
                i += 2;
            }
            if i < a.len() {
                eval(&a[i], data)
            } else {
                Ok(Value::Null)
            }
        }
        "and" => {
            let mut last = Value::Bool(true);
            for a in args_vec(args) {
                last = eval(&a, data)?;
                if !truthy(&last) {
                    return Ok(last);
                }
            }
            Ok(last)
        }
        "or" => {
            let mut last = Value::Bool(false);
            for a in args_vec(args) {
                last = eval(&a, data)?;
                if truthy(&last) {
                    return Ok(last);
                }
            }
            Ok(last)
        }
        "!" => {
            let a = eval_args(args, data)?;
            Ok(Value::Bool(!a.first().is_some_and(truthy)))
        }
        "!!" => {
            let a = eval_args(args, data)?;
            Ok(Value::Bool(a.first().is_some_and(truthy)))
        }
        "==" | "!=" | "===" | "!==" => {
            let a = eval_args(args, data)?;
            let (x, y) = (
                a.first().unwrap_or(&Value::Null),
                a.get(1).unwrap_or(&Value::Null),
            );
            let eq = if op.len() == 3 {
                x == y || num_eq(x, y)
            } else {
                loose_eq(x, y)
            };
            Ok(Value::Bool(if op.starts_with('!') { !eq } else { eq }))
        }
        "<" | ">" | "<=" | ">=" => compare(op, &eval_args(args, data)?),
        "in" => {
            let a = eval_args(args, data)?;
            let needle = a.first().unwrap_or(&Value::Null);
            Ok(Value::Bool(match a.get(1) {
                Some(Value::String(hay)) => hay.contains(&to_str(needle)),
                Some(Value::Array(hay)) => hay.iter().any(|h| loose_eq(h, needle)),
                _ => false,
            }))
        }
        "cat" => Ok(Value::String(
            eval_args(args, data)?.iter().map(to_str).collect(),
        )),
        "starts_with" | "ends_with" => {
            let a = eval_args(args, data)?;
            match (a.first(), a.get(1)) {
                (Some(Value::String(s)), Some(Value::String(p))) => {
                    Ok(Value::Bool(if op == "starts_with" {
                        s.starts_with(p.as_str())
                    } else {
                        s.ends_with(p.as_str())
                    }))
                }
                // flagd logs and yields null when an operand is not a string
                _ => Ok(Value::Null),
            }
        }
        "sem_ver" => sem_ver(&eval_args(args, data)?),
        "fractional" => fractional(&eval_args(args, data)?, data),
        other => err(format!("unsupported JSONLogic operator \"{other}\"")),
    }
}

fn var(args: &Value, data: &Value) -> R {
    let a = eval_args(args, data)?;
    let path = match a.first() {
        None | Some(Value::Null) => return Ok(data.clone()),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => return err(format!("var: path must be a string, got {other}")),
    };
    let default = a.get(1).cloned().unwrap_or(Value::Null);
    if path.is_empty() {
        return Ok(data.clone());
    }
    let mut cur = data;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => match m.get(part) {
                Some(v) => v,
                None => return Ok(default),
            },
            Value::Array(items) => match part.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => v,
                None => return Ok(default),
            },
            _ => return Ok(default),
        };
    }
    Ok(if cur.is_null() { default } else { cur.clone() })
}

fn to_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn to_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Null => Some(0.0),
        _ => None,
    }
}

fn num_eq(x: &Value, y: &Value) -> bool {
    matches!((x, y), (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64())
}

fn loose_eq(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(_) | Value::Bool(_), _) | (_, Value::Number(_) | Value::Bool(_)) => {
            matches!((to_num(x), to_num(y)), (Some(a), Some(b)) if a == b)
        }
        _ => x == y,
    }
}

fn compare(op: &str, a: &[Value]) -> R {
    let nums: Vec<Option<f64>> = a.iter().map(to_num).collect();
    let cmp = |x: f64, y: f64| match op {
        "<" => x < y,
        ">" => x > y,
        "<=" => x <= y,
        _ => x >= y,
    };
    let ok = match nums.as_slice() {
        [Some(x), Some(y)] => cmp(*x, *y),
        // between: {"<": [1, x, 3]}
        [Some(x), Some(y), Some(z)] => cmp(*x, *y) && cmp(*y, *z),
        _ => false,
    };
    Ok(Value::Bool(ok))
}

fn parse_semver(v: &Value) -> Option<semver::Version> {
    let s = to_str(v);
    let s = s.trim().trim_start_matches(['v', 'V']);
    // flagd accepts "1" and "1.2"; pad to a full version
    let dots = s
        .split(['-', '+'])
        .next()
        .unwrap_or("")
        .matches('.')
        .count();
    let padded = match dots {
        0 => format!("{s}.0.0"),
        1 => format!("{s}.0"),
        _ => s.to_string(),
    };
    semver::Version::parse(&padded).ok()
}

fn sem_ver(a: &[Value]) -> R {
    let (Some(v), Some(Value::String(op)), Some(t)) = (a.first(), a.get(1), a.get(2)) else {
        return Ok(Value::Null);
    };
    let (Some(v), Some(t)) = (parse_semver(v), parse_semver(t)) else {
        return Ok(Value::Null);
    };
    let ok = match op.as_str() {
        "=" => v == t,
        "!=" => v != t,
        "<" => v < t,
        "<=" => v <= t,
        ">" => v > t,
        ">=" => v >= t,
        "^" => v.major == t.major,
        "~" => v.major == t.major && v.minor == t.minor,
        _ => return Ok(Value::Null),
    };
    Ok(Value::Bool(ok))
}

/// One bucket of a `fractional`: variant and integer weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Variant returned for this bucket.
    pub variant: Value,
    /// Integer weight (flagd truncates and clamps negatives to 0).
    pub weight: u64,
}

/// Parse `fractional` arguments (already evaluated) as flagd does: an optional
/// leading bucketing string (or null), then `[variant, weight?]` entries.
pub fn parse_fractional(a: &[Value]) -> Result<(Option<String>, Vec<Bucket>), LogicError> {
    if a.is_empty() {
        return err("fractional: no arguments");
    }
    let (by, rest) = match &a[0] {
        Value::String(s) => (Some(s.clone()), &a[1..]),
        Value::Null => (None, &a[1..]),
        _ => (None, a),
    };
    let mut buckets = Vec::with_capacity(rest.len());
    for (i, entry) in rest.iter().enumerate() {
        let Value::Array(e) = entry else {
            return err(format!(
                "fractional: entry {i} is not an array [variant, weight]"
            ));
        };
        let variant = match e.first() {
            Some(v @ (Value::String(_) | Value::Bool(_) | Value::Number(_) | Value::Null)) => {
                v.clone()
            }
            _ => return err(format!("fractional: entry {i} needs a variant name first")),
        };
        let weight = match e.get(1) {
            None | Some(Value::Null) => 1.0,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
            Some(_) => return err(format!("fractional: entry {i} weight must be a number")),
        };
        if weight.fract() != 0.0 {
            return err(format!(
                "fractional: entry {i} weight {weight} is not a whole number"
            ));
        }
        buckets.push(Bucket {
            variant,
            weight: weight.max(0.0) as u64,
        });
    }
    let total: u64 = buckets.iter().map(|b| b.weight).sum();
    if total > i32::MAX as u64 {
        return err(format!(
            "fractional: weights sum to {total}, above {}",
            i32::MAX
        ));
    }
    Ok((by, buckets))
}

/// The variant flagd's `fractional` picks for `bucketing_value`.
pub fn distribute(bucketing_value: &str, buckets: &[Bucket]) -> Value {
    let total: u64 = buckets.iter().map(|b| b.weight).sum();
    if total == 0 {
        return json!("");
    }
    let b = bucket(murmur3_x86_32(bucketing_value.as_bytes(), 0), total);
    let mut end = 0;
    for bk in buckets {
        end += bk.weight;
        if b < end {
            return bk.variant.clone();
        }
    }
    json!("")
}

fn fractional(a: &[Value], data: &Value) -> R {
    let (by, buckets) = parse_fractional(a)?;
    let by = match by {
        Some(s) => s,
        None => {
            let flag_key = data
                .pointer("/$flagd/flagKey")
                .map(to_str)
                .unwrap_or_default();
            match data.get("targetingKey") {
                Some(Value::String(k)) => format!("{flag_key}{k}"),
                // flagd logs this and the rule yields null (default variant)
                _ => return Ok(Value::Null),
            }
        }
    };
    Ok(distribute(&by, &buckets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(rule: Value, data: Value) -> Value {
        eval(&rule, &data).unwrap()
    }

    #[test]
    fn operators_follow_jsonlogic() {
        let d = json!({"email": "ann@example.com", "tier": 3, "tags": ["beta"], "app": {"version": "2.14.0"}});
        assert_eq!(
            ev(json!({"==": [{"var": "tier"}, "3"]}), d.clone()),
            json!(true)
        );
        assert_eq!(
            ev(json!({"!=": [{"var": "tier"}, 3]}), d.clone()),
            json!(false)
        );
        assert_eq!(
            ev(json!({"in": ["beta", {"var": "tags"}]}), d.clone()),
            json!(true)
        );
        assert_eq!(
            ev(json!({"in": ["example", {"var": "email"}]}), d.clone()),
            json!(true)
        );
        assert_eq!(
            ev(
                json!({"ends_with": [{"var": "email"}, "@example.com"]}),
                d.clone()
            ),
            json!(true)
        );
        assert_eq!(
            ev(json!({"starts_with": [{"var": "email"}, "bob"]}), d.clone()),
            json!(false)
        );
        assert_eq!(
            ev(json!({"<": [1, {"var": "tier"}, 5]}), d.clone()),
            json!(true)
        );
        assert_eq!(
            ev(json!({">": [{"var": "tier"}, 5]}), d.clone()),
            json!(false)
        );
        assert_eq!(
            ev(json!({"and": [true, {"var": "tier"}]}), d.clone()),
            json!(3)
        );
        assert_eq!(
            ev(json!({"or": [0, "", {"var": "missing"}, "x"]}), d.clone()),
            json!("x")
        );
        assert_eq!(
            ev(json!({"!": [{"var": "missing"}]}), d.clone()),
            json!(true)
        );
        assert_eq!(
            ev(json!({"var": ["missing", "dflt"]}), d.clone()),
            json!("dflt")
        );
        assert_eq!(
            ev(json!({"var": "app.version"}), d.clone()),
            json!("2.14.0")
        );
        assert_eq!(
            ev(
                json!({"if": [false, "a", {"var": "tier"}, "b", "c"]}),
                d.clone()
            ),
            json!("b")
        );
        assert_eq!(ev(json!({"if": [false, "a", "c"]}), d.clone()), json!("c"));
        assert_eq!(
            ev(
                json!({"sem_ver": [{"var": "app.version"}, ">=", "2.13.9"]}),
                d.clone()
            ),
            json!(true)
        );
        assert_eq!(
            ev(json!({"sem_ver": ["v2.14.0", "^", "2.0.0"]}), d.clone()),
            json!(true)
        );
        assert_eq!(
            ev(json!({"sem_ver": ["2.14.0", "~", "2.13.0"]}), d.clone()),
            json!(false)
        );
        assert!(eval(&json!({"nope": [1]}), &d).is_err());
    }

    #[test]
    fn fractional_uses_flag_key_and_targeting_key() {
        // bucketing value "hello" hashes to 0x248bfa47 -> bucket 14 of 100:
        // in [0,25) of the first entry.
        let d = json!({"$flagd": {"flagKey": "hel"}, "targetingKey": "lo"});
        let rule = json!({"fractional": [["canary", 25], ["baseline", 75]]});
        assert_eq!(ev(rule, d.clone()), json!("canary"));
        // bucket 14 is not in [0,10)
        let rule = json!({"fractional": [["canary", 10], ["baseline", 90]]});
        assert_eq!(ev(rule, d.clone()), json!("baseline"));
        // explicit bucketing value; hash 0xd5c48bfc -> bucket 83 of 100
        let rule = json!({"fractional": ["The quick brown fox jumps over the lazy dog.", ["a", 83], ["b", 17]]});
        assert_eq!(ev(rule, d.clone()), json!("b"));
        let rule = json!({"fractional": ["The quick brown fox jumps over the lazy dog.", ["a", 84], ["b", 16]]});
        assert_eq!(ev(rule, d), json!("a"));
        // no targeting key: null, so the default variant is served
        let rule = json!({"fractional": [["a", 1], ["b", 1]]});
        assert_eq!(ev(rule, json!({})), Value::Null);
    }
}
