//! The generated locustfile: the run's data (request mix, headers, bodies,
//! targeting header, pacing, users, length) as one JSON document, followed
//! by Flightdeck's fixed Python part (`locustfile.py`): a `FastHttpUser`,
//! the pacing, a `LoadTestShape` that ends the run, the response-time
//! bucketing at three significant digits, and the per-second reporter.
//!
//! One self-contained file, so that remote workers can fetch it from the
//! master (`locust -f - --worker`) and nothing is copied anywhere.

use serde::Serialize;

use crate::load::plan::{LoadPlan, Model};
use crate::load::schedule::{RateProfile, Segment};
use crate::load::target::Scheme;

/// The fixed Python part.
const FIXED: &str = include_str!("locustfile.py");

/// One entry of the request mix, as the locustfile reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MixItem {
    /// Endpoint name (Locust's request `name`, Flightdeck's endpoint).
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers, `Host` excluded (Locust sets it from the URL).
    pub headers: std::collections::BTreeMap<String, String>,
    /// Body, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Relative weight.
    pub weight: u32,
}

/// Everything the locustfile needs, serialised into it.
#[derive(Clone, Debug, Serialize)]
pub struct LocustPlan {
    /// `closed` or `open`.
    pub model: &'static str,
    /// Locust users across all workers.
    pub users: u32,
    /// Run length, seconds (the shape stops the run then).
    pub duration_s: f64,
    /// After the run length (or a stop), seconds with no users before the
    /// master quits: requests in flight finish and workers report them.
    pub drain_s: f64,
    /// Per-request timeout, seconds.
    pub timeout_s: f64,
    /// Closed model: wait between a response and the next request.
    pub think_time_s: f64,
    /// The base URL (`FastHttpUser.host`).
    pub host: String,
    /// Accept any certificate (`load.insecure`).
    pub insecure: bool,
    /// Response header naming the variant.
    pub variant_header: String,
    /// Request header carrying a varied targeting key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targeting_header: Option<String>,
    /// Open model: the total rate over time.
    pub profile: Vec<Segment>,
    /// The weighted request mix.
    pub mix: Vec<MixItem>,
}

/// Open model: how many Locust users share the arrival schedule when
/// `load.connections` does not say. Each user paces itself, so a pool
/// larger than the rate needs costs nothing but memory.
const DEFAULT_OPEN_USERS: u32 = 64;

impl LocustPlan {
    /// The locustfile data for `plan`; `workers` is only a floor for users,
    /// so that every worker has at least one.
    pub fn from_plan(plan: &LoadPlan, insecure: bool, workers: u32) -> LocustPlan {
        let (model, users, think, profile) = match &plan.model {
            Model::Closed {
                connections,
                think_time,
            } => ("closed", *connections, think_time.as_secs_f64(), Vec::new()),
            Model::Open { profile, pool } => (
                "open",
                open_users(profile, *pool),
                0.0,
                profile.segments().to_vec(),
            ),
        };
        let base = |i: usize| {
            plan.origins
                .get(i)
                .map(|o| {
                    let scheme = match o.scheme {
                        Scheme::Http => "http",
                        Scheme::Https => "https",
                    };
                    let host = if o.host.contains(':') {
                        format!("[{}]", o.host)
                    } else {
                        o.host.clone()
                    };
                    format!("{scheme}://{host}:{}", o.port)
                })
                .unwrap_or_default()
        };
        let mix = plan
            .mix
            .iter()
            .map(|m| MixItem {
                name: plan
                    .endpoint_names
                    .get(m.endpoint)
                    .cloned()
                    .unwrap_or_default(),
                method: m.method.as_str().to_string(),
                url: format!("{}{}", base(m.origin), m.uri),
                headers: m
                    .headers
                    .iter()
                    .filter(|(k, _)| *k != http::header::HOST)
                    .map(|(k, v)| {
                        (
                            k.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: (!m.body.is_empty()).then(|| String::from_utf8_lossy(&m.body).into_owned()),
                weight: m.weight,
            })
            .collect();
        LocustPlan {
            model,
            users: users.max(workers).max(1),
            duration_s: plan.duration.as_secs_f64(),
            drain_s: plan.timeout.as_secs_f64().clamp(1.0, 5.0) + 1.0,
            timeout_s: plan.timeout.as_secs_f64(),
            think_time_s: think,
            host: base(0),
            insecure,
            variant_header: plan.variant_header.as_str().to_string(),
            targeting_header: plan
                .targeting_header
                .as_ref()
                .map(|h| h.as_str().to_string()),
            profile,
            mix,
        }
    }

    /// The whole locustfile: a header, the data, the fixed part.
    pub fn render(&self) -> String {
        let data = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        // A JSON string literal is a valid Python string literal (serde_json
        // emits only escapes both languages share), so the data needs no
        // other quoting.
        let literal = serde_json::to_string(&data).unwrap_or_else(|_| "\"{}\"".into());
        format!(
            "# Generated by Flightdeck for one load run from the [load] config; it is\n\
             # rewritten every run. Locust {} or newer.\n\
             import json\n\nCONFIG = json.loads({literal})\n\n{FIXED}",
            super::binary::REQUIRED_VERSION
        )
    }
}

/// Open-model users: `load.connections` when set (the pool), else enough
/// for the peak rate at a few requests per user per second.
fn open_users(profile: &RateProfile, pool: u32) -> u32 {
    let peak = profile.peak_rate();
    let wanted = (peak / 4.0).ceil() as u32;
    pool.min(wanted.max(DEFAULT_OPEN_USERS.min(pool)))
}

#[cfg(test)]
#[path = "locustfile_tests.rs"]
mod tests;
