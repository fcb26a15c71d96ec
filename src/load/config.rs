//! The `[load]` configuration section and its validation.
//!
//! Validation reports every problem at once, keys from the top, so that
//! `check-config` can print them all; [`crate::load::LoadPlan::from_config`]
//! refuses a config with any problem before a single request is sent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::plan;
use super::threshold::Threshold;
use crate::config::{Problem, as_if_filled};

/// `[load]`: what to send, how fast, for how long, and how to judge it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct LoadConfig {
    /// Base URL; request paths are appended to it, e.g. `http://127.0.0.1:8080`.
    pub target: String,
    /// Hosts other than loopback that may receive load. Exact names or IPs,
    /// or `*.example.com` for a domain and its subdomains.
    pub allow_hosts: Vec<String>,
    /// Closed model: this many connections send back to back. In the open
    /// model (`rate` or `stages` set) this is the connection pool size.
    pub connections: Option<u32>,
    /// Open model: requests per second, sent on an arrival schedule.
    pub rate: Option<f64>,
    /// Open model: a rate profile; its total length is the run duration.
    pub stages: Vec<RateStage>,
    /// Run length in seconds; defaults to the sum of `stages` or 10 s.
    pub duration_s: Option<f64>,
    /// Per-request timeout in milliseconds (connect + response).
    pub timeout_ms: u64,
    /// The weighted request mix; empty means `GET` on `target`.
    pub requests: Vec<RequestSpec>,
    /// A file of URLs (`URL` or `METHOD URL` per line) added to the mix.
    pub urls_file: Option<PathBuf>,
    /// A mix learned by `flightdeck load learn`: its `[[load.requests]]`
    /// join the mix, its `[[load.stages]]` apply when no rate or stages are
    /// set here, and its coverage goes into the stage's evidence.
    pub mix_file: Option<PathBuf>,
    /// Where a learned mix came from and how much of production it covers
    /// (written by `load learn`; read from `mix_file` when that is set).
    pub learned: Option<crate::load::learn::mixfile::LearnedMix>,
    /// Response header that names the variant that served a request.
    pub variant_header: String,
    /// Request header carrying a varied targeting key (e.g. `x-user-id`), so
    /// that a fractional flag rollout really splits the traffic.
    pub targeting_header: Option<String>,
    /// Closed model: pause between a response and the next request.
    pub think_time_ms: u64,
    /// Speak HTTP/2: with prior knowledge (h2c) over plain TCP; over HTTPS
    /// offered by ALPN (`h2`, falling back to `http/1.1` if the server picks it).
    pub http2: bool,
    /// Extra CA certificates (a PEM file) trusted for `https://` targets, on
    /// top of the Mozilla roots (webpki-roots). Use it for a private or test CA.
    pub ca_file: Option<PathBuf>,
    /// DANGER: accept ANY certificate on `https://` targets, without checking
    /// the issuer, the expiry or the host name. The traffic is encrypted but
    /// the server is NOT authenticated; anyone in the path can impersonate it.
    /// Only for throwaway test servers; prefer `ca_file`. Default false.
    pub insecure: bool,
    /// Hard cap: refuse any rate above this.
    pub max_rate: f64,
    /// Hard cap: refuse more connections than this; also the default open-model pool.
    pub max_connections: u32,
    /// Hard cap: refuse runs longer than this.
    pub max_duration_s: f64,
    /// A window whose send lag p99 exceeds this (ms) is saturated: the
    /// generator fell behind its schedule. Default 10; raise it on a shared
    /// or slow machine (the demo's `--quick` smoke profile uses 50).
    pub max_lag_ms: f64,
    /// Pass/fail criteria, e.g. `p95 < 300ms`, `checkout: error_rate < 1%`,
    /// `p99 < 1s over 10s`.
    pub thresholds: Vec<String>,
    /// Comparison with a saved baseline.
    pub baseline: BaselineOptions,
    /// Which engine sends the load: `builtin` (default) or `locust`.
    pub engine: super::locust::Engine,
    /// `[load.locust]`: workers, where they run, join timeout.
    pub locust: super::locust::LocustConfig,
    /// `[load.capacity]`: run a capacity search instead of the fixed profile.
    pub capacity: Option<crate::load::capacity::CapacityConfig>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            target: String::new(),
            allow_hosts: Vec::new(),
            connections: None,
            rate: None,
            stages: Vec::new(),
            duration_s: None,
            timeout_ms: 10_000,
            requests: Vec::new(),
            urls_file: None,
            mix_file: None,
            learned: None,
            variant_header: "x-variant".into(),
            targeting_header: None,
            think_time_ms: 0,
            http2: false,
            ca_file: None,
            insecure: false,
            max_rate: 20_000.0,
            max_connections: 512,
            max_duration_s: 3_600.0,
            max_lag_ms: crate::load::totals::SATURATION_LAG_MS,
            thresholds: Vec::new(),
            baseline: BaselineOptions::default(),
            engine: super::locust::Engine::default(),
            locust: super::locust::LocustConfig::default(),
            capacity: None,
        }
    }
}

/// One segment of an open-model rate profile (`kind = "ramp"` etc.).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RateStage {
    /// Linear change from `from` to `to` requests/s over `duration_s`.
    Ramp {
        /// Rate at the start of the stage.
        from: f64,
        /// Rate at the end of the stage.
        to: f64,
        /// Length in seconds.
        duration_s: f64,
    },
    /// Keep the rate where the previous stage ended (or `load.rate`).
    Hold {
        /// Length in seconds.
        duration_s: f64,
    },
    /// Jump to `to` requests/s and stay there.
    Step {
        /// The new rate.
        to: f64,
        /// Length in seconds.
        duration_s: f64,
    },
    /// `base + amplitude * sin(2π t / period_s)`.
    Sine {
        /// Mean rate.
        base: f64,
        /// Swing either side of `base`; must not exceed it.
        amplitude: f64,
        /// Period in seconds.
        period_s: f64,
        /// Length in seconds.
        duration_s: f64,
    },
}

impl RateStage {
    /// Length of the stage in seconds.
    pub fn duration_s(&self) -> f64 {
        match self {
            RateStage::Ramp { duration_s, .. }
            | RateStage::Hold { duration_s }
            | RateStage::Step { duration_s, .. }
            | RateStage::Sine { duration_s, .. } => *duration_s,
        }
    }
}

/// One entry of the weighted request mix.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct RequestSpec {
    /// Endpoint name used in per-endpoint statistics and thresholds.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Path appended to `target`, or a full `http(s)://` URL.
    pub path: String,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Request body, sent as is.
    pub body: Option<String>,
    /// Relative weight in the mix.
    pub weight: u32,
}

impl Default for RequestSpec {
    fn default() -> Self {
        RequestSpec {
            name: String::new(),
            method: "GET".into(),
            path: "/".into(),
            headers: BTreeMap::new(),
            body: None,
            weight: 1,
        }
    }
}

/// `[load.baseline]`: how a run is compared with a saved one.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct BaselineOptions {
    /// Scenario name under which the baseline is kept; empty disables comparison.
    pub scenario: String,
    /// Save this run as the new baseline when it passes.
    pub save: bool,
    /// p95 may not rise more than this many percent.
    pub max_rise_pct: f64,
    /// ...nor by more than this many milliseconds (both must be exceeded).
    pub min_abs_ms: f64,
    /// Significance level of the Mann-Whitney U test on per-window p95.
    pub alpha: f64,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        BaselineOptions {
            scenario: String::new(),
            save: false,
            max_rise_pct: 10.0,
            min_abs_ms: 2.0,
            alpha: 0.05,
        }
    }
}

/// True for a finite number above zero (false for NaN).
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

impl LoadConfig {
    /// The run length: `duration_s`, else the sum of the stages, else 10 s.
    pub fn effective_duration_s(&self) -> f64 {
        if let Some(d) = self.duration_s {
            d
        } else if !self.stages.is_empty() {
            self.stages.iter().map(RateStage::duration_s).sum()
        } else {
            10.0
        }
    }

    /// True when requests follow an arrival schedule (open model).
    pub fn is_open_model(&self) -> bool {
        self.rate.is_some() || !self.stages.is_empty()
    }

    /// This section with its `mix_file` merged in: the file's requests
    /// after the ones written here, its stages when none are set here (and
    /// no `rate`), its `[load.learned]` when none is written here.
    pub fn with_mix_file(&self) -> Result<LoadConfig, Problem> {
        let Some(path) = &self.mix_file else {
            return Ok(self.clone());
        };
        let file = crate::load::learn::mixfile::MixFile::read(path).map_err(|e| {
            Problem::at(
                "load.mix_file",
                e,
                "run `flightdeck load learn ACCESS_LOG --write FILE` or fix the path".to_string(),
            )
        })?;
        let mut out = self.clone();
        out.requests
            .extend(file.load.requests.into_iter().map(RequestSpec::from));
        if out.stages.is_empty() && out.rate.is_none() {
            out.stages = file.load.stages;
        }
        if out.learned.is_none() {
            out.learned = file.load.learned;
        }
        out.mix_file = None;
        Ok(out)
    }

    /// Every problem in this section at once, every key under `load.`.
    /// Reads `urls_file` if set (so that a malformed line is reported with
    /// its number) but sends nothing. A target holding a demo placeholder is
    /// checked as the URL the demo will put there.
    pub fn validate(&self) -> Vec<Problem> {
        let merged = match self.with_mix_file() {
            Ok(m) => m,
            Err(p) => return vec![p],
        };
        let filled = LoadConfig {
            target: as_if_filled(&merged.target),
            ..merged
        };
        let mut out = Vec::new();
        filled.check_numbers(&mut out);
        for (i, t) in filled.thresholds.iter().enumerate() {
            if let Err(e) = Threshold::parse(t) {
                out.push(Problem::at(
                    format!("load.thresholds[{i}]"),
                    e.message,
                    e.hint,
                ));
            }
        }
        if filled.engine == super::locust::Engine::Locust {
            out.extend(filled.locust.validate_with(super::locust::LoadFeatures {
                http2: filled.http2,
                ca_file: filled.ca_file.is_some(),
                capacity: filled.capacity.is_some(),
            }));
        }
        if let Some(c) = &filled.capacity {
            out.extend(c.validate(filled.max_rate));
        }
        let mut errors = Vec::new();
        plan::build_mix(&filled, &mut errors);
        for e in errors {
            out.push(plan::problem_of(&e));
        }
        // A host refused in the URL file is named by its line (`urls.txt:3`).
        for p in &mut out {
            if !p.key.starts_with("load.") {
                p.key = format!("load.{}", p.key);
            }
        }
        out
    }

    fn check_numbers(&self, out: &mut Vec<Problem>) {
        let mut p =
            |k: &str, m: String, h: String| out.push(Problem::at(format!("load.{k}"), m, h));
        if !positive(self.max_rate) {
            p(
                "max_rate",
                format!("must be above zero, got {}", self.max_rate),
                "e.g. max_rate = 20000".into(),
            );
        }
        if let Some(r) = self.rate {
            if !positive(r) {
                p(
                    "rate",
                    format!("must be above zero, got {r}"),
                    "write a rate in requests per second, e.g. rate = 100".into(),
                );
            } else if r > self.max_rate {
                p(
                    "rate",
                    format!("{r}/s is above max_rate {}/s", self.max_rate),
                    "lower the rate or raise load.max_rate".into(),
                );
            }
        }
        for (i, s) in self.stages.iter().enumerate() {
            let k = format!("stages[{i}]");
            let d = s.duration_s();
            if !positive(d) {
                p(
                    &format!("{k}.duration_s"),
                    format!("must be above zero, got {d}"),
                    "e.g. duration_s = 30".into(),
                );
            }
            let (lo, hi) = match s {
                RateStage::Ramp { from, to, .. } => (from.min(*to), from.max(*to)),
                RateStage::Hold { .. } => (0.0, 0.0),
                RateStage::Step { to, .. } => (*to, *to),
                RateStage::Sine {
                    base,
                    amplitude,
                    period_s,
                    ..
                } => {
                    if !positive(*period_s) {
                        p(
                            &format!("{k}.period_s"),
                            format!("must be above zero, got {period_s}"),
                            "e.g. period_s = 60".into(),
                        );
                    }
                    (base - amplitude.abs(), base + amplitude.abs())
                }
            };
            if lo < 0.0 || !lo.is_finite() {
                p(&k, format!("rate goes below zero ({lo})"), "rates are requests per second, zero or more; for a sine keep amplitude <= base".into());
            }
            if hi > self.max_rate {
                p(
                    &k,
                    format!("rate reaches {hi}/s, above max_rate {}/s", self.max_rate),
                    "lower the stage or raise load.max_rate".into(),
                );
            }
        }
        if let Some(RateStage::Hold { .. }) = self.stages.first()
            && self.rate.is_none()
        {
            p(
                "stages[0]",
                "a hold stage first needs a rate to hold".into(),
                "set load.rate or start with a step or ramp".into(),
            );
        }
        if self.is_open_model()
            && self
                .stages
                .iter()
                .all(|s| matches!(s, RateStage::Hold { .. }))
            && self.rate.is_none()
            && !self.stages.is_empty()
        {
            p(
                "stages",
                "hold stages alone have no rate".into(),
                "set load.rate".into(),
            );
        }
        let d = self.effective_duration_s();
        if !positive(d) {
            p(
                "duration_s",
                format!("must be above zero, got {d}"),
                "e.g. duration_s = 30".into(),
            );
        } else if d > self.max_duration_s {
            p(
                "duration_s",
                format!("{d} s is above max_duration_s {} s", self.max_duration_s),
                "shorten the run or raise load.max_duration_s".into(),
            );
        }
        if self.max_connections == 0 {
            p(
                "max_connections",
                "must be at least 1".into(),
                "e.g. max_connections = 512".into(),
            );
        }
        if let Some(c) = self.connections {
            if c == 0 {
                p(
                    "connections",
                    "must be at least 1".into(),
                    "e.g. connections = 10".into(),
                );
            } else if c > self.max_connections {
                p(
                    "connections",
                    format!("{c} is above max_connections {}", self.max_connections),
                    "lower connections or raise load.max_connections".into(),
                );
            }
        }
        if self.timeout_ms == 0 {
            p(
                "timeout_ms",
                "must be above zero".into(),
                "e.g. timeout_ms = 10000".into(),
            );
        }
        if self.variant_header.trim().is_empty()
            || http::HeaderName::from_bytes(self.variant_header.as_bytes()).is_err()
        {
            p(
                "variant_header",
                format!("\"{}\" is not a header name", self.variant_header),
                "e.g. variant_header = \"x-variant\"".into(),
            );
        }
        if let Some(h) = &self.targeting_header
            && http::HeaderName::from_bytes(h.as_bytes()).is_err()
        {
            p(
                "targeting_header",
                format!("\"{h}\" is not a header name"),
                "e.g. targeting_header = \"x-user-id\"".into(),
            );
        }
        if !(self.baseline.max_rise_pct.is_finite() && self.baseline.max_rise_pct >= 0.0) {
            p(
                "baseline.max_rise_pct",
                "must be zero or more".into(),
                "e.g. max_rise_pct = 10".into(),
            );
        }
        if !(self.baseline.alpha > 0.0 && self.baseline.alpha < 1.0) {
            p(
                "baseline.alpha",
                format!("must be between 0 and 1, got {}", self.baseline.alpha),
                "e.g. alpha = 0.05".into(),
            );
        }
    }
}
