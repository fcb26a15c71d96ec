//! Summarising at the source: per-request outcomes go into HDR histograms of
//! the current one-second window (one per load thread); at each second the
//! windows are taken out, merged, turned into a [`Window`], folded into the
//! whole-run totals and emptied for reuse. Memory is bounded by the number of
//! endpoint names, variants and load threads, never by the number of
//! requests or the run length.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::core::load::Percentiles;

/// Highest latency tracked, in microseconds (60 s); larger values are clamped.
pub const HIST_MAX_US: u64 = 60_000_000;
/// Distinct variant values tracked; later ones share `other`.
pub const MAX_VARIANTS: usize = 16;

pub(crate) fn new_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 3).expect("static histogram bounds are valid")
}

/// A histogram as journal text: HdrHistogram's V2 deflate serialisation in
/// base64, readable by any HdrHistogram library. `None` for an empty one.
pub fn encode_hist(h: &Histogram<u64>) -> Option<String> {
    use base64::Engine;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
    if h.is_empty() {
        return None;
    }
    let mut bytes = Vec::new();
    V2DeflateSerializer::new().serialize(h, &mut bytes).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Read back a histogram written by [`encode_hist`].
pub fn decode_hist(text: &str) -> Option<Histogram<u64>> {
    use base64::Engine;
    use hdrhistogram::serialization::Deserializer;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    Deserializer::new().deserialize(&mut bytes.as_slice()).ok()
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

    fn reset(&mut self) {
        self.requests = 0;
        self.errors = 0;
        // Zeroing touches every count; skip the histograms nothing reached.
        if !self.corrected.is_empty() {
            self.corrected.reset();
        }
        if !self.uncorrected.is_empty() {
            self.uncorrected.reset();
        }
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

    /// Empty it for reuse, keeping its histograms allocated (a variant group
    /// stays, with no requests, and is left out of the figures).
    pub fn reset(&mut self) {
        self.all.reset();
        if !self.lag.is_empty() {
            self.lag.reset();
        }
        self.endpoints.iter_mut().for_each(Group::reset);
        self.variants.iter_mut().flatten().for_each(Group::reset);
        self.status.clear();
        self.kinds = [0; ErrorKind::ALL.len()];
    }

    /// Add `other`, whose variant indices refer to `other_names`, mapping
    /// its variants by name onto `names` (which grows as new ones appear).
    pub fn merge_from(
        &mut self,
        other: &WindowAcc,
        other_names: &[String],
        names: &mut Vec<String>,
    ) {
        self.all.merge(&other.all);
        let _ = self.lag.add(&other.lag);
        for (t, g) in self.endpoints.iter_mut().zip(&other.endpoints) {
            t.merge(g);
        }
        for (i, g) in other.variants.iter().enumerate() {
            let (Some(g), Some(name)) = (g, other_names.get(i)) else {
                continue;
            };
            if g.requests == 0 {
                continue;
            }
            let idx = variant_index(names, name.as_bytes());
            if self.variants.len() <= idx {
                self.variants.resize_with(idx + 1, || None);
            }
            self.variants[idx].get_or_insert_with(Group::new).merge(g);
        }
        for (k, v) in &other.status {
            *self.status.entry(*k).or_insert(0) += v;
        }
        for (t, k) in self.kinds.iter_mut().zip(other.kinds) {
            *t += k;
        }
    }
}

/// The index of variant `v` in `names`, adding it while there is room;
/// later ones share `other`.
pub(crate) fn variant_index(names: &mut Vec<String>, v: &[u8]) -> usize {
    match names.iter().position(|n| n.as_bytes() == v) {
        Some(i) => i,
        None if names.len() < MAX_VARIANTS - 1 => {
            names.push(String::from_utf8_lossy(v).into_owned());
            names.len() - 1
        }
        None => match names.iter().position(|n| n == "other") {
            Some(i) => i,
            None => {
                names.push("other".into());
                names.len() - 1
            }
        },
    }
}

/// Takes the finished window out of every load thread's recorder and merges
/// them, reusing the same histograms every second: nothing is allocated per
/// window once the run is going.
pub struct Collector {
    merged: WindowAcc,
    spare: WindowAcc,
    names: Vec<String>,
}

impl Collector {
    /// A collector for `endpoints` endpoint names.
    pub fn new(endpoints: usize) -> Self {
        Collector {
            merged: WindowAcc::new(endpoints),
            spare: WindowAcc::new(endpoints),
            names: Vec::new(),
        }
    }

    /// The window just finished across `recorders`, and the variant names
    /// its variant indices refer to.
    pub fn collect(&mut self, recorders: &[std::sync::Mutex<Recorder>]) -> (&WindowAcc, &[String]) {
        self.merged.reset();
        for r in recorders {
            let names = r
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take_into(&mut self.spare);
            self.merged.merge_from(&self.spare, &names, &mut self.names);
            self.spare.reset();
        }
        (&self.merged, &self.names)
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
            let idx = variant_index(&mut self.variant_names, v);
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

    /// Swap the finished window with `spare` (an empty one) and return the
    /// variant names.
    pub fn take_into(&mut self, spare: &mut WindowAcc) -> Vec<String> {
        std::mem::swap(&mut self.window, spare);
        self.variant_names.clone()
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
