//! Access-log line parsers: nginx/Apache combined, JSON lines, AWS ALB and
//! classic ELB, and CloudFront standard logs. Each turns one line into a
//! [`Record`] or says why it could not; a bad line is counted, never fatal.
//!
//! The hot formats (combined, ALB/ELB, CloudFront) are parsed by hand on
//! byte slices, without regex or allocation, so that a gigabyte of logs
//! streams in well under a minute.

use std::borrow::Cow;

/// The log formats `load learn` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// nginx / Apache combined (and common) log format.
    Combined,
    /// One JSON object per line; field names set with `--json-field`.
    Json,
    /// AWS Application Load Balancer or classic ELB access logs.
    Elb,
    /// AWS CloudFront standard (tab-separated, `#Fields:` header) logs.
    Cloudfront,
}

/// One request read from a log line.
#[derive(Clone, Debug, PartialEq)]
pub struct Record<'a> {
    /// Seconds since the Unix epoch (UTC), when the line has a time.
    pub ts: Option<i64>,
    /// HTTP method, upper case as logged.
    pub method: Cow<'a, str>,
    /// Path, without the query.
    pub path: Cow<'a, str>,
    /// Raw query string (without `?`), if any.
    pub query: Option<Cow<'a, str>>,
    /// Response status.
    pub status: u16,
}

/// Field names of a JSON-lines log. Each is a list of candidates, tried in
/// order, so common shapes work without configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonFields {
    /// Method field names.
    pub method: Vec<String>,
    /// Path (or full URI with query) field names.
    pub path: Vec<String>,
    /// Query string field names (optional; a `?` in the path also works).
    pub query: Vec<String>,
    /// Status field names.
    pub status: Vec<String>,
    /// Time field names (RFC 3339, `[10/Oct/2000:13:55:36 -0700]` or epoch seconds).
    pub time: Vec<String>,
    /// A whole request line (`GET /x HTTP/1.1`), used when method/path are absent.
    pub request: Vec<String>,
}

impl Default for JsonFields {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        JsonFields {
            method: v(&["method", "request_method", "http_method", "verb"]),
            path: v(&["path", "uri", "request_uri", "url", "request_path"]),
            query: v(&["query", "query_string", "args"]),
            status: v(&["status", "status_code", "response_code", "code"]),
            time: v(&[
                "time",
                "timestamp",
                "@timestamp",
                "time_local",
                "time_iso8601",
                "ts",
            ]),
            request: v(&["request"]),
        }
    }
}

impl JsonFields {
    /// Apply `--json-field role=name` overrides (`method`, `path`, `query`,
    /// `status`, `time`, `request`): the named field is tried first.
    pub fn with_overrides(mut self, overrides: &[String]) -> Result<JsonFields, String> {
        for o in overrides {
            let Some((role, name)) = o.split_once('=') else {
                return Err(format!(
                    "--json-field \"{o}\": write ROLE=FIELD, e.g. --json-field path=request_uri"
                ));
            };
            let list = match role.trim() {
                "method" => &mut self.method,
                "path" => &mut self.path,
                "query" => &mut self.query,
                "status" => &mut self.status,
                "time" => &mut self.time,
                "request" => &mut self.request,
                other => {
                    return Err(format!(
                        "--json-field \"{o}\": unknown role \"{other}\" (known: method, path, query, status, time, request)"
                    ));
                }
            };
            list.insert(0, name.trim().to_string());
        }
        Ok(self)
    }
}

/// Column positions of a CloudFront log, from its `#Fields:` header.
#[derive(Clone, Debug, PartialEq)]
pub struct CloudfrontColumns {
    date: usize,
    time: usize,
    method: usize,
    stem: usize,
    status: usize,
    query: Option<usize>,
}

impl Default for CloudfrontColumns {
    /// The published standard-log field order.
    fn default() -> Self {
        CloudfrontColumns {
            date: 0,
            time: 1,
            method: 5,
            stem: 7,
            status: 8,
            query: Some(11),
        }
    }
}

impl CloudfrontColumns {
    /// Columns from a `#Fields: date time ...` line; `None` if it lacks one
    /// of the fields the mix needs.
    pub fn from_header(line: &str) -> Option<CloudfrontColumns> {
        let fields: Vec<&str> = line
            .trim_start_matches("#Fields:")
            .split_whitespace()
            .collect();
        let at = |n: &str| fields.iter().position(|f| *f == n);
        Some(CloudfrontColumns {
            date: at("date")?,
            time: at("time")?,
            method: at("cs-method")?,
            stem: at("cs-uri-stem")?,
            status: at("sc-status")?,
            query: at("cs-uri-query"),
        })
    }
}

/// A parser for one format, holding what the format's header lines taught it.
#[derive(Clone, Debug)]
pub struct LineParser {
    format: LogFormat,
    json: JsonFields,
    cloudfront: CloudfrontColumns,
}

/// What a line turned out to be.
#[derive(Debug, PartialEq)]
pub enum Parsed<'a> {
    /// A request.
    Request(Record<'a>),
    /// A header, comment or blank line: neither a request nor an error.
    Skip,
    /// Not this format; the reason names what was missing.
    Bad(&'static str),
}

impl LineParser {
    /// A parser for `format`.
    pub fn new(format: LogFormat, json: JsonFields) -> LineParser {
        LineParser {
            format,
            json,
            cloudfront: CloudfrontColumns::default(),
        }
    }

    /// Parse one line (without its newline).
    pub fn parse<'a>(&mut self, line: &'a str) -> Parsed<'a> {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return Parsed::Skip;
        }
        let r = match self.format {
            LogFormat::Combined => combined(line),
            LogFormat::Json => json(line, &self.json),
            LogFormat::Elb => elb(line),
            LogFormat::Cloudfront => {
                if let Some(h) = line.strip_prefix('#') {
                    if h.starts_with("Fields:")
                        && let Some(c) = CloudfrontColumns::from_header(line)
                    {
                        self.cloudfront = c;
                    }
                    return Parsed::Skip;
                }
                cloudfront(line, &self.cloudfront)
            }
        };
        match r {
            Ok(rec) => Parsed::Request(rec),
            Err(why) => Parsed::Bad(why),
        }
    }
}

/// Split `/path?query` into its parts.
fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((p, q)) => (p, (!q.is_empty()).then_some(q)),
        None => (target, None),
    }
}

/// Strip `scheme://host[:port]` from an absolute-form request target.
fn origin_form(target: &str) -> &str {
    if let Some(i) = target.find("://") {
        let rest = &target[i + 3..];
        return match rest.find('/') {
            Some(j) => &rest[j..],
            None => "/",
        };
    }
    target
}

/// `GET /path?q HTTP/1.1` into method, path and query.
fn request_line(req: &str) -> Result<(&str, &str, Option<&str>), &'static str> {
    let mut parts = req.split(' ');
    let method = parts.next().unwrap_or("");
    let target = parts.next().ok_or("request line without a target")?;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err("request line without a method");
    }
    let target = origin_form(target);
    if !target.starts_with('/') && target != "*" {
        return Err("request target is not a path");
    }
    let (p, q) = split_target(target);
    Ok((method, p, q))
}

fn status_of(s: &str) -> Result<u16, &'static str> {
    match s.parse::<u16>() {
        Ok(n) if (100..600).contains(&n) => Ok(n),
        _ => Err("no HTTP status"),
    }
}

fn record<'a>(
    ts: Option<i64>,
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    status: u16,
) -> Record<'a> {
    Record {
        ts,
        method: Cow::Borrowed(method),
        path: Cow::Borrowed(path),
        query: query.map(Cow::Borrowed),
        status,
    }
}

/// `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326 "ref" "ua"`
fn combined(line: &str) -> Result<Record<'_>, &'static str> {
    let open = line.find(" [").ok_or("no [time]")?;
    let close = open + line[open..].find("] ").ok_or("no [time]")?;
    let ts = clf_time(&line[open + 2..close]).ok_or("bad [time]")?;
    let rest = &line[close + 2..];
    let rest = rest.strip_prefix('"').ok_or("no \"request\"")?;
    let end = rest.find("\" ").ok_or("no \"request\"")?;
    let (method, path, query) = request_line(&rest[..end])?;
    let after = &rest[end + 2..];
    let status = status_of(after.split(' ').next().unwrap_or(""))?;
    Ok(record(Some(ts), method, path, query, status))
}

/// `10/Oct/2000:13:55:36 -0700` to epoch seconds (UTC).
pub fn clf_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let day = num(0..2)?;
    let month = match s.get(3..6)? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year = num(7..11)?;
    let (h, m, sec) = (num(12..14)?, num(15..17)?, num(18..20)?);
    let mut offset = 0;
    if let Some(z) = s.get(21..26) {
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let hh = z.get(1..3)?.parse::<i64>().ok()?;
        let mm = z.get(3..5)?.parse::<i64>().ok()?;
        offset = sign * (hh * 3600 + mm * 60);
    }
    Some(epoch(year, month, day, h, m, sec) - offset)
}

/// `2018-07-02T22:23:00.186641Z` (or with an offset, or a space) to epoch seconds.
pub fn iso_time(s: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !matches!(s.as_bytes().get(10), Some(b'T' | b' ')) {
        return None;
    }
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let tail = s.get(19..).unwrap_or("");
    let tail = tail.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match tail.as_bytes().first() {
        Some(b'+' | b'-') => {
            let sign = if tail.starts_with('-') { -1 } else { 1 };
            let t = tail[1..].replace(':', "");
            let hh = t.get(0..2)?.parse::<i64>().ok()?;
            let mm = t.get(2..4).and_then(|x| x.parse::<i64>().ok()).unwrap_or(0);
            sign * (hh * 3600 + mm * 60)
        }
        _ => 0,
    };
    Some(epoch(y, mo, d, h, mi, se) - offset)
}

/// Seconds since the epoch of a UTC civil time (Howard Hinnant's algorithm).
fn epoch(y: i64, m: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + h * 3600 + mi * 60 + s
}

/// Space-separated fields, with `"quoted strings"` kept whole (quotes removed).
fn fields(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = line;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return None;
        }
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            let f = &r[..end];
            rest = r.get(end + 1..).unwrap_or("");
            Some(f)
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            let f = &rest[..end];
            rest = &rest[end..];
            Some(f)
        }
    })
}

/// ALB: `type time elb client:port target:port rpt tpt spt elb_status
/// target_status rx tx "request" "ua" ...`; classic ELB: the same without
/// `type`. The ELB's own status is used (what the client saw).
fn elb(line: &str) -> Result<Record<'_>, &'static str> {
    let mut f = fields(line);
    let first = f.next().ok_or("empty")?;
    let alb = matches!(first, "http" | "https" | "h2" | "grpcs" | "ws" | "wss");
    let time = if alb {
        f.next().ok_or("no time")?
    } else {
        first
    };
    let ts = iso_time(time).ok_or("no ISO 8601 time")?;
    let mut f = f.skip(6);
    let status = f.next().ok_or("no elb_status_code")?;
    let status = status_of(status)?;
    let request = f.nth(3).ok_or("no \"request\"")?;
    let (method, path, query) = request_line(request)?;
    Ok(record(Some(ts), method, path, query, status))
}

/// CloudFront standard log, tab-separated, columns from `#Fields:`.
fn cloudfront<'a>(line: &'a str, c: &CloudfrontColumns) -> Result<Record<'a>, &'static str> {
    let cols: Vec<&str> = line.split('\t').collect();
    let get = |i: usize| cols.get(i).copied().ok_or("too few columns");
    let date = get(c.date)?;
    let time = get(c.time)?;
    let ts = iso_time(&format!("{date}T{time}Z")).ok_or("bad date/time")?;
    let method = get(c.method)?;
    let path = get(c.stem)?;
    if !path.starts_with('/') || method.is_empty() {
        return Err("no method or cs-uri-stem");
    }
    let status = status_of(get(c.status)?)?;
    let query = c
        .query
        .and_then(|i| cols.get(i).copied())
        .filter(|q| !q.is_empty() && *q != "-");
    Ok(record(Some(ts), method, path, query, status))
}

/// One JSON object per line.
fn json<'a>(line: &'a str, f: &JsonFields) -> Result<Record<'a>, &'static str> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|_| "not a JSON object")?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let pick = |names: &[String]| names.iter().find_map(|n| obj.get(n)).cloned();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let status = pick(&f.status)
        .as_ref()
        .and_then(text)
        .ok_or("no status field")?;
    let status = status_of(&status)?;
    let ts = pick(&f.time).and_then(|t| match t {
        serde_json::Value::Number(n) => n.as_f64().map(|x| x as i64),
        serde_json::Value::String(s) => iso_time(&s)
            .or_else(|| clf_time(s.trim_matches(|c| c == '[' || c == ']')))
            .or_else(|| s.parse::<f64>().ok().map(|x| x as i64)),
        _ => None,
    });
    let (method, target) = match (
        pick(&f.method).as_ref().and_then(text),
        pick(&f.path).as_ref().and_then(text),
    ) {
        (Some(m), Some(p)) => (m, p),
        _ => {
            let req = pick(&f.request)
                .as_ref()
                .and_then(text)
                .ok_or("no method/path or request field")?;
            let (m, p, q) = request_line(&req)?;
            let target = match q {
                Some(q) => format!("{p}?{q}"),
                None => p.to_string(),
            };
            (m.to_string(), target)
        }
    };
    let target = origin_form(&target).to_string();
    if !target.starts_with('/') {
        return Err("path does not start with /");
    }
    let (p, q) = split_target(&target);
    let query = pick(&f.query)
        .as_ref()
        .and_then(text)
        .filter(|q| !q.is_empty() && q != "-")
        .or_else(|| q.map(str::to_string));
    Ok(Record {
        ts,
        method: Cow::Owned(method.to_ascii_uppercase()),
        path: Cow::Owned(p.to_string()),
        query: query.map(Cow::Owned),
        status,
    })
}

#[cfg(test)]
#[path = "formats_tests.rs"]
mod tests;
