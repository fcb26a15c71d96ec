//! Per-run series of one metric for one service (`history trend`), and the
//! trends handed to a run at its start.

use serde::Serialize;

use super::error::StoreError;
use super::queries;
use super::record::RunRow;
use super::store::Conn;

/// A latency quantile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantile {
    /// Median.
    P50,
    /// 95th percentile.
    P95,
    /// 99th percentile.
    P99,
}

/// What a trend follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Metric {
    /// The gate's readiness score.
    Score,
    /// The risk score history gave the run.
    Risk,
    /// The run's duration, seconds.
    Duration,
    /// A load latency quantile, ms, of one endpoint (`all`: all traffic).
    Latency {
        /// Which quantile.
        quantile: Quantile,
        /// Endpoint name.
        endpoint: String,
    },
    /// Load requests per second.
    Rps {
        /// Endpoint name.
        endpoint: String,
    },
    /// Load error rate, percent.
    ErrorRate {
        /// Endpoint name.
        endpoint: String,
    },
    /// The sustainable rate a capacity search found, requests per second.
    Capacity {
        /// The load stage (`None`: whichever searched).
        stage: Option<String>,
    },
}

/// What `--metric` accepts, for messages.
pub const METRIC_FORMS: &str =
    "score, risk, duration, p50|p95|p99|rps|error_rate[:ENDPOINT], capacity[:STAGE]";

impl Metric {
    /// Read `score`, `p95:checkout`, `error_rate`... (an endpoint defaults
    /// to `all`).
    pub fn parse(text: &str) -> Result<Metric, String> {
        let (name, endpoint) = match text.split_once(':') {
            Some((n, e)) if !e.trim().is_empty() => (n.trim(), e.trim().to_string()),
            Some((n, _)) => (n.trim(), "all".to_string()),
            None => (text.trim(), "all".to_string()),
        };
        let latency = |quantile| Metric::Latency {
            quantile,
            endpoint: endpoint.clone(),
        };
        Ok(match name {
            "score" => Metric::Score,
            "risk" => Metric::Risk,
            "duration" => Metric::Duration,
            "p50" => latency(Quantile::P50),
            "p95" => latency(Quantile::P95),
            "p99" => latency(Quantile::P99),
            "rps" => Metric::Rps {
                endpoint: endpoint.clone(),
            },
            "error_rate" | "errors" => Metric::ErrorRate {
                endpoint: endpoint.clone(),
            },
            "capacity" => Metric::Capacity {
                stage: (endpoint != "all").then(|| endpoint.clone()),
            },
            other => {
                return Err(format!(
                    "unknown metric `{other}` in `{text}`; use one of {METRIC_FORMS}"
                ));
            }
        })
    }

    /// The unit of the values.
    pub fn unit(&self) -> &'static str {
        match self {
            Metric::Score | Metric::Risk => "",
            Metric::Duration => "s",
            Metric::Latency { .. } => "ms",
            Metric::Rps { .. } | Metric::Capacity { .. } => "/s",
            Metric::ErrorRate { .. } => "%",
        }
    }
}

/// One value of a series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// Run id.
    pub run_id: String,
    /// Release.
    pub release: String,
    /// When the run started.
    pub started_at: String,
    /// The value.
    pub value: f64,
}

/// The metric over the newest `last` runs of a service, oldest first.
pub fn series(
    c: &mut dyn Conn,
    service: &str,
    metric: &Metric,
    last: usize,
) -> Result<Vec<SeriesPoint>, StoreError> {
    let point = |r: &super::record::RunRow, value: f64| SeriesPoint {
        run_id: r.run_id.clone(),
        release: r.release.clone(),
        started_at: r.started_at.clone(),
        value,
    };
    let mut out: Vec<SeriesPoint> = match metric {
        Metric::Score | Metric::Risk | Metric::Duration => {
            let mut runs = queries::runs(c, Some(service), last)?;
            runs.reverse();
            runs.iter()
                .filter_map(|r| {
                    let v = match metric {
                        Metric::Score => r.score,
                        Metric::Risk => r.risk_score,
                        _ => r.duration_s,
                    };
                    v.map(|v| point(r, v))
                })
                .collect()
        }
        Metric::Capacity { stage } => {
            let mut runs = queries::runs(c, Some(service), i64::MAX as usize)?;
            runs.reverse();
            capacity_series(c, &runs, stage.as_deref())?
                .into_iter()
                .map(|(r, v)| point(&r, v))
                .collect()
        }
        Metric::Latency { endpoint, .. }
        | Metric::Rps { endpoint }
        | Metric::ErrorRate { endpoint } => queries::load_series(c, service, endpoint)?
            .iter()
            .map(|(r, l)| {
                let v = match metric {
                    Metric::Latency {
                        quantile: Quantile::P50,
                        ..
                    } => l.p50_ms,
                    Metric::Latency {
                        quantile: Quantile::P95,
                        ..
                    } => l.p95_ms,
                    Metric::Latency { .. } => l.p99_ms,
                    Metric::Rps { .. } => l.rps,
                    _ if l.requests > 0 => l.errors as f64 * 100.0 / l.requests as f64,
                    _ => 0.0,
                };
                point(r, v)
            })
            .collect(),
    };
    if out.len() > last {
        out.drain(..out.len() - last);
    }
    Ok(out)
}

/// The sustainable rate of `stage` (any stage when `None`: the first per
/// run) over the runs of `service`, oldest first; runs whose search found
/// no figure are left out.
fn capacity_series(
    c: &mut dyn Conn,
    runs: &[RunRow],
    stage: Option<&str>,
) -> Result<Vec<(RunRow, f64)>, StoreError> {
    let mut out = Vec::new();
    for run in runs {
        let rows = super::capacity::of_run(c, &run.run_id)?;
        let found = rows
            .iter()
            .filter(|r| stage.is_none_or(|s| r.stage == s))
            .find_map(|r| r.sustainable_rps);
        if let Some(v) = found {
            out.push((run.clone(), v));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_read_with_and_without_an_endpoint() {
        assert_eq!(
            Metric::parse("p95:checkout"),
            Ok(Metric::Latency {
                quantile: Quantile::P95,
                endpoint: "checkout".into()
            })
        );
        assert_eq!(
            Metric::parse("error_rate"),
            Ok(Metric::ErrorRate {
                endpoint: "all".into()
            })
        );
        assert_eq!(Metric::parse("score"), Ok(Metric::Score));
        assert_eq!(
            Metric::parse("capacity"),
            Ok(Metric::Capacity { stage: None })
        );
        assert_eq!(
            Metric::parse("capacity:load"),
            Ok(Metric::Capacity {
                stage: Some("load".into())
            })
        );
        let e = Metric::parse("p42:x").unwrap_err();
        assert!(
            e.contains("unknown metric `p42`") && e.contains("p95"),
            "{e}"
        );
    }
}
