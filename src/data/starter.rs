//! `classify --write-rules`: a starter rules file with a transformer for
//! every personal and quasi-identifier column, each commented with why, so
//! that a new user gets from nothing to an anonymised copy in two commands.

use std::fmt::Write;

use super::catalog::Catalog;
use super::classify::ColumnReport;
use crate::core::data::ColumnClass;

fn fake(kind: &str) -> String {
    format!("transformer = \"fake\"\nkind = \"{kind}\"")
}

/// The transformer proposed for a column, as TOML lines, or None to leave it.
fn propose(r: &ColumnReport, cat: &Catalog) -> Option<String> {
    let t = cat.table(&r.table)?;
    let c = t.column(&r.column)?;
    if c.generated {
        return None;
    }
    // A referencing column follows its parent's rule.
    if t.foreign_keys
        .iter()
        .any(|fk| fk.columns.contains(&r.column))
    {
        return None;
    }
    let name = r.column.to_lowercase();
    let by = |s: &str| name.contains(s);
    let text = c.category == 'S';
    let pick = match (r.class, r.detector) {
        (ColumnClass::Other, _) => return None,
        (_, Some("email")) => fake("email"),
        (_, Some("phone")) => fake("phone"),
        (_, Some("card")) if text => fake("card"),
        (_, Some("iban")) if text => fake("iban"),
        (_, Some("ip")) => fake("ip"),
        _ if c.is_date() && (by("birth") || by("dob")) => {
            "transformer = \"generalise\"\nto = \"year\"".into()
        }
        _ if text && by("mail") => fake("email"),
        _ if text && (by("phone") || by("mobile")) => fake("phone"),
        _ if text && by("first") => fake("first_name"),
        _ if text && (by("last") || by("surname")) => fake("last_name"),
        _ if text && by("name") => fake("name"),
        _ if text && (by("street") || by("address")) => fake("street"),
        _ if text && (by("city") || by("town")) => fake("city"),
        _ if text && (by("zip") || by("postal") || by("postcode")) => fake("postal_code"),
        _ if text && (by("note") || by("comment") || by("remark") || by("message")) => {
            if c.not_null {
                "transformer = \"template\"\ntemplate = \"redacted {hmac}\"".into()
            } else {
                "transformer = \"null\"".into()
            }
        }
        (ColumnClass::QuasiIdentifier, _) if c.is_numeric() => {
            "transformer = \"generalise\"\nbucket = 10".into()
        }
        (ColumnClass::QuasiIdentifier, _) => "transformer = \"keep\"".into(),
        _ if text || c.type_name == "uuid" => "transformer = \"hmac\"".into(),
        _ if c.is_date() => "transformer = \"shift_dates\"\nmax_days = 30".into(),
        _ if c.is_numeric() => "transformer = \"noise\"\nbound = 10".into(),
        _ if !c.not_null => "transformer = \"null\"".into(),
        _ => "transformer = \"keep\"  # TODO: no transformer fits this type; accept it instead"
            .into(),
    };
    Some(pick)
}

/// The starter file's text.
pub fn write(reports: &[ColumnReport], cat: &Catalog, source_label: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Starter rules from `flightdeck data classify` on {} ({source_label}).\n\
         # Review every rule, then: flightdeck data copy --source-env S --target-env T --rules THIS_FILE\n\
         # The key of hmac/fake/noise/shift_dates/template: a secret reference, never the value.\n\
         hmac_key = {{ env = \"FLIGHTDECK_DATA_KEY\" }}\n\
         # Smallest group the quasi-identifiers may form in the target.\n\
         min_k = 5",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    let quasi: Vec<String> = reports
        .iter()
        .filter(|r| r.class == ColumnClass::QuasiIdentifier)
        .map(|r| format!("\"{}.{}\"", r.table, r.column))
        .collect();
    let _ = writeln!(out, "quasi_identifiers = [{}]", quasi.join(", "));
    for r in reports {
        let Some(rule) = propose(r, cat) else {
            continue;
        };
        let _ = writeln!(
            out,
            "\n[[rules]]\n# {}: {}\ncolumn = \"{}.{}\"\n{rule}",
            r.class.as_str(),
            r.reasons.join("; "),
            r.table,
            r.column
        );
    }
    out
}
