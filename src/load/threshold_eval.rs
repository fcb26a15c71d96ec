//! Judging a [`Threshold`] against a summary or a series of windows.

use super::{Metric, Op, Status, Threshold, ThresholdResult};
use crate::core::load::{Summary, Window};

impl Threshold {
    fn fmt_value(&self, v: f64) -> String {
        match self.metric {
            Metric::ErrorRate => format!("{:.2}%", v * 100.0),
            Metric::Rps => format!("{v:.1}/s"),
            _ => format!("{v:.1}ms"),
        }
    }

    fn summary_value(&self, s: &Summary) -> Option<f64> {
        let (requests, errors, lat, rps) = match &self.endpoint {
            None => (s.requests, s.errors, &s.latency, s.requests_per_sec),
            Some(n) => {
                let e = s.endpoints.iter().find(|e| &e.name == n)?;
                (
                    e.requests,
                    e.errors,
                    &e.latency,
                    e.requests as f64 / s.duration_s.max(1e-9),
                )
            }
        };
        if requests == 0 && self.metric != Metric::Rps {
            return None;
        }
        Some(match self.metric {
            Metric::P50 => lat.p50_ms,
            Metric::P90 => lat.p90_ms,
            Metric::P95 => lat.p95_ms,
            Metric::P99 => lat.p99_ms,
            Metric::P999 => lat.p999_ms,
            Metric::Max => lat.max_ms,
            Metric::Mean => lat.mean_ms,
            Metric::ErrorRate => errors as f64 / requests as f64,
            Metric::Rps => rps,
        })
    }

    /// The criterion's value in one window, if the window has data for it.
    pub fn window_value(&self, w: &Window) -> Option<f64> {
        let (requests, errors, p50, p95, p99, max) = match &self.endpoint {
            None => (w.requests, w.errors, w.p50_ms, w.p95_ms, w.p99_ms, w.max_ms),
            Some(n) => {
                let e = w.endpoints.iter().find(|e| &e.name == n);
                match e {
                    Some(e) => (e.requests, e.errors, e.p50_ms, e.p95_ms, e.p99_ms, e.p99_ms),
                    None => (0, 0, 0.0, 0.0, 0.0, 0.0),
                }
            }
        };
        if self.metric == Metric::Rps {
            return Some(if self.endpoint.is_some() {
                requests as f64
            } else {
                w.achieved_rps
            });
        }
        if requests == 0 {
            return None;
        }
        match self.metric {
            Metric::P50 => Some(p50),
            Metric::P95 => Some(p95),
            Metric::P99 => Some(p99),
            Metric::Max => Some(max),
            Metric::ErrorRate => Some(errors as f64 / requests as f64),
            _ => None,
        }
    }

    /// Judge against the whole-run summary (cumulative).
    pub fn evaluate(&self, s: &Summary) -> ThresholdResult {
        let name = self
            .text
            .split(" over ")
            .next()
            .unwrap_or(&self.text)
            .to_string();
        match self.summary_value(s) {
            None => ThresholdResult {
                threshold: self.text.clone(),
                actual: None,
                status: Status::NoData,
                detail: format!(
                    "{name}: no requests{}",
                    self.endpoint
                        .as_ref()
                        .map(|e| format!(" for endpoint \"{e}\""))
                        .unwrap_or_default()
                ),
            },
            Some(v) => {
                let ok = self.op.holds(v, self.value);
                ThresholdResult {
                    threshold: self.text.clone(),
                    actual: Some(v),
                    status: if ok { Status::Pass } else { Status::Fail },
                    detail: format!(
                        "{} was {} (limit {})",
                        self.label(),
                        self.fmt_value(v),
                        self.fmt_value(self.value)
                    ),
                }
            }
        }
    }

    fn label(&self) -> String {
        let m = format!("{:?}", self.metric)
            .to_ascii_lowercase()
            .replace("errorrate", "error_rate");
        match &self.endpoint {
            Some(e) => format!("{e} {m}"),
            None => m,
        }
    }

    /// With `over Ns`: the reason if the last N windows all breach, else `None`.
    /// Used to stop a run early on a sustained breach.
    pub fn sustained_breach(&self, windows: &[Window]) -> Option<String> {
        let n = self.over_s? as usize;
        if windows.len() < n {
            return None;
        }
        let tail = &windows[windows.len() - n..];
        let all = tail.iter().all(|w| {
            self.window_value(w)
                .is_some_and(|v| !self.op.holds(v, self.value))
        });
        all.then(|| {
            format!(
                "threshold \"{}\" breached for {n} s (seconds {}-{})",
                self.text,
                tail[0].second,
                tail[n - 1].second
            )
        })
    }

    /// With `over Ns`: judge the window series, failing on the first run of
    /// N consecutive breaching windows. Without `over`, judge the summary.
    pub fn evaluate_windows(&self, s: &Summary, windows: &[Window]) -> ThresholdResult {
        let Some(n) = self.over_s.map(|n| n as usize) else {
            return self.evaluate(s);
        };
        let mut run = 0;
        let mut worst: Option<f64> = None;
        for (i, w) in windows.iter().enumerate() {
            let v = self.window_value(w);
            if let Some(v) = v {
                worst = Some(match worst {
                    None => v,
                    Some(x) if matches!(self.op, Op::Lt | Op::Le) => x.max(v),
                    Some(x) => x.min(v),
                });
            }
            if v.is_some_and(|v| !self.op.holds(v, self.value)) {
                run += 1;
                if run >= n {
                    let from = windows[i + 1 - n].second;
                    return ThresholdResult {
                        threshold: self.text.clone(),
                        actual: v,
                        status: Status::Fail,
                        detail: format!(
                            "{} breached the limit {} for {n} s in a row (seconds {from}-{})",
                            self.label(),
                            self.fmt_value(self.value),
                            w.second
                        ),
                    };
                }
            } else {
                run = 0;
            }
        }
        match worst {
            None => ThresholdResult {
                threshold: self.text.clone(),
                actual: None,
                status: Status::NoData,
                detail: "no windows with data".into(),
            },
            Some(v) => ThresholdResult {
                threshold: self.text.clone(),
                actual: Some(v),
                status: Status::Pass,
                detail: format!(
                    "{} never breached {} for {n} s (worst window {})",
                    self.label(),
                    self.fmt_value(self.value),
                    self.fmt_value(v)
                ),
            },
        }
    }
}
