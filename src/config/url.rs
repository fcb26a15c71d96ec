//! URL checks shared by every section that names an HTTP endpoint.

use super::{Problem, as_if_filled};

/// Push a problem at `key` unless `url` is an absolute http(s) URL with a
/// host. Demo placeholders count as filled (see [`super::DEMO_PLACEHOLDERS`]).
pub fn check_url(url: &str, key: &str, out: &mut Vec<Problem>) {
    match reqwest::Url::parse(&as_if_filled(url)) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {}
        Ok(parsed) => out.push(Problem::at(
            key,
            format!("`{url}` has scheme `{}`", parsed.scheme()),
            "use an http:// or https:// URL",
        )),
        Err(e) => out.push(Problem::at(
            key,
            format!("`{url}` is not a URL ({e})"),
            "write a full URL such as http://127.0.0.1:8080/healthz",
        )),
    }
}
