//! Where load goes: URL parsing, the allow-list, and URL list files.
//!
//! Safety first: loopback is always allowed; any other host must be listed
//! in `load.allow_hosts`. The check is done on the text of the URL, before
//! any name resolution or connection.

use std::net::IpAddr;
use std::path::Path;

use http::Method;

use super::error::LoadError;

/// The scheme of an origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// A scheme, host and port: one connection target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// Scheme.
    pub scheme: Scheme,
    /// Host without brackets (`::1`, not `[::1]`).
    pub host: String,
    /// Port (defaulted from the scheme).
    pub port: u16,
    /// `host[:port]` as sent in the `Host` header.
    pub authority: String,
}

/// A parsed absolute URL.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedUrl {
    /// Where to connect.
    pub origin: Origin,
    /// Path and query, starting with `/`.
    pub path_and_query: String,
}

/// Parse an absolute `http://` or `https://` URL. `field` names where it came from.
pub fn parse_url(field: &str, url: &str) -> Result<ParsedUrl, LoadError> {
    let bad = |reason: &str| LoadError::BadUrl {
        field: field.to_string(),
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let uri: http::Uri = url
        .trim()
        .parse()
        .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
    let scheme = match uri.scheme_str() {
        Some("http") => Scheme::Http,
        Some("https") => Scheme::Https,
        Some(other) => return Err(bad(&format!("scheme \"{other}\" is not http or https"))),
        None => return Err(bad("it has no scheme")),
    };
    let authority = uri.authority().ok_or_else(|| bad("it has no host"))?;
    let raw_host = authority.host();
    if raw_host.is_empty() {
        return Err(bad("it has no host"));
    }
    if authority.as_str().contains('@') {
        return Err(bad("credentials in URLs are not supported; use a header"));
    }
    let host = raw_host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let port = authority.port_u16().unwrap_or(match scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    });
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let path_and_query = if path_and_query.is_empty() {
        "/".into()
    } else {
        path_and_query
    };
    Ok(ParsedUrl {
        origin: Origin {
            scheme,
            host,
            port,
            authority: authority.as_str().to_ascii_lowercase(),
        },
        path_and_query,
    })
}

/// Join a base URL and a path (`/users` under `http://h/api` is `http://h/api/users`).
/// A path that is already a full URL is returned as is.
pub fn join(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") || base.is_empty() {
        return path.to_string();
    }
    if path.is_empty() {
        return base.to_string();
    }
    let base = base.trim_end_matches('/');
    if path == "/" {
        return format!("{base}/");
    }
    format!("{base}/{}", path.trim_start_matches('/'))
}

/// True for 127.0.0.0/8, `::1`, `localhost` and `*.localhost` (the latter are
/// re-checked after resolution).
pub fn is_loopback_host(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let h = host.trim_end_matches('.').to_ascii_lowercase();
            h == "localhost" || h.ends_with(".localhost")
        }
    }
}

/// Whether `host` may receive load: loopback, or listed in `allow`
/// (exact, case-insensitive; `*.example.com` also matches `example.com`).
pub fn host_allowed(host: &str, allow: &[String]) -> bool {
    if is_loopback_host(host) {
        return true;
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allow.iter().any(|a| {
        let a = a
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        match a.strip_prefix("*.") {
            Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
            None => host == a,
        }
    })
}

/// Refuse `url`'s host unless allowed. `field` names where it came from.
pub fn check_allowed(field: &str, origin: &Origin, allow: &[String]) -> Result<(), LoadError> {
    if host_allowed(&origin.host, allow) {
        Ok(())
    } else {
        Err(LoadError::HostNotAllowed {
            field: field.to_string(),
            host: origin.host.clone(),
        })
    }
}

/// One line of a URL list file.
#[derive(Clone, Debug, PartialEq)]
pub struct UrlLine {
    /// 1-based line number.
    pub line: usize,
    /// Method (GET when the line has only a URL).
    pub method: Method,
    /// The URL.
    pub url: ParsedUrl,
}

/// Parse a URL list: one `URL` or `METHOD URL` per line; blank lines and
/// lines starting with `#` are skipped. Each host is checked against `allow`.
pub fn parse_url_lines(
    file: &Path,
    text: &str,
    allow: &[String],
) -> Result<Vec<UrlLine>, LoadError> {
    let err = |line: usize, message: String| LoadError::UrlFile {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (method, url) = match parts.as_slice() {
            [url] => (Method::GET, *url),
            [m, url] => {
                let valid = !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase());
                let method = Method::from_bytes(m.as_bytes()).ok().filter(|_| valid);
                match method {
                    Some(method) => (method, *url),
                    None => {
                        return Err(err(
                            n,
                            format!(
                                "\"{m}\" is not an HTTP method; write `METHOD URL` (e.g. `POST http://127.0.0.1:8080/x`) or just `URL`"
                            ),
                        ));
                    }
                }
            }
            _ => {
                return Err(err(
                    n,
                    format!(
                        "\"{line}\" has {} fields; write `METHOD URL` or `URL`",
                        parts.len()
                    ),
                ));
            }
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(err(
                n,
                format!("\"{url}\" is not an http:// or https:// URL; write a full URL per line"),
            ));
        }
        let field = format!("{}:{n}", file.display());
        let parsed = parse_url(&field, url).map_err(|e| err(n, e.to_string()))?;
        check_allowed(&field, &parsed.origin, allow)?;
        out.push(UrlLine {
            line: n,
            method,
            url: parsed,
        });
    }
    if out.is_empty() {
        return Err(err(
            0,
            "no URLs in the file; write one `URL` or `METHOD URL` per line".into(),
        ));
    }
    Ok(out)
}

/// Read and parse a URL list file.
pub fn read_url_file(file: &Path, allow: &[String]) -> Result<Vec<UrlLine>, LoadError> {
    let text = std::fs::read_to_string(file).map_err(|e| LoadError::UrlFile {
        file: file.to_path_buf(),
        line: 0,
        message: format!("cannot read it: {e}; check load.urls_file"),
    })?;
    parse_url_lines(file, &text, allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_always_allowed_others_need_listing() {
        assert!(host_allowed("127.0.0.1", &[]));
        assert!(host_allowed("127.8.9.1", &[]));
        assert!(host_allowed("::1", &[]));
        assert!(host_allowed("localhost", &[]));
        assert!(!host_allowed("example.com", &[]));
        assert!(!host_allowed("10.0.0.1", &[]));
        assert!(host_allowed("api.example.com", &["*.example.com".into()]));
        assert!(host_allowed("EXAMPLE.com", &["example.com".into()]));
        assert!(!host_allowed("evil-example.com", &["*.example.com".into()]));
    }

    #[test]
    fn parses_urls_and_ipv6() {
        let u = parse_url("t", "http://[::1]:8080/a?b=1").unwrap();
        assert_eq!(u.origin.host, "::1");
        assert_eq!(u.origin.port, 8080);
        assert_eq!(u.path_and_query, "/a?b=1");
        let u = parse_url("t", "http://127.0.0.1").unwrap();
        assert_eq!((u.origin.port, u.path_and_query.as_str()), (80, "/"));
        let e = parse_url("load.target", "ftp://x/")
            .unwrap_err()
            .to_string();
        assert!(e.contains("load.target") && e.contains("ftp"), "{e}");
        assert!(parse_url("t", "127.0.0.1:80/x").is_err());
    }

    #[test]
    fn joins_base_and_path() {
        assert_eq!(join("http://h:1/api/", "/users"), "http://h:1/api/users");
        assert_eq!(join("http://h:1", "http://o/x"), "http://o/x");
        assert_eq!(join("http://h:1", "/"), "http://h:1/");
        assert_eq!(join("http://h:1/d/2", ""), "http://h:1/d/2");
    }

    #[test]
    fn url_file_errors_name_the_line() {
        let f = Path::new("urls.txt");
        let ok = parse_url_lines(
            f,
            "# c\nhttp://127.0.0.1:1/a\n\nPOST http://127.0.0.1:1/b\n",
            &[],
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].method, Method::POST);
        assert_eq!(ok[1].line, 4);
        let e = parse_url_lines(f, "http://127.0.0.1/a\nGET\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("urls.txt:2:"), "{e}");
        let e = parse_url_lines(f, "get http://127.0.0.1/a\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("urls.txt:1:") && e.contains("not an HTTP method"),
            "{e}"
        );
        let e = parse_url_lines(f, "GET http://127.0.0.1/a extra\n", &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 fields"), "{e}");
        let e = parse_url_lines(f, "http://example.invalid/a\n", &[]).unwrap_err();
        assert!(matches!(e, LoadError::HostNotAllowed { .. }), "{e}");
    }
}
