//! Severity normalisation: one small adapter per known tool, then a generic chain.
//!
//! The first step that gives an answer wins:
//! 1. Tool adapters, because they carry the tool's own severity word:
//!    - gitleaks: every leak is `high` (gitleaks writes no level at all).
//!    - Bandit: result `properties.issue_severity` (`HIGH`/`MEDIUM`/`LOW`).
//!    - Trivy: a severity word among the rule `properties.tags` (`CRITICAL`, `HIGH`...).
//!    - Checkov and others: a `properties.severity` word on the result, then the rule.
//! 2. `properties.security-severity` (CodeQL style, also Trivy and Semgrep Pro), a
//!    CVSS score, on the result then the rule: >= 9 critical, >= 7 high, >= 4
//!    medium, > 0 low, 0 info.
//! 3. Result `level`, then rule `defaultConfiguration.level`, then the SARIF
//!    default `warning`: error -> high, warning -> medium, note -> low, none -> info.
//!
//! Every answer records where it came from in `severity_source`.

use serde_json::{Map, Value};

use crate::scan::Severity;

/// What the normaliser looks at for one result.
pub(crate) struct SeverityInput<'a> {
    pub tool: &'a str,
    pub result_level: Option<&'a str>,
    pub rule_level: Option<&'a str>,
    pub result_props: Option<&'a Map<String, Value>>,
    pub rule_props: Option<&'a Map<String, Value>>,
}

/// Normalise; returns the severity and a description of its source.
pub(crate) fn normalise(input: &SeverityInput<'_>) -> (Severity, String) {
    let tool = input.tool.to_ascii_lowercase();
    if tool.contains("gitleaks") {
        return (
            Severity::High,
            "gitleaks adapter: every leak is high".into(),
        );
    }
    if tool.contains("bandit")
        && let Some((sev, word)) = word_prop(input.result_props, "issue_severity")
    {
        return (sev, format!("result properties.issue_severity {word}"));
    }
    if tool.contains("trivy")
        && let Some((sev, word)) = severity_tag(input.rule_props)
    {
        return (sev, format!("rule properties.tags {word}"));
    }
    if let Some((sev, word)) = word_prop(input.result_props, "severity") {
        return (sev, format!("result properties.severity {word}"));
    }
    if let Some((sev, word)) = word_prop(input.rule_props, "severity") {
        return (sev, format!("rule properties.severity {word}"));
    }
    for (props, whose) in [(input.result_props, "result"), (input.rule_props, "rule")] {
        if let Some(score) = cvss_prop(props) {
            return (
                from_cvss(score),
                format!("{whose} properties.security-severity {score}"),
            );
        }
    }
    if let Some((sev, lvl)) = input.result_level.and_then(level) {
        return (sev, format!("result level {lvl}"));
    }
    if let Some((sev, lvl)) = input.rule_level.and_then(level) {
        return (sev, format!("rule defaultConfiguration.level {lvl}"));
    }
    (Severity::Medium, "SARIF default level warning".into())
}

/// CVSS score bands.
pub fn from_cvss(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else if score > 0.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

fn level(raw: &str) -> Option<(Severity, String)> {
    let lvl = raw.trim().to_ascii_lowercase();
    let sev = match lvl.as_str() {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        "note" => Severity::Low,
        "none" => Severity::Info,
        _ => return None,
    };
    Some((sev, lvl))
}

fn word_prop(props: Option<&Map<String, Value>>, key: &str) -> Option<(Severity, String)> {
    let word = props?.get(key)?.as_str()?;
    Severity::from_word(word).map(|s| (s, word.to_string()))
}

fn severity_tag(props: Option<&Map<String, Value>>) -> Option<(Severity, String)> {
    props?
        .get("tags")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter(|t| t.chars().all(|c| c.is_ascii_uppercase()))
        .find_map(|t| Severity::from_word(t).map(|s| (s, t.to_string())))
}

fn cvss_prop(props: Option<&Map<String, Value>>) -> Option<f64> {
    let v = props?.get("security-severity")?;
    let score = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (score.is_finite() && (0.0..=10.0).contains(&score)).then_some(score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn input<'a>(
        tool: &'a str,
        result_level: Option<&'a str>,
        rule_level: Option<&'a str>,
        result_props: Option<&'a Map<String, Value>>,
        rule_props: Option<&'a Map<String, Value>>,
    ) -> SeverityInput<'a> {
        SeverityInput {
            tool,
            result_level,
            rule_level,
            result_props,
            rule_props,
        }
    }

    #[test]
    fn level_chain_falls_back_to_sarif_default() {
        assert_eq!(
            normalise(&input("x", Some("Error"), Some("note"), None, None)),
            (Severity::High, "result level error".into())
        );
        assert_eq!(
            normalise(&input("x", Some("bogus"), Some("note"), None, None)),
            (Severity::Low, "rule defaultConfiguration.level note".into())
        );
        assert_eq!(
            normalise(&input("x", None, None, None, None)),
            (Severity::Medium, "SARIF default level warning".into())
        );
    }

    #[test]
    fn security_severity_beats_level_and_result_beats_rule() {
        let rule = props(json!({"security-severity": "7.5"}));
        let res = props(json!({"security-severity": 9.8}));
        assert_eq!(
            normalise(&input("CodeQL", Some("note"), None, None, Some(&rule))),
            (
                Severity::High,
                "rule properties.security-severity 7.5".into()
            )
        );
        assert_eq!(
            normalise(&input("CodeQL", None, None, Some(&res), Some(&rule))).0,
            Severity::Critical
        );
        let junk = props(json!({"security-severity": "n/a"}));
        assert_eq!(
            normalise(&input("CodeQL", Some("warning"), None, None, Some(&junk))).1,
            "result level warning"
        );
    }

    #[test]
    fn cvss_bands() {
        assert_eq!(from_cvss(9.0), Severity::Critical);
        assert_eq!(from_cvss(8.9), Severity::High);
        assert_eq!(from_cvss(4.0), Severity::Medium);
        assert_eq!(from_cvss(0.1), Severity::Low);
        assert_eq!(from_cvss(0.0), Severity::Info);
    }

    #[test]
    fn tool_adapters() {
        let bandit = props(json!({"issue_severity": "LOW", "issue_confidence": "HIGH"}));
        assert_eq!(
            normalise(&input("Bandit", Some("error"), None, Some(&bandit), None)),
            (Severity::Low, "result properties.issue_severity LOW".into())
        );
        let trivy = props(
            json!({"tags": ["vulnerability", "security", "CRITICAL"], "security-severity": "7.0"}),
        );
        assert_eq!(
            normalise(&input("Trivy", Some("error"), None, None, Some(&trivy))),
            (Severity::Critical, "rule properties.tags CRITICAL".into())
        );
        assert_eq!(
            normalise(&input("gitleaks", None, None, None, None)).0,
            Severity::High
        );
        let checkov = props(json!({"severity": "LOW"}));
        assert_eq!(
            normalise(&input("Checkov", Some("error"), None, None, Some(&checkov))).1,
            "rule properties.severity LOW"
        );
    }
}
