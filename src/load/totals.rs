//! Whole-run totals: each finished window is turned into a [`Window`],
//! judged for saturation, and folded into the only histograms that live for
//! the whole run.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use super::stats::{ErrorKind, Group, WindowAcc, encode_hist, ms, new_hist, percentiles};
use crate::core::load::{
    EndpointSummary, EndpointWindow, LagStats, LatencyHistogram, LoadModel, Summary,
    VariantSummary, VariantWindow, Window,
};

/// Schedule figures for one window, counted outside the histograms.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pacing {
    /// Scheduled rate over the window.
    pub target_rps: f64,
    /// Requests whose intended time fell in the window.
    pub scheduled: u64,
    /// Requests actually sent in the window.
    pub sent: u64,
    /// Requests that found no free connection.
    pub backlog: u64,
    /// Open model (saturation only applies there).
    pub open: bool,
}

/// p99 send lag above which a window is saturated.
pub const SATURATION_LAG_MS: f64 = 10.0;
/// Share of the scheduled requests that must be sent in a window.
pub const SATURATION_SENT_SHARE: f64 = 0.95;

/// Whole-run totals: the only histograms that live for the whole run.
pub struct Totals {
    all: Group,
    lag: Histogram<u64>,
    endpoints: Vec<Group>,
    variants: Vec<Group>,
    variant_names: Vec<String>,
    status: BTreeMap<u16, u64>,
    kinds: [u64; ErrorKind::ALL.len()],
    backlog: u64,
    windows: u32,
    saturated: u32,
    run: u32,
    longest_run: u32,
    max_lag_ms: f64,
}

impl Totals {
    /// Empty totals for `endpoints` endpoint names.
    pub fn new(endpoints: usize, max_lag_ms: f64) -> Self {
        Totals {
            max_lag_ms,
            all: Group::new(),
            lag: new_hist(),
            endpoints: (0..endpoints).map(|_| Group::new()).collect(),
            variants: Vec::new(),
            variant_names: Vec::new(),
            status: BTreeMap::new(),
            kinds: [0; ErrorKind::ALL.len()],
            backlog: 0,
            windows: 0,
            saturated: 0,
            run: 0,
            longest_run: 0,
        }
    }

    /// Turn a finished window into a [`Window`] and fold it into the totals.
    pub fn close_window(
        &mut self,
        w: &WindowAcc,
        names: &[String],
        variant_names: &[String],
        second: u32,
        elapsed_s: f64,
        pacing: Pacing,
    ) -> Window {
        let lag_p99_ms = ms(&w.lag, 0.99);
        let saturated = pacing.open
            && (lag_p99_ms > self.max_lag_ms
                || (pacing.scheduled >= 20
                    && (pacing.sent as f64) < SATURATION_SENT_SHARE * pacing.scheduled as f64));
        let window = Window {
            second,
            target_rps: pacing.target_rps,
            achieved_rps: if elapsed_s > 0.0 {
                w.all.requests as f64 / elapsed_s
            } else {
                0.0
            },
            requests: w.all.requests,
            errors: w.all.errors,
            p50_ms: ms(&w.all.corrected, 0.5),
            p95_ms: ms(&w.all.corrected, 0.95),
            p99_ms: ms(&w.all.corrected, 0.99),
            max_ms: if w.all.requests == 0 {
                0.0
            } else {
                w.all.corrected.max() as f64 / 1000.0
            },
            p99_uncorrected_ms: ms(&w.all.uncorrected, 0.99),
            lag_p99_ms,
            backlog: pacing.backlog,
            saturated,
            endpoints: w
                .endpoints
                .iter()
                .zip(names)
                .filter(|(g, _)| g.requests > 0)
                .map(|(g, n)| EndpointWindow {
                    name: n.clone(),
                    requests: g.requests,
                    errors: g.errors,
                    p50_ms: ms(&g.corrected, 0.5),
                    p95_ms: ms(&g.corrected, 0.95),
                    p99_ms: ms(&g.corrected, 0.99),
                })
                .collect(),
            variants: w
                .variants
                .iter()
                .zip(variant_names)
                .filter_map(|(g, n)| g.as_ref().filter(|g| g.requests > 0).map(|g| (g, n)))
                .map(|(g, n)| VariantWindow {
                    variant: n.clone(),
                    requests: g.requests,
                    errors: g.errors,
                    p50_ms: ms(&g.corrected, 0.5),
                    p95_ms: ms(&g.corrected, 0.95),
                    p99_ms: ms(&g.corrected, 0.99),
                })
                .collect(),
        };
        self.all.merge(&w.all);
        let _ = self.lag.add(&w.lag);
        for (t, g) in self.endpoints.iter_mut().zip(&w.endpoints) {
            t.merge(g);
        }
        for (i, g) in w.variants.iter().enumerate() {
            if let Some(g) = g {
                if self.variants.len() <= i {
                    self.variants.resize_with(i + 1, Group::new);
                }
                self.variants[i].merge(g);
            }
        }
        if self.variant_names.len() != variant_names.len() {
            self.variant_names = variant_names.to_vec();
        }
        for (k, v) in &w.status {
            *self.status.entry(*k).or_insert(0) += v;
        }
        for (t, k) in self.kinds.iter_mut().zip(w.kinds) {
            *t += k;
        }
        self.backlog += pacing.backlog;
        self.windows += 1;
        if saturated {
            self.saturated += 1;
            self.run += 1;
            self.longest_run = self.longest_run.max(self.run);
        } else {
            self.run = 0;
        }
        window
    }

    /// The whole-run summary.
    pub fn summary(
        &self,
        model: LoadModel,
        names: &[String],
        duration_s: f64,
        target_rps: f64,
        unsent: u64,
    ) -> Summary {
        let requests = self.all.requests;
        Summary {
            model,
            duration_s,
            requests,
            errors: self.all.errors,
            requests_per_sec: if duration_s > 0.0 {
                requests as f64 / duration_s
            } else {
                0.0
            },
            target_rps,
            success_rate: if requests > 0 {
                (requests - self.all.errors) as f64 / requests as f64
            } else {
                0.0
            },
            latency: percentiles(&self.all.corrected),
            uncorrected: percentiles(&self.all.uncorrected),
            lag: LagStats {
                p50_ms: ms(&self.lag, 0.5),
                p99_ms: ms(&self.lag, 0.99),
                max_ms: if self.lag.is_empty() {
                    0.0
                } else {
                    self.lag.max() as f64 / 1000.0
                },
                backlog: self.backlog,
                unsent,
            },
            windows: self.windows,
            saturated_windows: self.saturated,
            longest_saturation_s: self.longest_run,
            endpoints: self
                .endpoints
                .iter()
                .zip(names)
                .filter(|(g, _)| g.requests > 0)
                .map(|(g, n)| EndpointSummary {
                    name: n.clone(),
                    requests: g.requests,
                    errors: g.errors,
                    latency: percentiles(&g.corrected),
                    uncorrected: percentiles(&g.uncorrected),
                })
                .collect(),
            variants: self
                .variants
                .iter()
                .zip(&self.variant_names)
                .filter(|(g, _)| g.requests > 0)
                .map(|(g, n)| VariantSummary {
                    variant: n.clone(),
                    requests: g.requests,
                    errors: g.errors,
                    latency: percentiles(&g.corrected),
                })
                .collect(),
            status_codes: self.status.clone(),
            error_kinds: ErrorKind::ALL
                .iter()
                .zip(self.kinds)
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.as_str().to_string(), n))
                .collect(),
            histograms: self.histograms(names),
            stopped_early: None,
            tls_error: None,
            generator_faults: Vec::new(),
        }
    }

    /// All traffic's and each endpoint's corrected histogram, serialised.
    fn histograms(&self, names: &[String]) -> Vec<LatencyHistogram> {
        let mut out = Vec::new();
        let scopes = std::iter::once(("all", &self.all))
            .chain(names.iter().map(String::as_str).zip(&self.endpoints));
        for (scope, g) in scopes {
            if let Some(hdr_v2_base64) = encode_hist(&g.corrected) {
                out.push(LatencyHistogram {
                    scope: scope.to_string(),
                    hdr_v2_base64,
                });
            }
        }
        out
    }
}
