//! Pass/fail criteria in a k6-like syntax:
//!
//! ```text
//! p95 < 300ms            error_rate < 1%          rps > 500
//! checkout: p99 <= 1s    p95 < 300ms over 10s     (sustained for 10 windows)
//! ```
//!
//! Latency criteria use the corrected figures. A criterion with `over Ns` is
//! breached only when N consecutive one-second windows all breach it.

use serde::{Deserialize, Serialize};

/// A measurable quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Median latency.
    P50,
    /// 90th percentile.
    P90,
    /// 95th percentile.
    P95,
    /// 99th percentile.
    P99,
    /// 99.9th percentile.
    P999,
    /// Maximum latency.
    Max,
    /// Mean latency.
    Mean,
    /// Failed share of requests.
    ErrorRate,
    /// Completed requests per second.
    Rps,
}

impl Metric {
    fn parse(s: &str) -> Option<Metric> {
        Some(match s {
            "p50" | "med" | "median" => Metric::P50,
            "p90" => Metric::P90,
            "p95" => Metric::P95,
            "p99" => Metric::P99,
            "p999" | "p99.9" => Metric::P999,
            "max" => Metric::Max,
            "mean" | "avg" => Metric::Mean,
            "error_rate" | "errors" => Metric::ErrorRate,
            "rps" | "rate" => Metric::Rps,
            _ => return None,
        })
    }

    fn is_latency(self) -> bool {
        !matches!(self, Metric::ErrorRate | Metric::Rps)
    }

    fn per_window(self) -> bool {
        matches!(
            self,
            Metric::P50 | Metric::P95 | Metric::P99 | Metric::Max | Metric::ErrorRate | Metric::Rps
        )
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    fn holds(self, actual: f64, bound: f64) -> bool {
        match self {
            Op::Lt => actual < bound,
            Op::Le => actual <= bound,
            Op::Gt => actual > bound,
            Op::Ge => actual >= bound,
        }
    }
}

/// A parsed criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// The text as written.
    pub text: String,
    /// Endpoint name, or `None` for all traffic.
    pub endpoint: Option<String>,
    /// What is measured.
    pub metric: Metric,
    /// How it is compared.
    pub op: Op,
    /// The bound: milliseconds for latency, a fraction for `error_rate`, requests/s for `rps`.
    pub value: f64,
    /// Sustain window in seconds, if any.
    pub over_s: Option<u32>,
}

/// Why a threshold does not parse.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// What is wrong, quoting the input.
    pub message: String,
    /// How to write it.
    pub hint: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.message, self.hint)
    }
}

/// The outcome of one criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// No data to judge (e.g. the endpoint got no requests).
    NoData,
}

/// A criterion with its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// The criterion as written.
    pub threshold: String,
    /// The measured value (same unit as the bound), when there was data.
    pub actual: Option<f64>,
    /// The outcome.
    pub status: Status,
    /// A sentence for humans, e.g. `p95 41.2ms < 300ms`.
    pub detail: String,
}

impl Threshold {
    /// True when `actual` (in the criterion's unit) meets it.
    pub fn holds(&self, actual: f64) -> bool {
        self.op.holds(actual, self.value)
    }

    /// Parse one criterion.
    pub fn parse(text: &str) -> Result<Threshold, ParseError> {
        let err = |message: String, hint: &str| ParseError {
            message,
            hint: hint.to_string(),
        };
        let t = text.trim();
        let (endpoint, rest) = match t.rsplit_once(':') {
            Some((name, rest)) if !name.trim().is_empty() => {
                (Some(name.trim().to_string()), rest.trim())
            }
            Some(_) => {
                return Err(err(
                    format!("\"{t}\" has an empty endpoint name"),
                    "write `name: p95 < 300ms` or drop the colon",
                ));
            }
            None => (None, t),
        };
        let (expr, over_s) = match rest.split_once(" over ") {
            Some((e, w)) => {
                let w = w.trim();
                let secs = w
                    .strip_suffix('s')
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|n| *n > 0);
                match secs {
                    Some(n) => (e.trim(), Some(n)),
                    None => {
                        return Err(err(
                            format!("\"{t}\": window \"{w}\" is not whole seconds"),
                            "write e.g. `over 10s`",
                        ));
                    }
                }
            }
            None => (rest, None),
        };
        let op_at = expr.find(['<', '>']).ok_or_else(|| {
            err(
                format!("\"{t}\" has no comparison"),
                "write e.g. `p95 < 300ms` (operators: < <= > >=)",
            )
        })?;
        let (metric_s, tail) = expr.split_at(op_at);
        let (op, value_s) = if let Some(v) = tail.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = tail.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = tail.strip_prefix('<') {
            (Op::Lt, v)
        } else {
            (Op::Gt, &tail[1..])
        };
        let metric_s = metric_s.trim().to_ascii_lowercase();
        let metric = Metric::parse(&metric_s).ok_or_else(|| {
            err(
                format!("\"{t}\": unknown metric \"{metric_s}\""),
                "use p50, p90, p95, p99, p999, max, mean, error_rate or rps",
            )
        })?;
        let value_s = value_s.trim();
        let split = value_s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(value_s.len());
        let (num_s, unit) = value_s.split_at(split);
        let num: f64 = num_s.parse().map_err(|_| {
            err(
                format!("\"{t}\": \"{value_s}\" is not a number"),
                "write e.g. `p95 < 300ms`",
            )
        })?;
        let unit = unit.trim();
        let value = if metric.is_latency() {
            match unit {
                "ms" => num,
                "s" => num * 1000.0,
                "us" | "µs" => num / 1000.0,
                "" => {
                    return Err(err(
                        format!("\"{t}\" has no unit"),
                        &format!("write {num_s}ms"),
                    ));
                }
                u => {
                    return Err(err(
                        format!("\"{t}\": unknown unit \"{u}\""),
                        "latency units are us, ms and s",
                    ));
                }
            }
        } else if metric == Metric::ErrorRate {
            match unit {
                "%" => num / 100.0,
                "" => {
                    return Err(err(
                        format!("\"{t}\" has no unit"),
                        &format!("write {num_s}% (error_rate is a percentage)"),
                    ));
                }
                u => {
                    return Err(err(
                        format!("\"{t}\": unknown unit \"{u}\""),
                        "error_rate is a percentage, e.g. `error_rate < 1%`",
                    ));
                }
            }
        } else {
            match unit {
                "" | "/s" | "rps" => num,
                u => {
                    return Err(err(
                        format!("\"{t}\": unknown unit \"{u}\""),
                        "rps is requests per second, e.g. `rps > 500`",
                    ));
                }
            }
        };
        if over_s.is_some() && !metric.per_window() {
            return Err(err(
                format!("\"{t}\": {metric_s} is not kept per window"),
                "with `over`, use p50, p95, p99, max, error_rate or rps",
            ));
        }
        Ok(Threshold {
            text: t.to_string(),
            endpoint,
            metric,
            op,
            value,
            over_s,
        })
    }

    /// Parse a list, naming the failing entry as `{key}[i]`.
    pub fn parse_all(key: &str, texts: &[String]) -> Result<Vec<Threshold>, String> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Threshold::parse(t).map_err(|e| format!("{key}[{i}]: {e}")))
            .collect()
    }
}

#[path = "threshold_eval.rs"]
mod eval;

#[cfg(test)]
#[path = "threshold_tests.rs"]
mod tests;
