//! Built-in secrets scan with gitleaks-format rules. Findings carry a redacted
//! match only: the secret itself never leaves this module.

mod rules;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use rules::{Allowlist, DEFAULT_RULES_TOML, RegexTarget, Rule, SecretRules};

use super::ScanError;
use crate::scan::{Finding, Location, Suppression, fingerprint_of};

/// Tool name on findings of the built-in secrets scan.
pub const TOOL: &str = crate::core::scan::SECRETS_TOOL;

/// Limits of a scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SecretsOptions {
    /// Files larger than this are skipped (and counted).
    pub max_file_bytes: u64,
}

impl Default for SecretsOptions {
    fn default() -> Self {
        SecretsOptions {
            max_file_bytes: 1024 * 1024,
        }
    }
}

/// Result of a secrets scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretsReport {
    /// One finding per match, redacted.
    pub findings: Vec<Finding>,
    /// Text files read.
    pub files_scanned: usize,
    /// Files skipped as binary.
    pub skipped_binary: Vec<String>,
    /// Files skipped as larger than the limit.
    pub skipped_large: Vec<String>,
    /// Files skipped by a global allowlist path.
    pub skipped_allowlisted: usize,
}

/// Scan files and directories (recursively, skipping `.git/` and symlinks).
pub fn scan_secrets(
    paths: &[PathBuf],
    rules: &SecretRules,
    opts: &SecretsOptions,
) -> Result<SecretsReport, ScanError> {
    let mut report = SecretsReport::default();
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    files.sort();
    for file in files {
        let shown = file.display().to_string();
        if rules
            .allowlists
            .iter()
            .any(|a| a.paths.iter().any(|re| re.is_match(&shown)))
        {
            report.skipped_allowlisted += 1;
            continue;
        }
        let io = |source| ScanError::Io {
            path: file.clone(),
            source,
        };
        let size = std::fs::metadata(&file).map_err(io)?.len();
        if size > opts.max_file_bytes {
            report.skipped_large.push(shown);
            continue;
        }
        let bytes = std::fs::read(&file).map_err(io)?;
        if bytes.iter().take(8000).any(|b| *b == 0) {
            report.skipped_binary.push(shown);
            continue;
        }
        report.files_scanned += 1;
        let text = String::from_utf8_lossy(&bytes);
        report.findings.extend(scan_text(&shown, &text, rules));
    }
    Ok(report)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScanError> {
    let io = |source| ScanError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::symlink_metadata(path).map_err(io)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
    } else if meta.is_dir() {
        if path.file_name().is_some_and(|n| n == ".git") {
            return Ok(());
        }
        for entry in std::fs::read_dir(path).map_err(io)? {
            let entry = entry.map_err(io)?;
            let child = entry.path();
            let ft = entry.file_type().map_err(io)?;
            if ft.is_dir() || ft.is_file() {
                collect(&child, out)?;
            }
        }
    }
    Ok(())
}

/// Scan one text; `path` is used for path rules, allowlists and locations.
pub fn scan_text(path: &str, text: &str, rules: &SecretRules) -> Vec<Finding> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    // Byte spans already reported, so that a generic rule later in the file
    // does not report the same secret again.
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for rule in &rules.rules {
        if rule.path.as_ref().is_some_and(|re| !re.is_match(path)) {
            continue;
        }
        if path_allowed(&rule.allowlists, path) {
            continue;
        }
        let Some(regex) = &rule.regex else {
            // A path-only rule: the file itself is the finding.
            out.push(finding(rule, path, None, "(whole file)", None));
            continue;
        };
        if !rule.keywords.is_empty() && !rule.keywords.iter().any(|k| lower.contains(k.as_str())) {
            continue;
        }
        for caps in regex.captures_iter(text) {
            let whole = caps.get(0).expect("group 0 always exists");
            let secret_match = match rule.secret_group {
                Some(g) => caps.get(g),
                None => caps
                    .iter()
                    .skip(1)
                    .flatten()
                    .find(|m| !m.as_str().is_empty())
                    .or(Some(whole)),
            };
            let Some(secret_match) = secret_match.filter(|m| !m.as_str().is_empty()) else {
                continue;
            };
            let secret = secret_match.as_str();
            let span = (secret_match.start(), secret_match.end());
            if seen.iter().any(|(s, e)| span.0 < *e && *s < span.1) {
                continue;
            }
            let entropy = shannon_entropy(secret);
            if rule.entropy.is_some_and(|min| entropy < min) {
                continue;
            }
            let line_start = text[..whole.start()].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[whole.start()..]
                .find('\n')
                .map_or(text.len(), |i| whole.start() + i);
            let line = &text[line_start..line_end];
            let allowed = rules
                .allowlists
                .iter()
                .chain(&rule.allowlists)
                .any(|a| allowed_by(a, secret, whole.as_str(), line));
            if allowed {
                continue;
            }
            seen.push(span);
            let line_no = text[..whole.start()].matches('\n').count() + 1;
            out.push(finding(
                rule,
                path,
                u32::try_from(line_no).ok(),
                &redact(secret),
                rule.entropy.map(|_| entropy),
            ));
        }
    }
    out
}

fn path_allowed(lists: &[Allowlist], path: &str) -> bool {
    lists
        .iter()
        .any(|a| a.paths.iter().any(|re| re.is_match(path)))
}

fn allowed_by(a: &Allowlist, secret: &str, whole: &str, line: &str) -> bool {
    let lower = secret.to_lowercase();
    if a.stopwords.iter().any(|w| lower.contains(w.as_str())) {
        return true;
    }
    let target = match a.regex_target {
        None | Some(RegexTarget::Secret) => secret,
        Some(RegexTarget::Match) => whole,
        Some(RegexTarget::Line) => line,
    };
    a.regexes.iter().any(|re| re.is_match(target))
}

fn finding(
    rule: &Rule,
    path: &str,
    line: Option<u32>,
    redacted: &str,
    entropy: Option<f64>,
) -> Finding {
    let entropy_note = entropy
        .map(|e| format!(", entropy {e:.2}"))
        .unwrap_or_default();
    let line_text = line.map(|l| l.to_string()).unwrap_or_default();
    Finding {
        tool: TOOL.to_string(),
        rule_id: rule.id.clone(),
        title: rule.description.clone(),
        message: format!("{}: {redacted}{entropy_note}", rule.description),
        severity: rule.severity,
        severity_source: format!("secrets rule {} severity", rule.id),
        location: Location {
            path: path.to_string(),
            line,
        },
        // Deliberately no secret material in the fingerprint.
        fingerprint: fingerprint_of(&[TOOL, &rule.id, path, &line_text]),
        baseline_state: None,
        suppression: Suppression::None,
        suppression_justification: None,
        known: false,
        acceptance: None,
        help: Some("rotate the credential, then remove it from the source and its history".into()),
    }
}

/// Keep the first 4 characters of a secret of 12 or more characters, hide the rest.
pub fn redact(secret: &str) -> String {
    if secret.chars().count() >= 12 {
        let head: String = secret.chars().take(4).collect();
        format!("{head}****")
    } else {
        "****".to_string()
    }
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_and_entropy() {
        assert_eq!(redact("AKIAFLIGHTDECK7FAKE2"), "AKIA****");
        assert_eq!(redact("short"), "****");
        assert!(shannon_entropy("aaaaaaaa") < 0.01);
        assert!(shannon_entropy("q8Zr3LmK9vX2pT7w") > 3.5);
    }

    #[test]
    fn keywords_entropy_and_stopwords_gate_matches() {
        let rules = SecretRules::from_toml(
            r#"
[[rules]]
id = "tok"
regex = '''token\s*=\s*"([A-Za-z0-9]{16,})"'''
entropy = 3.0
keywords = ["token"]
[rules.allowlist]
stopwords = ["placeholder"]
"#,
            "t",
        )
        .unwrap();
        let hit = scan_text("a.env", "x\ntoken = \"q8Zr3LmK9vX2pT7w\"\n", &rules);
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].location.to_string(), "a.env:2");
        assert!(!hit[0].message.contains("q8Zr3LmK9vX2pT7w"));
        assert!(
            scan_text("a.env", "token = \"aaaaaaaaaaaaaaaaaaaa\"", &rules).is_empty(),
            "low entropy"
        );
        assert!(
            scan_text("a.env", "token = \"PlaceHolderPlaceHolder1\"", &rules).is_empty(),
            "stopword"
        );
    }
}
