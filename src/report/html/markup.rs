//! Writing HTML safely: every string that came from outside (a finding
//! title, a stage summary, an operator's comment) goes through [`esc`]
//! before it reaches the page, and the page is built only through these
//! helpers, which escape what they are given. Tags and attribute names are
//! ours, written as literals.

use std::fmt::Write;

use crate::core::verdict::Verdict;

/// Escape text for HTML content and for quoted attribute values: `& < > " '`
/// become entities, and control characters (other than tab and newline)
/// are dropped, so nothing from a scanner or a person can open a tag, close
/// an attribute or hide text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The CSS class of a verdict (colour), always shown with its text badge.
pub fn verdict_class(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Pass) => "pass",
        Some(Verdict::Warn) => "warn",
        Some(Verdict::Fail) => "fail",
        Some(Verdict::Inconclusive) => "inc",
        Some(Verdict::Skipped) | None => "skip",
    }
}

/// A verdict badge: text first, colour second.
pub fn verdict_badge(v: Option<Verdict>) -> String {
    badge(
        verdict_class(v),
        v.map(Verdict::badge).unwrap_or("UNFINISHED"),
    )
}

/// A badge with our own class and escaped text.
pub fn badge(class: &'static str, text: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", esc(text))
}

/// A table being written: headers, then rows of cells already made safe.
pub struct Table {
    out: String,
}

impl Table {
    /// A table with these (literal) column headers.
    pub fn new(headers: &[&str]) -> Table {
        let mut out = String::from("<div class=\"scroll\"><table><thead><tr>");
        for h in headers {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
        out.push_str("</tr></thead><tbody>");
        Table { out }
    }

    /// One row of cells, each already HTML (use [`esc`] or a badge).
    pub fn row(&mut self, cells: &[String]) {
        self.out.push_str("<tr>");
        for c in cells {
            let _ = write!(self.out, "<td>{c}</td>");
        }
        self.out.push_str("</tr>");
    }

    /// The finished table.
    pub fn finish(mut self) -> String {
        self.out.push_str("</tbody></table></div>");
        self.out
    }
}

/// A section with an id (ours), a heading and a body already made safe.
pub fn section(id: &'static str, heading: &str, body: &str) -> String {
    format!(
        "<section id=\"{id}\"><h2>{}</h2>{body}</section>\n",
        esc(heading)
    )
}

/// A paragraph of escaped text, with one of our classes.
pub fn para(class: &'static str, text: &str) -> String {
    if class.is_empty() {
        format!("<p>{}</p>", esc(text))
    } else {
        format!("<p class=\"{class}\">{}</p>", esc(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\"\u{1b}[31m"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;[31m"
        );
        assert_eq!(esc("a\tb\nc"), "a\tb\nc");
    }

    #[test]
    fn table_cells_are_what_the_caller_made_safe() {
        let mut t = Table::new(&["a<b"]);
        t.row(&[esc("<i>")]);
        let html = t.finish();
        assert!(html.contains("<th>a&lt;b</th>"), "{html}");
        assert!(html.contains("<td>&lt;i&gt;</td>"), "{html}");
    }
}
