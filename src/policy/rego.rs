//! Loading `.rego` files and evaluating them with regorus.
//!
//! Each file is parsed as Rego v1 first and, failing that, as v0 (`deny[msg] { ... }`,
//! with or without `import future.keywords`). Files are grouped by package;
//! each package is evaluated in its own engine holding every loadable file (so
//! shared helper packages work), so one broken package cannot hide another.

use std::path::{Path, PathBuf};

use regorus::{Engine, Value};

use super::{PolicyError, PolicyOutcome, PolicyResult};

/// Builtins that regorus registers only as stubs; a policy calling them would
/// silently see `undefined`, so it is reported not evaluable instead.
const STUB_BUILTINS: &[&str] = &["http.send"];

/// Read every `.rego` file of `dir` (not recursive), sorted by name.
pub fn load_dir(dir: &Path) -> Result<Vec<(String, String)>, PolicyError> {
    let io = |path: &Path, source| PolicyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rego") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(PolicyError::NoPolicies {
            dir: dir.to_path_buf(),
        });
    }
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
            // Name policies by file name: the directory is the same for all.
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string());
            Ok((name, text))
        })
        .collect()
}

/// Evaluate every `.rego` file of `dir` over `input`.
pub fn evaluate_dir(
    dir: &Path,
    input: &serde_json::Value,
) -> Result<Vec<PolicyResult>, PolicyError> {
    Ok(evaluate_sources(&load_dir(dir)?, input))
}

/// A policy file that parsed, with its syntax and package.
pub(super) struct Loaded {
    pub(super) name: String,
    pub(super) text: String,
    pub(super) v0: bool,
    /// `data.terraform.analysis`.
    pub(super) package: String,
}

/// Parse every source; those that do not parse come back as not-evaluable
/// results.
pub(super) fn load_sources(sources: &[(String, String)]) -> (Vec<Loaded>, Vec<PolicyResult>) {
    let mut results = Vec::new();
    let mut loaded: Vec<Loaded> = Vec::new();
    for (name, text) in sources {
        match parse(name, text) {
            Ok((v0, package)) => loaded.push(Loaded {
                name: name.clone(),
                text: text.clone(),
                v0,
                package,
            }),
            Err(message) => results.push(PolicyResult {
                policy: name.clone(),
                rule: "*".into(),
                outcome: PolicyOutcome::NotEvaluable,
                messages: vec![message],
            }),
        }
    }
    (loaded, results)
}

/// One engine holding every loaded file, each in its own syntax, over `input`.
pub(super) fn engine_for(loaded: &[Loaded], input: &serde_json::Value) -> Result<Engine, String> {
    let mut engine = Engine::new();
    for l in loaded {
        engine.set_rego_v0(l.v0);
        engine
            .add_policy(l.name.clone(), l.text.clone())
            .map_err(|e| format!("{}: {}", l.name, one_line(&e.to_string())))?;
    }
    engine.set_input(regorus_value(input));
    Ok(engine)
}

/// The input document as regorus holds it.
pub(super) fn regorus_value(input: &serde_json::Value) -> Value {
    Value::from_json_str(&input.to_string()).unwrap_or_else(|_| Value::new_object())
}

/// Evaluate policies given as `(name, text)` over `input`.
pub fn evaluate_sources(
    sources: &[(String, String)],
    input: &serde_json::Value,
) -> Vec<PolicyResult> {
    evaluate_sources_gated(sources, input, &[])
}

/// Evaluate the `deny`/`warn` rules of policies given as `(name, text)`
/// over `input`. A package that declares neither is reported not evaluable
/// unless one of `gated` (the rule paths of `[[policy.gates]]`) lies in it:
/// then its gates speak for it.
pub fn evaluate_sources_gated(
    sources: &[(String, String)],
    input: &serde_json::Value,
    gated: &[&str],
) -> Vec<PolicyResult> {
    let (loaded, mut results) = load_sources(sources);
    let input_value = regorus_value(input);
    let mut packages: Vec<&str> = Vec::new();
    for l in &loaded {
        if !packages.contains(&l.package.as_str()) {
            packages.push(&l.package);
        }
    }
    for package in packages {
        let members: Vec<&Loaded> = loaded.iter().filter(|l| l.package == package).collect();
        let policy = format!(
            "{} ({package})",
            members
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let is_gated = gated
            .iter()
            .any(|r| r.strip_prefix(package).is_some_and(|t| t.starts_with('.')));
        results.extend(evaluate_package(
            &loaded,
            &members,
            package,
            &policy,
            &input_value,
            is_gated,
        ));
    }
    results
}

/// Parse one file, v1 then v0; returns (is_v0, package) or a message.
fn parse(name: &str, text: &str) -> Result<(bool, String), String> {
    if let Some(stub) = STUB_BUILTINS
        .iter()
        .find(|b| text.contains(&format!("{b}(")))
    {
        return Err(format!(
            "not evaluable: builtin `{stub}` is not supported in-process (no network from policies); \
             pass the data in the input document instead"
        ));
    }
    let try_mode = |v0: bool| {
        let mut engine = Engine::new();
        engine.set_rego_v0(v0);
        engine.add_policy(name.to_string(), text.to_string())
    };
    match try_mode(false) {
        Ok(pkg) => Ok((false, pkg)),
        Err(v1_err) => match try_mode(true) {
            Ok(pkg) => Ok((true, pkg)),
            Err(v0_err) => Err(format!(
                "not evaluable: parse error (as Rego v1): {}{}",
                one_line(&v1_err.to_string()),
                if v0_err.to_string() == v1_err.to_string() {
                    String::new()
                } else {
                    format!("; (as Rego v0): {}", one_line(&v0_err.to_string()))
                }
            )),
        },
    }
}

fn evaluate_package(
    all: &[Loaded],
    members: &[&Loaded],
    package: &str,
    policy: &str,
    input: &Value,
    gated: bool,
) -> Vec<PolicyResult> {
    let mut engine = Engine::new();
    for l in all {
        engine.set_rego_v0(l.v0);
        // Every file parsed alone above, so this only fails on a conflict.
        if let Err(e) = engine.add_policy(l.name.clone(), l.text.clone()) {
            return vec![not_evaluable(policy, "*", &e.to_string())];
        }
    }
    engine.set_input(input.clone());
    let mut out = Vec::new();
    for (rule, hit) in [("deny", PolicyOutcome::Deny), ("warn", PolicyOutcome::Warn)] {
        let declared = members.iter().any(|l| {
            engine
                .has_declared_rule_rooted_at(&l.name, rule)
                .unwrap_or(false)
        });
        if !declared {
            continue;
        }
        match engine.eval_rule(format!("{package}.{rule}")) {
            Ok(value) => {
                let messages = messages(&value);
                out.push(PolicyResult {
                    policy: policy.to_string(),
                    rule: rule.to_string(),
                    outcome: if messages.is_empty() {
                        PolicyOutcome::Pass
                    } else {
                        hit
                    },
                    messages,
                });
            }
            Err(e) => out.push(not_evaluable(policy, rule, &e.to_string())),
        }
    }
    if out.is_empty() && !gated {
        out.push(not_evaluable(
            policy,
            "*",
            "declares neither `deny` nor `warn`, and no [[policy.gates]] names one of its rules; \
             gate on a rule with allow = \"data.pkg.rule\" or score = { rule = \"data.pkg.rule\", max = N }",
        ));
    }
    out
}

fn not_evaluable(policy: &str, rule: &str, error: &str) -> PolicyResult {
    let message = match missing_builtin(error) {
        Some(b) => format!(
            "not evaluable: builtin `{b}` is not supported by the in-process evaluator (regorus)"
        ),
        None => format!("not evaluable: {}", one_line(error)),
    };
    PolicyResult {
        policy: policy.to_string(),
        rule: rule.to_string(),
        outcome: PolicyOutcome::NotEvaluable,
        messages: vec![message],
    }
}

fn missing_builtin(error: &str) -> Option<String> {
    let rest = &error[error.find("could not find function ")? + "could not find function ".len()..];
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_'))
        .collect();
    (!name.is_empty()).then_some(name)
}

pub(super) fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Deny/warn values: a set or array of strings or `{msg: ...}` objects, or a boolean.
fn messages(value: &Value) -> Vec<String> {
    let items: Vec<Value> = if let Ok(set) = value.as_set() {
        set.iter().cloned().collect()
    } else if let Ok(arr) = value.as_array() {
        arr.to_vec()
    } else if *value == Value::Bool(true) {
        return vec!["rule is true".into()];
    } else {
        return Vec::new();
    };
    items
        .iter()
        .map(|v| {
            if let Ok(s) = v.as_string() {
                return s.to_string();
            }
            let json = v.to_json_str().unwrap_or_default();
            match serde_json::from_str::<serde_json::Value>(&json) {
                Ok(j) => j
                    .get("msg")
                    .and_then(|m| m.as_str())
                    .map(String::from)
                    .unwrap_or_else(|| j.to_string()),
                Err(_) => json,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_builtin_name_is_extracted() {
        let e = "jwt.rego:4:22: error: could not find function io.jwt.decode\n  |  ...";
        assert_eq!(missing_builtin(e).as_deref(), Some("io.jwt.decode"));
        assert_eq!(missing_builtin("some other error"), None);
    }

    #[test]
    fn messages_from_sets_objects_and_booleans() {
        let v = Value::from_json_str(r#"["a", {"msg": "b"}, {"x": 1}]"#).unwrap();
        assert_eq!(messages(&v), vec!["a", "b", "{\"x\":1}"]);
        assert_eq!(messages(&Value::Bool(true)), vec!["rule is true"]);
        assert!(messages(&Value::Bool(false)).is_empty());
        assert!(messages(&Value::Undefined).is_empty());
    }
}
