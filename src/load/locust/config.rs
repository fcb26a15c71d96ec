//! `[load.locust]`: how many Locust workers, where they run, how long they
//! may take to join, and whether a run may go on with fewer.

use serde::{Deserialize, Serialize};

use crate::config::Problem;

/// Which engine sends the load.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// Flightdeck's own engine, in this process.
    #[default]
    Builtin,
    /// A Locust master and workers that Flightdeck starts and reads.
    Locust,
}

impl Engine {
    /// The name used in config and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Builtin => "builtin",
            Engine::Locust => "locust",
        }
    }
}

/// One worker host: a label and the argv that starts a Locust worker there.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerHost {
    /// Name shown in the pane and in reasons (e.g. `gen-1`).
    pub name: String,
    /// Argv with placeholders `{master_host}`, `{master_port}`, `{label}`,
    /// `{locust}` (the local program) and `{locustfile}` (the local path, for
    /// a shared filesystem), e.g. `["ssh", "gen-1", "env", "FLIGHTDECK_LOCUST_WORKER={label}",
    /// "locust", "-f", "-", "--worker", "--master-host", "{master_host}",
    /// "--master-port", "{master_port}"]`. Workers fetch the locustfile from
    /// the master (`-f -`); Flightdeck copies nothing anywhere.
    pub command: Vec<String>,
}

/// `[load.locust]`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LocustConfig {
    /// Local worker processes (ignored when `hosts` is set: one worker per host).
    pub workers: u32,
    /// Seconds to wait for every worker to join before the run is
    /// inconclusive, naming the missing ones.
    pub join_timeout_s: f64,
    /// Workers that may be lost mid-run before the verdict becomes
    /// inconclusive (default 0: any lost worker makes it inconclusive).
    pub allow_fewer: u32,
    /// Address the master binds its worker port to (127.0.0.1 unless remote
    /// workers must reach it).
    pub master_bind: String,
    /// Address remote workers use to reach the master (`{master_host}`).
    pub master_host: String,
    /// Remote workers, each started by its own command.
    pub hosts: Vec<WorkerHost>,
}

impl Default for LocustConfig {
    fn default() -> Self {
        LocustConfig {
            workers: 2,
            join_timeout_s: 15.0,
            allow_fewer: 0,
            master_bind: "127.0.0.1".into(),
            master_host: "127.0.0.1".into(),
            hosts: Vec::new(),
        }
    }
}

/// Most workers one run may start.
pub const MAX_WORKERS: u32 = 256;

impl LocustConfig {
    /// How many workers the run expects.
    pub fn expected_workers(&self) -> u32 {
        if self.hosts.is_empty() {
            self.workers
        } else {
            self.hosts.len() as u32
        }
    }

    /// The worker labels, in start order.
    pub fn labels(&self) -> Vec<String> {
        if self.hosts.is_empty() {
            (1..=self.workers).map(|i| format!("local-{i}")).collect()
        } else {
            self.hosts.iter().map(|h| h.name.clone()).collect()
        }
    }

    /// Every problem under `load.locust.` at once.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let n = self.expected_workers();
        if n == 0 || n > MAX_WORKERS {
            out.push(Problem::at(
                "load.locust.workers",
                format!("must be between 1 and {MAX_WORKERS}, got {n}"),
                "e.g. workers = 2",
            ));
        }
        if !(self.join_timeout_s.is_finite() && self.join_timeout_s > 0.0) {
            out.push(Problem::at(
                "load.locust.join_timeout_s",
                format!("must be above zero, got {}", self.join_timeout_s),
                "e.g. join_timeout_s = 15",
            ));
        }
        if self.allow_fewer >= n.max(1) {
            out.push(Problem::at(
                "load.locust.allow_fewer",
                format!(
                    "{} would allow losing every one of {n} workers",
                    self.allow_fewer
                ),
                "keep it below the number of workers",
            ));
        }
        if self.master_bind.parse::<std::net::IpAddr>().is_err() {
            out.push(Problem::at(
                "load.locust.master_bind",
                format!("\"{}\" is not an IP address", self.master_bind),
                "e.g. master_bind = \"127.0.0.1\"",
            ));
        }
        for (i, h) in self.hosts.iter().enumerate() {
            if h.name.trim().is_empty() {
                out.push(Problem::at(
                    format!("load.locust.hosts[{i}].name"),
                    "is empty",
                    "name each worker host, e.g. name = \"gen-1\"",
                ));
            }
            if h.command.is_empty() {
                out.push(Problem::at(
                    format!("load.locust.hosts[{i}].command"),
                    "is empty",
                    "an argv that starts a worker, e.g. [\"ssh\", \"gen-1\", \"locust\", \"-f\", \"-\", \"--worker\", \"--master-host\", \"{master_host}\", \"--master-port\", \"{master_port}\"]",
                ));
            }
        }
        out
    }
}

/// What a load config asks of its engine that Locust cannot give.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadFeatures {
    /// `load.http2`.
    pub http2: bool,
    /// `load.ca_file` is set.
    pub ca_file: bool,
    /// `[load.capacity]` is set.
    pub capacity: bool,
}

impl LocustConfig {
    /// [`LocustConfig::validate`], plus what the rest of `[load]` asks that
    /// the Locust engine does not do.
    pub fn validate_with(&self, asks: LoadFeatures) -> Vec<Problem> {
        let mut out = self.validate();
        if asks.http2 {
            out.push(Problem::at(
                "load.http2",
                "the Locust engine speaks HTTP/1.1 only (FastHttpUser)",
                "remove http2 or use engine = \"builtin\"",
            ));
        }
        if asks.ca_file {
            out.push(Problem::at(
                "load.ca_file",
                "the Locust engine does not take a CA file",
                "trust the CA on the worker hosts, or use engine = \"builtin\"",
            ));
        }
        if asks.capacity {
            out.push(Problem::at(
                "load.capacity",
                "the capacity search steps the built-in engine's open-model rate; it does not drive Locust",
                "remove [load.capacity] or use engine = \"builtin\"",
            ));
        }
        out
    }
}
