//! SARIF 2.1.0 ingest: files in, normalised [`Finding`]s out.

use std::path::Path;

use super::ScanError;
use super::sarif_model as m;
use super::severity::{SeverityInput, normalise};
use crate::scan::{BaselineState, Finding, Location, Suppression, fingerprint_of};

/// Read and normalise one SARIF file. Errors name the file and the JSON path or line.
pub fn parse_sarif_file(path: &Path) -> Result<Vec<Finding>, ScanError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScanError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_sarif_str(&text, &path.display().to_string())
}

/// Read and normalise several SARIF files, stopping at the first bad one.
pub fn parse_sarif_files<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Finding>, ScanError> {
    let mut all = Vec::new();
    for p in paths {
        all.extend(parse_sarif_file(p.as_ref())?);
    }
    Ok(all)
}

/// Normalise SARIF text; `origin` names the source in errors.
pub fn parse_sarif_str(text: &str, origin: &str) -> Result<Vec<Finding>, ScanError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let log: m::Log = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let json_path = e.path().to_string();
        let inner = e.into_inner();
        ScanError::InvalidSarif {
            file: origin.to_string(),
            json_path,
            line: inner.line(),
            column: inner.column(),
            truncated: inner.is_eof(),
            message: without_position(&inner.to_string()),
        }
    })?;
    if let Some(v) = &log.version
        && !v.starts_with("2.1")
    {
        return Err(ScanError::NotSarif {
            file: origin.to_string(),
            reason: format!("unsupported SARIF version {v:?} (expected 2.1.0)"),
        });
    }
    let Some(runs) = log.runs else {
        return Err(ScanError::NotSarif {
            file: origin.to_string(),
            reason: "no `runs` array at the top level".into(),
        });
    };
    let mut findings = Vec::new();
    for run in &runs {
        let tool = run
            .tool
            .driver
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "unknown-tool".into());
        for result in run.results.iter().flatten() {
            if let Some(f) = normalise_result(run, &tool, result) {
                findings.push(f);
            }
        }
    }
    Ok(findings)
}

fn normalise_result(run: &m::Run, tool: &str, r: &m::SarifResult) -> Option<Finding> {
    let kind = r.kind.as_deref().unwrap_or("fail");
    if !kind.eq_ignore_ascii_case("fail") {
        return None;
    }
    let rule = find_rule(run, r);
    let rule_id = r
        .rule_id
        .clone()
        .or_else(|| r.rule.as_ref().and_then(|x| x.id.clone()))
        .or_else(|| rule.and_then(|x| x.id.clone()))
        .unwrap_or_else(|| "unknown-rule".into());
    let title = rule
        .and_then(|x| x.short_description.as_ref().and_then(|t| t.text.clone()))
        .or_else(|| rule.and_then(|x| x.name.clone()))
        .or_else(|| {
            rule.and_then(|x| x.full_description.as_ref().and_then(|t| t.text.as_deref()))
                .map(|t| first_chars(t, 120))
        })
        .unwrap_or_else(|| rule_id.clone());
    let message = message_text(r, rule).unwrap_or_else(|| title.clone());
    let (severity, severity_source) = normalise(&SeverityInput {
        tool,
        result_level: r.level.as_deref(),
        rule_level: rule
            .and_then(|x| x.default_configuration.as_ref())
            .and_then(|c| c.level.as_deref()),
        result_props: r.properties.as_ref(),
        rule_props: rule.and_then(|x| x.properties.as_ref()),
    });
    let location = location(run, r);
    let fingerprint = fingerprint(tool, &rule_id, &location, &message, r);
    let (suppression, suppression_justification) = suppression(r);
    let help = rule.and_then(|x| {
        x.help_uri.clone().or_else(|| {
            x.help
                .as_ref()
                .and_then(|h| h.text.as_ref())
                .map(|t| first_chars(t, 200))
        })
    });
    Some(Finding {
        tool: tool.to_string(),
        rule_id,
        title,
        message,
        severity,
        severity_source,
        location,
        fingerprint,
        baseline_state: r.baseline_state.as_deref().and_then(baseline_state),
        suppression,
        suppression_justification,
        known: false,
        acceptance: None,
        help,
    })
}

fn find_rule<'a>(run: &'a m::Run, r: &m::SarifResult) -> Option<&'a m::Rule> {
    let component = match r
        .rule
        .as_ref()
        .and_then(|x| x.tool_component.as_ref())
        .and_then(|t| t.index)
    {
        Some(i) => run
            .tool
            .extensions
            .as_ref()
            .and_then(|e| e.get(usize::try_from(i).ok()?))?,
        None => &run.tool.driver,
    };
    let rules = component.rules.as_deref().unwrap_or_default();
    let index = r
        .rule_index
        .or_else(|| r.rule.as_ref().and_then(|x| x.index))
        .and_then(|i| usize::try_from(i).ok());
    if let Some(rule) = index.and_then(|i| rules.get(i)) {
        return Some(rule);
    }
    let id = r
        .rule_id
        .as_deref()
        .or_else(|| r.rule.as_ref().and_then(|x| x.id.as_deref()))?;
    rules.iter().find(|x| x.id.as_deref() == Some(id))
}

fn message_text(r: &m::SarifResult, rule: Option<&m::Rule>) -> Option<String> {
    let msg = r.message.as_ref()?;
    let template = msg
        .text
        .clone()
        .or_else(|| msg.markdown.clone())
        .or_else(|| {
            let id = msg.id.as_deref()?;
            rule?.message_strings.as_ref()?.get(id)?.text.clone()
        })?;
    let mut text = template;
    for (i, arg) in msg.arguments.iter().flatten().enumerate() {
        text = text.replace(&format!("{{{i}}}"), arg);
    }
    Some(text)
}

fn location(run: &m::Run, r: &m::SarifResult) -> Location {
    let Some(loc) = r.locations.as_ref().and_then(|l| l.first()) else {
        return Location::default();
    };
    if let Some(phys) = &loc.physical_location {
        let art = phys.artifact_location.as_ref();
        let uri = art.and_then(|a| a.uri.clone()).or_else(|| {
            let i = usize::try_from(art?.index?).ok()?;
            run.artifacts
                .as_ref()?
                .get(i)?
                .location
                .as_ref()?
                .uri
                .clone()
        });
        if let Some(uri) = uri {
            let line = phys
                .region
                .as_ref()
                .and_then(|reg| reg.start_line)
                .and_then(|l| u32::try_from(l).ok())
                .filter(|l| *l > 0);
            let path = uri.strip_prefix("file://").unwrap_or(&uri).to_string();
            return Location { path, line };
        }
    }
    let logical = loc
        .logical_locations
        .as_ref()
        .and_then(|l| l.first())
        .and_then(|l| l.fully_qualified_name.clone().or_else(|| l.name.clone()));
    Location {
        path: logical.unwrap_or_default(),
        line: None,
    }
}

/// `fingerprints` (the tool's own stable identity) win. `partialFingerprints`
/// are only components: they are combined with the path, and with the line
/// unless a line hash is among them (gitleaks, for one, puts commit metadata
/// there, shared by every leak of a commit). Empty values are ignored.
/// Without either: a hash of tool, rule, location and message.
fn fingerprint(
    tool: &str,
    rule_id: &str,
    loc: &Location,
    message: &str,
    r: &m::SarifResult,
) -> String {
    let non_empty = |prints: &Option<std::collections::BTreeMap<String, String>>| {
        prints
            .iter()
            .flatten()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    let full = non_empty(&r.fingerprints);
    let partial = non_empty(&r.partial_fingerprints);
    let mut parts = vec![tool.to_string(), rule_id.to_string()];
    if !full.is_empty() {
        parts.extend(full);
    } else if !partial.is_empty() {
        let has_line_hash = partial
            .iter()
            .any(|p| p.to_ascii_lowercase().contains("linehash"));
        parts.push(loc.path.clone());
        if !has_line_hash {
            parts.push(loc.line.map(|l| l.to_string()).unwrap_or_default());
        }
        parts.extend(partial);
    } else {
        parts.push(loc.to_string());
        parts.push(message.to_string());
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    fingerprint_of(&refs)
}

fn suppression(r: &m::SarifResult) -> (Suppression, Option<String>) {
    let list = r.suppressions.as_deref().unwrap_or_default();
    if list.is_empty() {
        return (Suppression::None, None);
    }
    // One rejected or pending suppression keeps the result open; a suppression
    // without status counts as accepted (GitHub code scanning does the same).
    let status_of =
        |s: &m::Suppression| match s.status.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("rejected") => Suppression::Rejected,
            Some("underreview") | Some("under_review") => Suppression::UnderReview,
            _ => Suppression::Accepted,
        };
    let statuses: Vec<Suppression> = list.iter().map(status_of).collect();
    let status = [Suppression::Rejected, Suppression::UnderReview]
        .into_iter()
        .find(|s| statuses.contains(s))
        .unwrap_or(Suppression::Accepted);
    let justification = list
        .iter()
        .filter_map(|s| {
            let j = s.justification.as_deref()?;
            Some(match s.kind.as_deref() {
                Some(k) => format!("{j} ({k})"),
                None => j.to_string(),
            })
        })
        .collect::<Vec<_>>();
    (
        status,
        (!justification.is_empty()).then(|| justification.join("; ")),
    )
}

fn baseline_state(raw: &str) -> Option<BaselineState> {
    match raw.to_ascii_lowercase().as_str() {
        "new" => Some(BaselineState::New),
        "unchanged" => Some(BaselineState::Unchanged),
        "updated" => Some(BaselineState::Updated),
        "absent" => Some(BaselineState::Absent),
        _ => None,
    }
}

fn first_chars(s: &str, n: usize) -> String {
    let line = s.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    match line.char_indices().nth(n) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_string(),
    }
}

/// serde_json appends " at line L column C"; the error already says where.
pub(crate) fn without_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}
