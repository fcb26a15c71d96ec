//! Prometheus as a metrics source for the judge: PromQL range queries
//! (`/api/v1/query_range`, one point per second) over a step's hold window.
//!
//! Each PromQL metric has a baseline and a canary query; each must return at
//! most one series (aggregate with `sum(...)` / `avg by (...)` otherwise). A
//! point Prometheus has no value for, or a NaN (e.g. `0/0` when a variant had
//! no request in the rate window), is a missing value (`None`), handled by the
//! metric's `missing` parameter like a load window without requests.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::config::{MetricConfig, MetricSource};
use super::judge::Samples;

/// Time-out of one query.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A small client for one Prometheus server.
#[derive(Clone, Debug)]
pub struct PromClient {
    base: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct ApiResponse {
    status: String,
    #[serde(default)]
    data: Option<ApiData>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ApiData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// Seconds since the Unix epoch.
fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The whole seconds of the window `[start, end]`: first and last point.
fn grid(start: SystemTime, end: SystemTime) -> (i64, i64) {
    (unix(start).ceil() as i64, unix(end).floor() as i64)
}

fn labels(m: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = m.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Parse a `query_range` answer into one value per second of `[first, last]`.
fn parse_matrix(
    body: &str,
    first: i64,
    last: i64,
    url: &str,
    query: &str,
) -> Result<Vec<Option<f64>>, String> {
    let r: ApiResponse = serde_json::from_str(body).map_err(|e| {
        let head: String = body.chars().take(200).collect();
        format!("Prometheus at {url}: query `{query}`: not a Prometheus API answer ({e}): {head}")
    })?;
    if r.status != "success" {
        return Err(format!(
            "Prometheus at {url}: query `{query}` failed: {}{}",
            r.error_type.map(|t| format!("{t}: ")).unwrap_or_default(),
            r.error.unwrap_or_else(|| format!("status {}", r.status))
        ));
    }
    let data = r
        .data
        .ok_or_else(|| format!("Prometheus at {url}: query `{query}`: answer without data"))?;
    if data.result_type != "matrix" {
        return Err(format!(
            "Prometheus at {url}: query `{query}` gave a {} result, a range query needs a matrix",
            data.result_type
        ));
    }
    if data.result.len() > 1 {
        let shown: Vec<String> = data
            .result
            .iter()
            .take(3)
            .map(|s| labels(&s.metric))
            .collect();
        return Err(format!(
            "Prometheus at {url}: query `{query}` returned {} series ({}{}); the judge needs one \
             per variant: aggregate it, e.g. sum(...) or avg by (...)",
            data.result.len(),
            shown.join(", "),
            if data.result.len() > 3 { ", ..." } else { "" }
        ));
    }
    let n = (last - first + 1).max(0) as usize;
    let mut out = vec![None; n];
    if let Some(series) = data.result.first() {
        for (ts, v) in &series.values {
            let i = (ts - first as f64).round();
            if i < 0.0 || i >= n as f64 {
                continue;
            }
            out[i as usize] = v.parse::<f64>().ok().filter(|x| x.is_finite());
        }
    }
    Ok(out)
}

impl PromClient {
    /// A client for the server at `url` (e.g. `http://127.0.0.1:9090`). No
    /// proxy: the server is usually local or in the cluster.
    pub fn new(url: &str) -> Result<PromClient, String> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!("Prometheus URL \"{url}\" is not an http(s) URL"));
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(QUERY_TIMEOUT)
            .build()
            .map_err(|e| format!("Prometheus at {base}: cannot build HTTP client: {e}"))?;
        Ok(PromClient { base, http })
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Run `query` over `[start, end]` at a 1 s step: one value per whole
    /// second of the window, `None` where Prometheus has none (or NaN).
    pub async fn query_range(
        &self,
        query: &str,
        start: SystemTime,
        end: SystemTime,
    ) -> Result<Vec<Option<f64>>, String> {
        let (first, last) = grid(start, end);
        if last < first {
            return Ok(Vec::new());
        }
        let url = format!("{}/api/v1/query_range", self.base);
        let resp = self
            .http
            .get(&url)
            .query(&[
                ("query", query.to_string()),
                ("start", first.to_string()),
                ("end", last.to_string()),
                ("step", "1s".to_string()),
            ])
            .send()
            .await
            .map_err(|e| format!("Prometheus at {url}: query `{query}`: {e}"))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| format!("Prometheus at {url}: query `{query}`: reading answer: {e}"))?;
        match parse_matrix(&body, first, last, &url, query) {
            Err(e) if !status.is_success() => Err(format!("{e} (HTTP {status})")),
            r => r,
        }
    }
}

/// The PromQL metrics' samples of one window, and the metrics whose queries
/// failed (name -> reason); a failed metric has no samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PromqlSamples {
    /// Baseline samples per metric name.
    pub baseline: Samples,
    /// Canary samples per metric name.
    pub canary: Samples,
    /// Metric name -> why its samples could not be fetched.
    pub errors: BTreeMap<String, String>,
}

/// Whether any metric comes from Prometheus.
pub fn has_promql(metrics: &[MetricConfig]) -> bool {
    metrics
        .iter()
        .any(|m| matches!(m.source, MetricSource::Promql { .. }))
}

/// Fetch every PromQL metric of `metrics` over `[start, end]`, metric by
/// metric: a failing query (or no `url`) lands in `errors`, the others'
/// samples are kept. Load metrics are ignored; no PromQL metric: no request.
pub async fn fetch_promql(
    url: Option<&str>,
    metrics: &[MetricConfig],
    start: SystemTime,
    end: SystemTime,
) -> PromqlSamples {
    let mut out = PromqlSamples::default();
    let promql: Vec<(&MetricConfig, &str, &str)> = metrics
        .iter()
        .filter_map(|m| match &m.source {
            MetricSource::Promql { baseline, canary } => {
                Some((m, baseline.as_str(), canary.as_str()))
            }
            MetricSource::Load(_) => None,
        })
        .collect();
    if promql.is_empty() {
        return out;
    }
    let client = match url.filter(|u| !u.trim().is_empty()) {
        None => Err("no judge.prometheus_url configured for a PromQL metric".to_string()),
        Some(u) => PromClient::new(u),
    };
    for (m, bq, cq) in promql {
        let client = match &client {
            Ok(c) => c,
            Err(e) => {
                out.errors.insert(m.name.clone(), e.clone());
                continue;
            }
        };
        let (b, c) = tokio::join!(
            client.query_range(bq, start, end),
            client.query_range(cq, start, end)
        );
        match (b, c) {
            (Ok(b), Ok(c)) => {
                out.baseline.insert(m.name.clone(), b);
                out.canary.insert(m.name.clone(), c);
            }
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => {
                out.errors.insert(m.name.clone(), e);
            }
            (Err(eb), Err(ec)) => {
                let e = if eb == ec { eb } else { format!("{eb}; {ec}") };
                out.errors.insert(m.name.clone(), e);
            }
        }
    }
    out
}

/// Baseline and canary [`Samples`] of the PromQL metrics of `metrics` over
/// `[start, end]` from the Prometheus at `url`; any failing query is an error
/// naming the metric, the URL, the query and Prometheus's own message.
pub async fn promql_samples(
    url: &str,
    metrics: &[MetricConfig],
    start: SystemTime,
    end: SystemTime,
) -> Result<(Samples, Samples), String> {
    let r = fetch_promql(Some(url), metrics, start, end).await;
    if r.errors.is_empty() {
        Ok((r.baseline, r.canary))
    } else {
        let all: Vec<String> = r
            .errors
            .iter()
            .map(|(name, e)| format!("metric {name}: {e}"))
            .collect();
        Err(all.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:9/api/v1/query_range";

    #[test]
    fn matrix_points_land_on_the_second_grid() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[100,"0.5"],[101,"NaN"],[103,"2"],[110,"9"]]}]}}"#;
        let v = parse_matrix(body, 100, 104, URL, "q").unwrap();
        assert_eq!(v, vec![Some(0.5), None, None, Some(2.0), None]);
    }

    #[test]
    fn no_series_is_all_missing() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert_eq!(parse_matrix(body, 1, 3, URL, "q").unwrap(), vec![None; 3]);
    }

    #[test]
    fn several_series_ask_to_aggregate() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"instance":"a"},"values":[]},{"metric":{"instance":"b"},"values":[]}]}}"#;
        let e = parse_matrix(body, 1, 3, URL, "rate(x[5s])").unwrap_err();
        assert!(e.contains("rate(x[5s])") && e.contains("2 series"), "{e}");
        assert!(e.contains("sum(") && e.contains("avg by"), "{e}");
        assert!(e.contains(URL) && e.contains("instance=\"a\""), "{e}");
    }

    #[test]
    fn prometheus_error_is_quoted() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        let e = parse_matrix(body, 1, 3, URL, "sum(").unwrap_err();
        assert!(
            e.contains("bad_data: parse error at char 5")
                && e.contains("`sum(`")
                && e.contains(URL),
            "{e}"
        );
        let e = parse_matrix("<html>", 1, 3, URL, "up").unwrap_err();
        assert!(e.contains("not a Prometheus API answer"), "{e}");
    }

    fn promql_metric(name: &str) -> MetricConfig {
        MetricConfig {
            source: MetricSource::Promql {
                baseline: "up".into(),
                canary: "up".into(),
            },
            ..MetricConfig::load(name, super::super::config::LoadMetric::P95, false)
        }
    }

    #[tokio::test]
    async fn failures_are_per_metric() {
        let now = SystemTime::now();
        let metrics = vec![
            MetricConfig::load("p95", super::super::config::LoadMetric::P95, false),
            promql_metric("errors"),
        ];
        let r = fetch_promql(None, &metrics, now - Duration::from_secs(5), now).await;
        assert!(r.baseline.is_empty());
        assert!(r.errors["errors"].contains("prometheus_url"));
        // Port 9 (discard) on loopback: connection refused, named.
        let e = promql_samples(
            "http://127.0.0.1:9",
            &metrics,
            now - Duration::from_secs(5),
            now,
        )
        .await
        .unwrap_err();
        assert!(
            e.contains("metric errors") && e.contains("127.0.0.1:9"),
            "{e}"
        );
        // Only load metrics: nothing to ask.
        let r = fetch_promql(None, &metrics[..1], now, now).await;
        assert_eq!(r, PromqlSamples::default());
    }
}
