//! A [`LoadPlan`]: a validated, resolved [`LoadConfig`], ready to run.
//!
//! Building a plan checks every URL against the allow-list before anything
//! is resolved or sent, and enforces the hard caps.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HOST, HeaderName, HeaderValue};
use http::{HeaderMap, Method};

use super::config::LoadConfig;
use super::error::LoadError;
use super::schedule::RateProfile;
use super::target::{Origin, Scheme};
use super::threshold::Threshold;

/// Distinct endpoint names tracked separately; the rest share `other`, so
/// that a long URL list cannot grow memory without bound.
pub const MAX_ENDPOINT_NAMES: usize = 64;

/// How requests are paced.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// `connections` connections each send back to back, pausing `think_time`.
    Closed {
        /// Number of connections.
        connections: u32,
        /// Pause between a response and the next request.
        think_time: Duration,
    },
    /// Requests follow `profile`; up to `pool` connections serve it.
    Open {
        /// Target rate over time.
        profile: RateProfile,
        /// Connection pool size.
        pool: u32,
    },
}

/// One resolved entry of the request mix.
#[derive(Clone, Debug)]
pub struct MixEntry {
    /// Index into [`LoadPlan::endpoint_names`].
    pub endpoint: usize,
    /// Index into [`LoadPlan::origins`].
    pub origin: usize,
    /// Method.
    pub method: Method,
    /// Origin-form request target (`/path?query`).
    pub uri: http::Uri,
    /// Headers, including `Host`.
    pub headers: HeaderMap,
    /// Body (empty for none).
    pub body: Bytes,
    /// Relative weight.
    pub weight: u32,
}

/// Everything the runner needs.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    /// Pacing.
    pub model: Model,
    /// Run length.
    pub duration: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// The request mix.
    pub mix: Vec<MixEntry>,
    /// Connection targets.
    pub origins: Vec<Origin>,
    /// Distinct endpoint names.
    pub endpoint_names: Vec<String>,
    /// Response header naming the variant.
    pub variant_header: HeaderName,
    /// Request header with a varied targeting key.
    pub targeting_header: Option<HeaderName>,
    /// Speak HTTP/2 (prior knowledge over TCP, ALPN over TLS).
    pub http2: bool,
    /// TLS client configuration, present when an origin is `https://`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The allow-list, kept to re-check resolved addresses.
    pub allow_hosts: Vec<String>,
    /// Sliding-window thresholds that stop the run when breached.
    pub abort_on: Vec<Threshold>,
    /// Send lag p99 (ms) above which a window counts as saturated.
    pub max_lag_ms: f64,
    /// Speak HTTP/1.1 through hyper rather than the lean path: when a
    /// request needs it (a user-set `Transfer-Encoding` or `Expect`), or
    /// when `FLIGHTDECK_LOAD_ENGINE=hyper` (to compare the two).
    pub hyper_h1: bool,
}

impl LoadPlan {
    /// Validate and resolve a config. Nothing is sent and no name is resolved.
    pub fn from_config(cfg: &LoadConfig) -> Result<LoadPlan, LoadError> {
        let merged = cfg.with_mix_file().map_err(|p| {
            LoadError::Invalid(vec![format!("{}: {} ({})", p.key, p.message, p.hint)])
        })?;
        let cfg = &merged;
        let mut errors = Vec::new();
        let entries = build_mix(cfg, &mut errors);
        if let Some(first) = errors.into_iter().next() {
            return Err(first);
        }
        let problems = cfg.validate();
        if !problems.is_empty() {
            return Err(LoadError::Invalid(
                problems
                    .into_iter()
                    .map(|p| format!("{}: {} ({})", p.key, p.message, p.hint))
                    .collect(),
            ));
        }
        let mut abort_on = Vec::new();
        for (i, t) in cfg.thresholds.iter().enumerate() {
            let th = Threshold::parse(t).map_err(|e| {
                LoadError::Threshold(format!("load.thresholds[{i}]: {}", e.message))
            })?;
            if th.over_s.is_some() {
                abort_on.push(th);
            }
        }
        let duration_s = cfg.effective_duration_s();
        let model = if cfg.is_open_model() {
            Model::Open {
                profile: RateProfile::from_stages(cfg.rate, &cfg.stages, duration_s),
                pool: cfg.connections.unwrap_or(cfg.max_connections),
            }
        } else {
            Model::Closed {
                connections: cfg.connections.unwrap_or(10).min(cfg.max_connections),
                think_time: Duration::from_millis(cfg.think_time_ms),
            }
        };
        let mut origins: Vec<Origin> = Vec::new();
        let mut endpoint_names: Vec<String> = Vec::new();
        let mut mix = Vec::new();
        for e in entries {
            let origin = index_of(&mut origins, e.url.origin.clone());
            let endpoint = if endpoint_names.len() >= MAX_ENDPOINT_NAMES
                && !endpoint_names.contains(&e.name)
            {
                index_of(&mut endpoint_names, "other".to_string())
            } else {
                index_of(&mut endpoint_names, e.name)
            };
            let mut headers = e.headers;
            let host = HeaderValue::from_str(&e.url.origin.authority)
                .map_err(|_| LoadError::Setup(format!("bad host {}", e.url.origin.authority)))?;
            headers.insert(HOST, host);
            let uri: http::Uri =
                e.url
                    .path_and_query
                    .parse()
                    .map_err(|err: http::uri::InvalidUri| LoadError::BadUrl {
                        field: "load.requests".into(),
                        url: e.url.path_and_query.clone(),
                        reason: err.to_string(),
                    })?;
            mix.push(MixEntry {
                endpoint,
                origin,
                method: e.method,
                uri,
                headers,
                body: e.body,
                weight: e.weight,
            });
        }
        let tls = if origins.iter().any(|o| o.scheme == Scheme::Https) {
            Some(super::tls::client_config(
                cfg.ca_file.as_deref(),
                cfg.insecure,
                cfg.http2,
            )?)
        } else {
            None
        };
        let hyper_h1 = std::env::var("FLIGHTDECK_LOAD_ENGINE").is_ok_and(|v| v == "hyper")
            || !mix
                .iter()
                .all(|m| super::lean::WireRequest::supports(&m.headers));
        Ok(LoadPlan {
            model,
            duration: Duration::from_secs_f64(duration_s),
            timeout: Duration::from_millis(cfg.timeout_ms),
            mix,
            origins,
            endpoint_names,
            variant_header: HeaderName::from_bytes(cfg.variant_header.as_bytes())
                .unwrap_or(HeaderName::from_static("x-variant")),
            targeting_header: cfg
                .targeting_header
                .as_ref()
                .and_then(|h| HeaderName::from_bytes(h.as_bytes()).ok()),
            http2: cfg.http2,
            tls,
            allow_hosts: cfg.allow_hosts.clone(),
            abort_on,
            max_lag_ms: cfg.max_lag_ms,
            hyper_h1,
        })
    }

    /// Cumulative weights for picking from the mix.
    pub fn cumulative_weights(&self) -> Vec<u64> {
        let mut acc = 0u64;
        self.mix
            .iter()
            .map(|m| {
                acc += u64::from(m.weight);
                acc
            })
            .collect()
    }
}

fn index_of<T: PartialEq>(v: &mut Vec<T>, item: T) -> usize {
    match v.iter().position(|x| *x == item) {
        Some(i) => i,
        None => {
            v.push(item);
            v.len() - 1
        }
    }
}

#[path = "plan_mix.rs"]
mod mix;
pub(crate) use mix::{build_mix, coverage_evidence, problem_of};
