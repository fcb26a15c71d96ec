//! `[load.capacity]`: the required peak, the SLO, and the search's bounds.

use serde::{Deserialize, Serialize};

use crate::config::Problem;
use crate::load::threshold::Threshold;

/// `[load.capacity]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CapacityConfig {
    /// The peak the release must carry, requests per second.
    pub required_rps: f64,
    /// SLO lines, e.g. `["p99 < 300ms", "error_rate < 0.5%"]`.
    pub slo: Vec<String>,
    /// Never offer more than this (default: `load.max_rate`).
    pub max_rate: Option<f64>,
    /// Pass needs `required_rps * headroom`; between 1.0 and this is a warning.
    pub headroom: f64,
    /// First step's rate (default: a quarter of `required_rps`).
    pub start_rps: Option<f64>,
    /// Each ramp step multiplies the rate by this.
    pub step_factor: f64,
    /// How long each step is held, seconds.
    pub step_s: f64,
    /// Bisection steps between the last good and the first bad rate.
    pub bisect_steps: u32,
    /// Most steps in all (ramp, bisection and repeats).
    pub max_steps: u32,
    /// Safety bound: a step whose error rate exceeds this stops the search.
    pub max_error_rate: f64,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        CapacityConfig {
            required_rps: 0.0,
            slo: Vec::new(),
            max_rate: None,
            headroom: 1.3,
            start_rps: None,
            step_factor: 1.5,
            step_s: 10.0,
            bisect_steps: 4,
            max_steps: 20,
            max_error_rate: 0.2,
        }
    }
}

impl CapacityConfig {
    /// The first step's rate.
    pub fn start(&self, max_rate: f64) -> f64 {
        self.start_rps
            .unwrap_or((self.required_rps / 4.0).max(1.0))
            .min(max_rate)
    }

    /// Every problem, keys under `load.capacity.`; `load_max_rate` is the
    /// hard cap of `[load]`, which `max_rate` may not exceed.
    pub fn validate(&self, load_max_rate: f64) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut p = |k: &str, m: String, h: &str| {
            out.push(Problem::at(format!("load.capacity.{k}"), m, h.to_string()))
        };
        let pos = |x: f64| x.is_finite() && x > 0.0;
        if !pos(self.required_rps) {
            p(
                "required_rps",
                format!("must be above zero, got {}", self.required_rps),
                "the peak the release must carry, e.g. required_rps = 1200",
            );
        }
        if self.slo.is_empty() {
            p(
                "slo",
                "is empty: a capacity needs an SLO to hold".into(),
                "e.g. slo = [\"p99 < 300ms\", \"error_rate < 0.5%\"]",
            );
        }
        for (i, s) in self.slo.iter().enumerate() {
            if let Err(e) = Threshold::parse(s) {
                p(&format!("slo[{i}]"), e.message, &e.hint);
            }
        }
        if let Some(m) = self.max_rate {
            if !pos(m) {
                p(
                    "max_rate",
                    format!("must be above zero, got {m}"),
                    "e.g. max_rate = 5000",
                );
            } else if m > load_max_rate {
                p(
                    "max_rate",
                    format!("{m}/s is above load.max_rate {load_max_rate}/s"),
                    "lower it or raise load.max_rate",
                );
            }
        }
        if !(self.headroom.is_finite() && self.headroom >= 1.0) {
            p(
                "headroom",
                format!("must be 1.0 or more, got {}", self.headroom),
                "e.g. headroom = 1.3 (30% above the required peak)",
            );
        }
        if let Some(s) = self.start_rps
            && !pos(s)
        {
            p(
                "start_rps",
                format!("must be above zero, got {s}"),
                "e.g. start_rps = 100",
            );
        }
        if !(self.step_factor.is_finite() && self.step_factor > 1.0) {
            p(
                "step_factor",
                format!("must be above 1, got {}", self.step_factor),
                "e.g. step_factor = 1.5",
            );
        }
        if !pos(self.step_s) {
            p(
                "step_s",
                format!("must be above zero, got {}", self.step_s),
                "e.g. step_s = 10",
            );
        }
        if self.max_steps == 0 {
            p(
                "max_steps",
                "must be at least 1".into(),
                "e.g. max_steps = 20",
            );
        }
        if !(self.max_error_rate > 0.0 && self.max_error_rate <= 1.0) {
            p(
                "max_error_rate",
                format!("must be in (0, 1], got {}", self.max_error_rate),
                "e.g. max_error_rate = 0.2",
            );
        }
        out
    }
}
