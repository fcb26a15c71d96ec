//! Per-variant, per-window samples from the load engine's [`Window`]s.

use serde::{Deserialize, Serialize};

use super::config::{LoadMetric, MetricConfig, MetricSource};
use super::judge::Samples;
use crate::core::load::Window;

/// One variant's per-second figures; `None` where the window had no request
/// from that variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct VariantSeries {
    /// Variant name (the `x-variant` header value).
    pub variant: String,
    /// Window offsets, seconds.
    pub seconds: Vec<u32>,
    /// Requests per window.
    pub requests: Vec<u64>,
    /// Median latency, ms.
    pub p50_ms: Vec<Option<f64>>,
    /// p95 latency, ms.
    pub p95_ms: Vec<Option<f64>>,
    /// p99 latency, ms.
    pub p99_ms: Vec<Option<f64>>,
    /// errors / requests.
    pub error_rate: Vec<Option<f64>>,
}

impl VariantSeries {
    /// The series of one load metric.
    pub fn get(&self, m: LoadMetric) -> &[Option<f64>] {
        match m {
            LoadMetric::P50 => &self.p50_ms,
            LoadMetric::P95 => &self.p95_ms,
            LoadMetric::P99 => &self.p99_ms,
            LoadMetric::ErrorRate => &self.error_rate,
        }
    }
}

/// Extract `variant`'s series from `windows`.
pub fn variant_series(windows: &[Window], variant: &str) -> VariantSeries {
    let mut s = VariantSeries {
        variant: variant.into(),
        ..Default::default()
    };
    for w in windows {
        let v = w
            .variants
            .iter()
            .find(|v| v.variant == variant)
            .filter(|v| v.requests > 0);
        s.seconds.push(w.second);
        s.requests.push(v.map_or(0, |v| v.requests));
        s.p50_ms.push(v.map(|v| v.p50_ms));
        s.p95_ms.push(v.map(|v| v.p95_ms));
        s.p99_ms.push(v.map(|v| v.p99_ms));
        s.error_rate
            .push(v.map(|v| v.errors as f64 / v.requests as f64));
    }
    s
}

/// Baseline and canary [`Samples`] for the load-sourced `metrics`, keyed by
/// metric name (PromQL metrics are left for a `MetricsSource`).
pub fn load_samples(
    windows: &[Window],
    baseline: &str,
    canary: &str,
    metrics: &[MetricConfig],
) -> (Samples, Samples) {
    let (bs, cs) = (
        variant_series(windows, baseline),
        variant_series(windows, canary),
    );
    let mut b = Samples::new();
    let mut c = Samples::new();
    for m in metrics {
        if let MetricSource::Load(lm) = m.source {
            b.insert(m.name.clone(), bs.get(lm).to_vec());
            c.insert(m.name.clone(), cs.get(lm).to_vec());
        }
    }
    (b, c)
}
