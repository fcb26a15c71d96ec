//! `junit.xml`: one test case per stage, for CI systems.

use std::fmt::Write;

use super::Report;
use crate::core::verdict::Verdict;

/// Escape text for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Render the report as JUnit XML: failures for failed stages, errors for
/// inconclusive or unfinished ones, skipped for skipped ones.
pub fn junit(r: &Report) -> String {
    let failures = r
        .stages
        .iter()
        .filter(|s| s.verdict == Some(Verdict::Fail))
        .count();
    let errors = r
        .stages
        .iter()
        .filter(|s| matches!(s.verdict, None | Some(Verdict::Inconclusive)))
        .count();
    let skipped = r
        .stages
        .iter()
        .filter(|s| s.verdict == Some(Verdict::Skipped))
        .count();
    let total: f64 = r.duration_s.unwrap_or(0.0);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"flightdeck\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{total:.3}\">",
        r.stages.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{} {} ({})\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{total:.3}\">",
        xml(&r.service),
        xml(&r.release),
        xml(&r.environment),
        r.stages.len()
    );
    for s in &r.stages {
        let _ = write!(
            out,
            "    <testcase classname=\"flightdeck.{}\" name=\"{}\" time=\"{:.3}\"",
            s.kind.as_str(),
            xml(&s.id),
            s.duration_s.unwrap_or(0.0)
        );
        let detail: String = s
            .evidence
            .iter()
            .map(|e| format!("{}: {} [{}]\n", e.label, e.value, e.verdict.badge()))
            .collect();
        let body = match s.verdict {
            Some(Verdict::Pass) => None,
            Some(Verdict::Warn) => Some(format!(
                "      <system-out>WARN: {}</system-out>",
                xml(&s.summary)
            )),
            Some(Verdict::Fail) => Some(format!(
                "      <failure message=\"{}\" type=\"fail\">{}</failure>",
                xml(&s.summary),
                xml(&detail)
            )),
            Some(Verdict::Inconclusive) => Some(format!(
                "      <error message=\"{}\" type=\"inconclusive\">{}</error>",
                xml(&s.summary),
                xml(&detail)
            )),
            Some(Verdict::Skipped) => {
                Some(format!("      <skipped message=\"{}\"/>", xml(&s.summary)))
            }
            None => Some(
                "      <error message=\"stage did not finish\" type=\"unfinished\"/>".to_string(),
            ),
        };
        match body {
            None => out.push_str("/>\n"),
            Some(b) => {
                let _ = write!(out, ">\n{b}\n    </testcase>\n");
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
