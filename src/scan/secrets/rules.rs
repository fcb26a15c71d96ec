//! Secret detection rules in gitleaks' TOML format.
//!
//! Supported: `[[rules]]` with `id`, `description`, `regex`, `secretGroup`,
//! `entropy`, `keywords`, `path`, `tags`, `[rules.allowlist]` or
//! `[[rules.allowlists]]` (`regexes`, `regexTarget`, `paths`, `stopwords`), and a
//! global `[allowlist]` or `[[allowlists]]`. Flightdeck extension: an optional
//! per-rule `severity` (default `high`). Other gitleaks keys (`extend`,
//! `commits`, `condition`...) are ignored.

use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use crate::scan::ScanError;
use crate::scan::Severity;

/// The rule set shipped in `config/secrets-rules.toml`.
pub const DEFAULT_RULES_TOML: &str = include_str!("../../../config/secrets-rules.toml");

#[derive(Debug, Deserialize)]
struct RawRules {
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Debug, Deserialize)]
struct RawRule {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default, rename = "secretGroup")]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
struct RawAllowlist {
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default, rename = "regexTarget")]
    regex_target: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
}

/// What an allowlist regex is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegexTarget {
    /// The secret (capture group) itself: gitleaks' default.
    Secret,
    /// The whole regex match.
    Match,
    /// The whole line of the match.
    Line,
}

/// A compiled allowlist.
#[derive(Debug, Default)]
pub struct Allowlist {
    /// Regexes that allow a match.
    pub regexes: Vec<Regex>,
    /// What they are matched against.
    pub regex_target: Option<RegexTarget>,
    /// Regexes over the file path that allow a whole file.
    pub paths: Vec<Regex>,
    /// Lower-case words that, inside a secret, mark it as a placeholder.
    pub stopwords: Vec<String>,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Rule id, e.g. `aws-access-token`.
    pub id: String,
    /// Human description.
    pub description: String,
    /// Content regex; `None` for a path-only rule.
    pub regex: Option<Regex>,
    /// Capture group holding the secret.
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    pub entropy: Option<f64>,
    /// Lower-case keywords; the file must contain one for the rule to run.
    pub keywords: Vec<String>,
    /// File path regex the rule is limited to.
    pub path: Option<Regex>,
    /// Severity of a match.
    pub severity: Severity,
    /// Rule allowlists.
    pub allowlists: Vec<Allowlist>,
}

/// A compiled rule set.
#[derive(Debug)]
pub struct SecretRules {
    /// Rules in file order.
    pub rules: Vec<Rule>,
    /// Global allowlists.
    pub allowlists: Vec<Allowlist>,
}

impl SecretRules {
    /// The shipped default rules.
    pub fn default_rules() -> Result<SecretRules, ScanError> {
        SecretRules::from_toml(
            DEFAULT_RULES_TOML,
            "built-in rules (config/secrets-rules.toml)",
        )
    }

    /// Load rules from a gitleaks-format TOML file.
    pub fn from_file(path: &Path) -> Result<SecretRules, ScanError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScanError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        SecretRules::from_toml(&text, &path.display().to_string())
    }

    /// Parse and compile rules; `origin` names the source in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<SecretRules, ScanError> {
        let err = |message: String| ScanError::Rules {
            file: origin.to_string(),
            message,
        };
        let raw: RawRules = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut rules = Vec::new();
        for r in raw.rules {
            let at = |key: &str| format!("rule {:?} `{key}`", r.id);
            if r.regex.is_none() && r.path.is_none() {
                return Err(err(format!(
                    "rule {:?} has neither `regex` nor `path`",
                    r.id
                )));
            }
            let severity = match r.severity.as_deref() {
                None => Severity::High,
                Some(w) => Severity::from_word(w).ok_or_else(|| {
                    err(format!(
                        "{}: unknown severity {w:?} (critical, high, medium, low, info)",
                        at("severity")
                    ))
                })?,
            };
            let regex = r
                .regex
                .as_deref()
                .map(|s| compile(s, &at("regex")))
                .transpose()
                .map_err(err)?;
            if let (Some(g), Some(re)) = (r.secret_group, &regex)
                && g >= re.captures_len()
            {
                return Err(err(format!(
                    "{}: group {g} does not exist (the regex has {} groups)",
                    at("secretGroup"),
                    re.captures_len() - 1
                )));
            }
            let mut allowlists = Vec::new();
            for a in r.allowlist.into_iter().chain(r.allowlists) {
                allowlists.push(compile_allowlist(a, &at("allowlist")).map_err(err)?);
            }
            rules.push(Rule {
                description: r.description.unwrap_or_else(|| r.id.clone()),
                path: r
                    .path
                    .as_deref()
                    .map(|s| compile(s, &at("path")))
                    .transpose()
                    .map_err(err)?,
                keywords: r.keywords.iter().map(|k| k.to_lowercase()).collect(),
                secret_group: r.secret_group,
                entropy: r.entropy,
                id: r.id,
                regex,
                severity,
                allowlists,
            });
        }
        let mut allowlists = Vec::new();
        for a in raw.allowlist.into_iter().chain(raw.allowlists) {
            allowlists.push(compile_allowlist(a, "[allowlist]").map_err(err)?);
        }
        Ok(SecretRules { rules, allowlists })
    }
}

fn compile(pattern: &str, at: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("{at}: invalid regex: {e}"))
}

fn compile_allowlist(a: RawAllowlist, at: &str) -> Result<Allowlist, String> {
    let regex_target = match a.regex_target.as_deref() {
        None | Some("secret") => None,
        Some("match") => Some(RegexTarget::Match),
        Some("line") => Some(RegexTarget::Line),
        Some(other) => {
            return Err(format!(
                "{at} `regexTarget`: {other:?} is not secret, match or line"
            ));
        }
    };
    Ok(Allowlist {
        regexes: a
            .regexes
            .iter()
            .map(|s| compile(s, &format!("{at} `regexes`")))
            .collect::<Result<_, _>>()?,
        regex_target,
        paths: a
            .paths
            .iter()
            .map(|s| compile(s, &format!("{at} `paths`")))
            .collect::<Result<_, _>>()?,
        stopwords: a.stopwords.iter().map(|w| w.to_lowercase()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_compile() {
        let rules = SecretRules::default_rules().unwrap();
        for id in [
            "aws-access-token",
            "generic-api-key",
            "private-key",
            "slack-token",
            "github-pat",
            "jwt",
        ] {
            assert!(rules.rules.iter().any(|r| r.id == id), "missing {id}");
        }
    }

    #[test]
    fn bad_rules_name_the_rule_and_key() {
        let e = SecretRules::from_toml("[[rules]]\nid = \"x\"\nregex = \"(unclosed\"\n", "r.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.toml") && e.contains("rule \"x\" `regex`"),
            "{e}"
        );
        let e = SecretRules::from_toml("[[rules]]\nid = \"y\"\n", "r.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("neither"), "{e}");
    }
}
