//! Summarising at the source: per-request outcomes go into HDR histograms of
//! the current one-second window; at each second the window is taken out,
//! turned into a [`Window`], merged into the whole-run totals and dropped.
//! Memory is bounded by the number of endpoint names and variants, never by
//! the number of requests or the run length.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use super::report::Percentiles;

/// Highest latency tracked, in microseconds (60 s); larger values are clamped.
pub const HIST_MAX_US: u64 = 60_000_000;
/// Distinct variant values tracked; later ones share `other`.
pub const MAX_VARIANTS: usize = 16;

pub(crate) fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 3).expect("static histogram bounds are valid")
}

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// TCP connect or HTTP handshake failed.
    Connect,
    /// The TLS handshake failed (e.g. certificate not trusted).
    Tls,
    /// No complete response within the timeout.
    Timeout,
    /// The connection closed or reset mid-exchange.
    Reset,
    /// Malformed response or another protocol error.
    Protocol,
    /// Status 400..=499.
    Status4xx,
    /// Status 500..=599.
    Status5xx,
}

impl ErrorKind {
    pub(crate) const ALL: [ErrorKind; 7] = [
        ErrorKind::Connect,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Protocol,
        ErrorKind::Status4xx,
        ErrorKind::Status5xx,
    ];

    /// The name used in [`Summary::error_kinds`].
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Status4xx => "status_4xx",
            ErrorKind::Status5xx => "status_5xx",
        }
    }
}

/// One finished request, as the connection task reports it.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// Endpoint index.
    pub endpoint: usize,
    /// Status code, if a response arrived.
    pub status: Option<u16>,
    /// Failure kind, if it failed.
    pub error: Option<ErrorKind>,
    /// From intended send time to response end, µs.
    pub corrected_us: u64,
    /// From actual send time to response end, µs.
    pub uncorrected_us: u64,
    /// How late it was sent, µs (open model only).
    pub lag_us: Option<u64>,
}

/// Counts and latency of one group (all, an endpoint, a variant).
#[derive(Clone)]
pub struct Group {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) corrected: Histogram<u64>,
    pub(crate) uncorrected: Histogram<u64>,
}

impl Group {
    pub(crate) fn new() -> Self {
        Group {
            requests: 0,
            errors: 0,
            corrected: new_hist(),
            uncorrected: new_hist(),
        }
    }

    fn record(&mut self, o: &Outcome) {
        self.requests += 1;
        if o.error.is_some() {
            self.errors += 1;
        }
        self.corrected
            .saturating_record(o.corrected_us.clamp(1, HIST_MAX_US));
        self.uncorrected
            .saturating_record(o.uncorrected_us.clamp(1, HIST_MAX_US));
    }

    pub(crate) fn merge(&mut self, other: &Group) {
        self.requests += other.requests;
        self.errors += other.errors;
        // Same bounds on both sides, so `add` cannot fail.
        let _ = self.corrected.add(&other.corrected);
        let _ = self.uncorrected.add(&other.uncorrected);
    }
}

pub(crate) fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64 / 1000.0
    }
}

pub(crate) fn percentiles(h: &Histogram<u64>) -> Percentiles {
    Percentiles {
        p50_ms: ms(h, 0.50),
        p90_ms: ms(h, 0.90),
        p95_ms: ms(h, 0.95),
        p99_ms: ms(h, 0.99),
        p999_ms: ms(h, 0.999),
        max_ms: if h.is_empty() {
            0.0
        } else {
            h.max() as f64 / 1000.0
        },
        mean_ms: if h.is_empty() { 0.0 } else { h.mean() / 1000.0 },
    }
}

/// The results of the current second.
pub struct WindowAcc {
    pub(crate) all: Group,
    pub(crate) lag: Histogram<u64>,
    pub(crate) endpoints: Vec<Group>,
    pub(crate) variants: Vec<Option<Group>>,
    pub(crate) status: BTreeMap<u16, u64>,
    pub(crate) kinds: [u64; ErrorKind::ALL.len()],
}

impl WindowAcc {
    /// An empty window for `endpoints` endpoint names.
    pub fn new(endpoints: usize) -> Self {
        WindowAcc {
            all: Group::new(),
            lag: new_hist(),
            endpoints: (0..endpoints).map(|_| Group::new()).collect(),
            variants: Vec::new(),
            status: BTreeMap::new(),
            kinds: [0; ErrorKind::ALL.len()],
        }
    }
}

/// Shared between connection tasks (behind a mutex): the current window and
/// the variant names seen so far.
pub struct Recorder {
    window: WindowAcc,
    variant_names: Vec<String>,
}

impl Recorder {
    /// A recorder for `endpoints` endpoint names.
    pub fn new(endpoints: usize) -> Self {
        Recorder {
            window: WindowAcc::new(endpoints),
            variant_names: Vec::new(),
        }
    }

    /// Record one outcome; `variant` is the variant header's value, if any.
    pub fn record(&mut self, o: &Outcome, variant: Option<&[u8]>) {
        let w = &mut self.window;
        w.all.record(o);
        if let Some(lag) = o.lag_us {
            w.lag.saturating_record(lag.clamp(1, HIST_MAX_US));
        }
        if let Some(g) = w.endpoints.get_mut(o.endpoint) {
            g.record(o);
        }
        if let Some(s) = o.status {
            *w.status.entry(s).or_insert(0) += 1;
        }
        if let Some(k) = o.error {
            w.kinds[ErrorKind::ALL.iter().position(|x| *x == k).unwrap_or(0)] += 1;
        }
        if let Some(v) = variant {
            let idx = match self.variant_names.iter().position(|n| n.as_bytes() == v) {
                Some(i) => i,
                None if self.variant_names.len() < MAX_VARIANTS - 1 => {
                    self.variant_names
                        .push(String::from_utf8_lossy(v).into_owned());
                    self.variant_names.len() - 1
                }
                None => match self.variant_names.iter().position(|n| n == "other") {
                    Some(i) => i,
                    None => {
                        self.variant_names.push("other".into());
                        self.variant_names.len() - 1
                    }
                },
            };
            if w.variants.len() <= idx {
                w.variants.resize_with(idx + 1, || None);
            }
            w.variants[idx].get_or_insert_with(Group::new).record(o);
        }
    }

    /// Swap in `fresh` and return the finished window and the variant names.
    pub fn take(&mut self, fresh: WindowAcc) -> (WindowAcc, Vec<String>) {
        (
            std::mem::replace(&mut self.window, fresh),
            self.variant_names.clone(),
        )
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
