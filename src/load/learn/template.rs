//! Endpoint templates and personal-looking values.
//!
//! A template is the path with its variable segments (numbers, UUIDs,
//! hashes, long opaque tokens, dates, e-mail addresses) replaced by `{id}`,
//! so `/users/42/orders/9f86d081884c7d65` and `/users/7/orders/ab12...`
//! count as one endpoint. Replayed values are masked: an e-mail address or
//! a long digit run (a phone or card number) never reaches the mix file.

/// The placeholder for a variable path segment.
pub const PLACEHOLDER: &str = "{id}";

/// The endpoint template of `path`.
pub fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if is_variable(seg) {
            out.push_str(PLACEHOLDER);
        } else {
            out.push_str(seg);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// True for a segment that names one thing rather than a kind of thing.
pub fn is_variable(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    let b = seg.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let hex = b.iter().all(|c| c.is_ascii_hexdigit());
    // 42, 2026-12-06, 1.5, 12:30
    if digits > 0
        && b.iter()
            .all(|c| c.is_ascii_digit() || b"-_.:,+".contains(c))
    {
        return true;
    }
    // 550e8400-e29b-41d4-a716-446655440000
    if is_uuid(b) {
        return true;
    }
    // sha1/sha256/md5 hex digests, Mongo ids (24 hex)
    if hex && b.len() >= 16 {
        return true;
    }
    // an e-mail address or a percent-encoded one
    if seg.contains('@') || seg.to_ascii_lowercase().contains("%40") {
        return true;
    }
    // opaque tokens: long, mixed letters and digits (base64url, ULIDs, nanoids)
    if b.len() >= 16
        && digits >= 2
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_=".contains(c))
    {
        return true;
    }
    // short ids with a letter prefix, at least half digits: u123456, INV-000123
    b.len() >= 5 && digits >= 3 && digits * 2 >= b.len()
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// File extensions of static assets, excluded from the mix by default.
pub const STATIC_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "pdf", "txt", "xml",
];

/// Which requests are static assets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaticFilter {
    /// Lower-case extensions without the dot.
    pub extensions: Vec<String>,
    /// Path prefixes, e.g. `/static/`.
    pub prefixes: Vec<String>,
}

impl StaticFilter {
    /// The default extensions plus `prefixes`.
    pub fn new(extra_ext: &[String], prefixes: &[String], defaults: bool) -> StaticFilter {
        let mut extensions: Vec<String> = if defaults {
            STATIC_EXTENSIONS.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
        extensions.extend(
            extra_ext
                .iter()
                .map(|e| e.trim_start_matches('.').to_ascii_lowercase()),
        );
        StaticFilter {
            extensions,
            prefixes: prefixes.to_vec(),
        }
    }

    /// True when `path` is a static asset.
    pub fn is_static(&self, path: &str) -> bool {
        if self.prefixes.iter().any(|p| path.starts_with(p.as_str())) {
            return true;
        }
        let last = path.rsplit('/').next().unwrap_or("");
        match last.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => {
                self.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext))
            }
            _ => false,
        }
    }
}

/// Query keys whose values are personal or secret whatever they look like.
const SENSITIVE_KEYS: &[&str] = &[
    "email",
    "mail",
    "phone",
    "tel",
    "mobile",
    "name",
    "first_name",
    "last_name",
    "firstname",
    "lastname",
    "user",
    "username",
    "login",
    "password",
    "passwd",
    "pass",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "session",
    "sessionid",
    "sid",
    "ssn",
    "card",
    "iban",
    "address",
    "dob",
    "birthdate",
    "auth",
    "code",
    "signature",
    "sig",
];

/// True for a value that looks personal: an e-mail address, or a run of
/// nine or more digits (phone, card, national id) once separators are gone.
pub fn looks_personal(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains('@') || lower.contains("%40") {
        return true;
    }
    let mut run = 0;
    for c in lower.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if run >= 9 {
                return true;
            }
        } else if !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '%') {
            run = 0;
        }
    }
    false
}

/// The replacement for a personal value: the same shape, no content, so
/// that a server expecting an e-mail or a number still gets one.
pub fn mask(value: &str) -> String {
    if value.contains('@') || value.to_ascii_lowercase().contains("%40") {
        return "user@example.com".to_string();
    }
    value
        .chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect()
}

/// A path with its personal-looking segments masked.
pub fn mask_path(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if looks_personal(s) {
                mask(s)
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A query string with sensitive keys' values and personal-looking values
/// masked (`email=a@b.c&page=2` becomes `email=masked&page=2`).
pub fn mask_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => {
                let key = k.to_ascii_lowercase();
                if SENSITIVE_KEYS.contains(&key.as_str()) {
                    format!("{k}=masked")
                } else if looks_personal(v) {
                    format!("{k}={}", mask(v))
                } else {
                    pair.to_string()
                }
            }
            None if looks_personal(pair) => mask(pair),
            None => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
