//! What the load engine emits: one [`Window`] per second while it runs, then
//! one [`Summary`]. These go into journal events, so they are plain data
//! (milliseconds as `f64`) and serialise both ways.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How load is offered: at a fixed arrival rate, or by a fixed number of
/// connections that send as fast as answers come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadModel {
    /// Arrival rate (requests per second), whatever the answers take.
    Open,
    /// Connections, each sending its next request when an answer arrives.
    #[default]
    Closed,
}

impl LoadModel {
    /// `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadModel::Open => "open",
            LoadModel::Closed => "closed",
        }
    }
}

impl std::fmt::Display for LoadModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One second of load. `second` is the offset from the start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Window {
    /// Offset from the start of the run, in whole seconds.
    pub second: u32,
    /// Scheduled rate (open model); 0 in the closed model.
    pub target_rps: f64,
    /// Completed requests per second in this window.
    pub achieved_rps: f64,
    /// Requests completed in this window.
    pub requests: u64,
    /// Of which failed (transport error or status >= 400).
    pub errors: u64,
    /// Latency from the intended send time (open model), milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, corrected.
    pub p95_ms: f64,
    /// 99th percentile, corrected.
    pub p99_ms: f64,
    /// Maximum, corrected.
    pub max_ms: f64,
    /// 99th percentile from the actual send time (what a naive tool shows).
    pub p99_uncorrected_ms: f64,
    /// 99th percentile of how late requests were sent (open model).
    pub lag_p99_ms: f64,
    /// Requests that found every connection busy at their intended time.
    pub backlog: u64,
    /// The generator could not keep the schedule in this window.
    pub saturated: bool,
    /// Per endpoint name.
    pub endpoints: Vec<EndpointWindow>,
    /// Per variant (from the variant response header).
    pub variants: Vec<VariantWindow>,
}

/// One endpoint within a [`Window`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct EndpointWindow {
    /// Endpoint name.
    pub name: String,
    /// Requests completed.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Corrected median, ms.
    pub p50_ms: f64,
    /// Corrected p95, ms.
    pub p95_ms: f64,
    /// Corrected p99, ms.
    pub p99_ms: f64,
}

/// One variant within a [`Window`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct VariantWindow {
    /// Variant header value, or `unknown` when the header was absent.
    pub variant: String,
    /// Requests completed.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Corrected median, ms.
    pub p50_ms: f64,
    /// Corrected p95, ms.
    pub p95_ms: f64,
    /// Corrected p99, ms.
    pub p99_ms: f64,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

/// How well the generator kept its schedule (open model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct LagStats {
    /// Median send lag, ms.
    pub p50_ms: f64,
    /// 99th percentile send lag, ms.
    pub p99_ms: f64,
    /// Worst send lag, ms.
    pub max_ms: f64,
    /// Requests that found every connection busy at their intended time.
    pub backlog: u64,
    /// Scheduled requests never sent because the run ended first.
    pub unsent: u64,
}

/// Whole-run figures for one endpoint name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct EndpointSummary {
    /// Endpoint name.
    pub name: String,
    /// Requests completed.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Corrected latency.
    pub latency: Percentiles,
    /// Uncorrected latency.
    pub uncorrected: Percentiles,
}

/// Whole-run figures for one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct VariantSummary {
    /// Variant name.
    pub variant: String,
    /// Requests completed.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Corrected latency.
    pub latency: Percentiles,
}

/// The whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// `open` (arrival schedule) or `closed` (back-to-back connections).
    pub model: LoadModel,
    /// Wall time from first scheduled send to the end, seconds.
    pub duration_s: f64,
    /// Requests completed.
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Completed requests per second.
    pub requests_per_sec: f64,
    /// Mean scheduled rate (open model), else 0.
    pub target_rps: f64,
    /// Share of requests that succeeded, 0..=1.
    pub success_rate: f64,
    /// Latency from the intended send time.
    pub latency: Percentiles,
    /// Latency from the actual send time.
    pub uncorrected: Percentiles,
    /// Schedule lag.
    pub lag: LagStats,
    /// Number of one-second windows.
    pub windows: u32,
    /// Windows in which the generator could not keep the rate.
    pub saturated_windows: u32,
    /// Longest run of consecutive saturated windows.
    pub longest_saturation_s: u32,
    /// Per endpoint name.
    pub endpoints: Vec<EndpointSummary>,
    /// Per variant.
    pub variants: Vec<VariantSummary>,
    /// Responses per status code.
    #[serde(deserialize_with = "status_keys::deserialize")]
    pub status_codes: BTreeMap<u16, u64>,
    /// Failures per kind: `connect`, `tls`, `timeout`, `reset`, `protocol`, `status_4xx`, `status_5xx`.
    pub error_kinds: BTreeMap<String, u64>,
    /// The whole-run corrected latency histograms (all traffic, then each
    /// endpoint), so that history keeps distributions and not only their
    /// percentiles. Absent in journals written before they were recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histograms: Vec<LatencyHistogram>,
    /// Why the run ended early, if it did (`cancelled`, a threshold breach).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
    /// The first TLS handshake failure, in words (e.g. certificate not trusted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_error: Option<String>,
    /// What went wrong with the generator itself (a distributed engine's
    /// workers that never joined, were lost or ran out of CPU): each makes
    /// the verdict inconclusive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generator_faults: Vec<String>,
}

/// The workers of a distributed load engine (Locust), as last reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct WorkerPool {
    /// The engine's name (`locust`).
    pub engine: String,
    /// Workers the run expects.
    pub expected: u32,
    /// Every expected worker, in start order.
    pub workers: Vec<WorkerInfo>,
}

impl WorkerPool {
    /// Workers that joined and are still there.
    pub fn joined(&self) -> usize {
        self.workers
            .iter()
            .filter(|w| !matches!(w.state.as_str(), "waiting" | "lost" | "exited" | "missing"))
            .count()
    }
}

/// One worker of a [`WorkerPool`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct WorkerInfo {
    /// Flightdeck's name for it (`local-1`, or the configured host name).
    pub label: String,
    /// `waiting` (not joined yet), the engine's own state (`ready`,
    /// `spawning`, `running`, `stopped`, `missing`), `lost` or `exited`.
    pub state: String,
    /// CPU use of the worker process, percent, as the worker last reported.
    pub cpu_pct: f64,
    /// The worker went above the engine's CPU warning threshold (90%).
    pub cpu_warning: bool,
}

/// One serialised latency histogram of a load run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LatencyHistogram {
    /// `all` for all traffic, else the endpoint name.
    pub scope: String,
    /// HdrHistogram V2 (deflate) serialisation, base64: microseconds,
    /// three significant digits.
    pub hdr_v2_base64: String,
}

/// Status-code map keys arrive as strings when the summary is read back from
/// a journal event (serde buffers internally tagged enums, and integer map
/// keys do not survive that), so parse them explicitly.
mod status_keys {
    use std::collections::BTreeMap;

    use serde::de::Error;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u16, u64>, D::Error> {
        BTreeMap::<String, u64>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| {
                k.parse::<u16>()
                    .map(|k| (k, v))
                    .map_err(|_| D::Error::custom(format!("status code `{k}` is not a number")))
            })
            .collect()
    }
}
