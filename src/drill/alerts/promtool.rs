//! Reading what `promtool check rules` and `promtool test rules` print into
//! findings that name the file, the rule group and the alert, and the
//! small reading of rule and test files that naming needs (which group an
//! alert lives in, which rule files a test file loads). The YAML is read
//! line by line for those keys only: promtool itself is the validator.

use crate::core::drill_ops::OpsFinding;

/// `(group, alert)` for every alerting rule in a rule file.
pub fn rule_groups(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut group = String::new();
    for line in text.lines() {
        let item = line.trim_start();
        // A group is a list item; a `name:` label inside a rule is not.
        if let Some(v) = item.strip_prefix("- name:") {
            group = unquote(v);
        } else if let Some(v) = item.trim_start_matches("- ").strip_prefix("alert:") {
            out.push((group.clone(), unquote(v)));
        }
    }
    out
}

/// The `rule_files` a promtool test file lists (relative to its folder).
pub fn test_rule_files(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("rule_files:") {
            inside = true;
            if let Some(list) = rest.trim().strip_prefix('[') {
                out.extend(
                    list.trim_end_matches(']')
                        .split(',')
                        .map(unquote)
                        .filter(|s| !s.is_empty()),
                );
                inside = false;
            }
            continue;
        }
        if inside {
            let t = line.trim();
            if let Some(v) = t.strip_prefix("- ") {
                out.push(unquote(v));
            } else if !t.is_empty() && !t.starts_with('#') {
                inside = false;
            }
        }
    }
    out
}

fn unquote(v: &str) -> String {
    let v = v.split(" #").next().unwrap_or(v).trim();
    v.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// Findings from a failed `promtool check rules FILE`: one per error line
/// (`FILE: 5:15: group "g1", rule 1, "Broken": could not parse ...`).
pub fn check_findings(file: &str, output: &str) -> Vec<OpsFinding> {
    let mut out = Vec::new();
    for line in output.lines().map(str::trim) {
        if line.is_empty()
            || line.starts_with("Checking ")
            || line == "FAILED:"
            || line.starts_with("SUCCESS")
        {
            continue;
        }
        let (group, subject, message) = match parse_group_rule(line) {
            Some((g, r, m)) => (Some(g), Some(r), m),
            None => (None, None, line.to_string()),
        };
        out.push(OpsFinding {
            tool: "promtool".into(),
            file: file.to_string(),
            group,
            subject,
            message,
            expected: None,
            got: None,
        });
    }
    out
}

/// `... group "G", rule N, "ALERT": MESSAGE` into its parts.
fn parse_group_rule(line: &str) -> Option<(String, String, String)> {
    let g0 = line.find("group \"")? + 7;
    let g1 = g0 + line[g0..].find('"')?;
    let rest = &line[g1 + 1..];
    let r0 = rest.find(", \"")? + 3;
    let r1 = r0 + rest[r0..].find("\":")?;
    Some((
        line[g0..g1].to_string(),
        rest[r0..r1].to_string(),
        rest[r1 + 2..].trim().to_string(),
    ))
}

/// Findings from a failed `promtool test rules FILE`: one per failed
/// expectation, naming the alert (and its group, from `groups`), the
/// evaluation time, and the expected and actual alerts as promtool printed
/// them. Any other error line becomes a finding of its own.
pub fn test_findings(file: &str, output: &str, groups: &[(String, String)]) -> Vec<OpsFinding> {
    let mut out: Vec<OpsFinding> = Vec::new();
    let mut current: Option<(OpsFinding, String)> = None;
    let flush = |cur: &mut Option<(OpsFinding, String)>, out: &mut Vec<OpsFinding>| {
        if let Some((mut f, body)) = cur.take() {
            let (exp, got) = split_exp_got(&body);
            f.expected = exp;
            f.got = got;
            out.push(f);
        }
    };
    for line in output.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("alertname: ") {
            flush(&mut current, &mut out);
            let alert = rest.split(',').next().unwrap_or(rest).trim().to_string();
            let time = field(rest, "time: ");
            let group = groups
                .iter()
                .find(|(_, a)| *a == alert)
                .map(|(g, _)| g.clone());
            current = Some((
                OpsFinding {
                    tool: "promtool".into(),
                    file: file.to_string(),
                    group,
                    subject: Some(alert.clone()),
                    message: format!(
                        "unit test failed: alert {alert} at {} is not as expected",
                        time.as_deref().unwrap_or("?")
                    ),
                    expected: None,
                    got: None,
                },
                String::new(),
            ));
        } else if let Some(rest) = t.strip_prefix("expr: ") {
            flush(&mut current, &mut out);
            let time = field(rest, "time: ");
            let expr = rest.rsplit_once(", time:").map(|(e, _)| e).unwrap_or(rest);
            current = Some((
                OpsFinding {
                    tool: "promtool".into(),
                    file: file.to_string(),
                    group: None,
                    subject: Some(expr.trim().trim_matches('"').to_string()),
                    message: format!(
                        "unit test failed: expression at {} is not as expected",
                        time.as_deref().unwrap_or("?")
                    ),
                    expected: None,
                    got: None,
                },
                String::new(),
            ));
        } else if let Some((_, body)) = current.as_mut() {
            if t != "FAILED:" {
                body.push_str(t);
                body.push('\n');
            }
        } else if !t.is_empty()
            && t != "FAILED:"
            && !t.starts_with("Unit Testing:")
            && !t.starts_with("SUCCESS")
        {
            out.push(OpsFinding {
                tool: "promtool".into(),
                file: file.to_string(),
                group: None,
                subject: None,
                message: t.to_string(),
                expected: None,
                got: None,
            });
        }
    }
    flush(&mut current, &mut out);
    out
}

fn field(text: &str, key: &str) -> Option<String> {
    let i = text.find(key)? + key.len();
    Some(text[i..].split(',').next().unwrap_or("").trim().to_string())
}

/// The `exp:` and `got:` parts of one failure, each on one line.
fn split_exp_got(body: &str) -> (Option<String>, Option<String>) {
    let flat: String = body.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let Some(e) = flat.find("exp:") else {
        return (None, None);
    };
    let after = &flat[e + 4..];
    let (exp, got) = match after.find("got:") {
        Some(g) => (&after[..g], Some(after[g + 4..].trim())),
        None => (after, None),
    };
    let clean = |s: &str| s.trim().trim_end_matches(',').trim().to_string();
    (Some(clean(exp)), got.map(clean))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What promtool 2.42 printed for a label that changed (verbatim).
    const FAILED_TEST: &str = "Unit Testing:  alert-rules.test.yml
  FAILED:
    alertname: CanaryHighErrorRate, time: 25s, 
        exp:[
            0:
              Labels:{alertname=\"CanaryHighErrorRate\", severity=\"page\", team=\"checkout\"}
              Annotations:{summary=\"canary error rate above 50%\"}
            ], 
        got:[
            0:
              Labels:{alertname=\"CanaryHighErrorRate\", severity=\"pager\", team=\"checkout\"}
              Annotations:{summary=\"canary error rate above 50%\"}
            ]
    alertname: DemoTargetDown, time: 20s, 
        exp:[
            0:
              Labels:{alertname=\"DemoTargetDown\"}
            ], 
        got:[]
";

    #[test]
    fn a_failed_unit_test_names_alert_group_and_both_sides() {
        let groups = vec![
            ("demo-canary".to_string(), "CanaryHighErrorRate".to_string()),
            ("demo-up".to_string(), "DemoTargetDown".to_string()),
        ];
        let f = test_findings("t.yml", FAILED_TEST, &groups);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].subject.as_deref(), Some("CanaryHighErrorRate"));
        assert_eq!(f[0].group.as_deref(), Some("demo-canary"));
        assert!(f[0].message.contains("at 25s"), "{}", f[0].message);
        let exp = f[0].expected.as_deref().unwrap_or("");
        let got = f[0].got.as_deref().unwrap_or("");
        assert!(exp.contains("severity=\"page\""), "{exp}");
        assert!(got.contains("severity=\"pager\""), "{got}");
        assert_eq!(f[1].group.as_deref(), Some("demo-up"));
        assert_eq!(f[1].got.as_deref(), Some("[]"));
    }

    #[test]
    fn a_check_error_names_group_and_rule() {
        let out = "Checking bad.yml\n  FAILED:\nbad.yml: 5:15: group \"g1\", rule 1, \"Broken\": could not parse expression: 1:18: parse error: unclosed left parenthesis\n";
        let f = check_findings("bad.yml", out);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].group.as_deref(), Some("g1"));
        assert_eq!(f[0].subject.as_deref(), Some("Broken"));
        assert!(f[0].message.starts_with("could not parse expression"));
        let other = check_findings(
            "x.yml",
            "Checking x.yml\n  FAILED:\nx.yml: yaml: line 3: mapping values are not allowed\n",
        );
        assert_eq!(other[0].subject, None);
        assert!(other[0].message.contains("mapping values"));
    }

    #[test]
    fn groups_and_rule_files_are_read() {
        let rules = "groups:\n  - name: a\n    rules:\n      - alert: One\n        expr: x\n      - record: r\n  - name: \"b\"\n    rules:\n      - alert: 'Two'\n";
        assert_eq!(
            rule_groups(rules),
            [
                ("a".to_string(), "One".to_string()),
                ("b".into(), "Two".into())
            ]
        );
        let test = "rule_files:\n  - rules.yml # main\n  - other.yml\nevaluation_interval: 1m\n";
        assert_eq!(test_rule_files(test), ["rules.yml", "other.yml"]);
        assert_eq!(
            test_rule_files("rule_files: [a.yml, 'b.yml']\n"),
            ["a.yml", "b.yml"]
        );
    }
}
