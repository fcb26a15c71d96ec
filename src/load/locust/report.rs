//! Reading the master's report file: one JSON line per message the
//! generated locustfile's reporter wrote (`hello` from each worker, a
//! `window` per worker per wall-clock second, `workers` from the master every
//! second), turned into Flightdeck's per-second [`WindowAcc`]s with
//! `record_n` and into the worker pool.
//!
//! Only complete lines are read; a line that is not what the reporter writes
//! is a fault naming the file and line, never a panic.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::core::load::{WorkerInfo, WorkerPool};
use crate::load::stats::{ErrorKind, Group, HIST_MAX_US, WindowAcc, variant_index};

/// One endpoint's second, as a worker reports it.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct EndpointSecond {
    n: u64,
    f: u64,
    rt: BTreeMap<String, u64>,
    status: BTreeMap<String, u64>,
    kinds: BTreeMap<String, u64>,
    variants: BTreeMap<String, VariantSecond>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct VariantSecond {
    n: u64,
    f: u64,
    rt: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct MasterWorker {
    id: String,
    state: String,
    #[serde(default)]
    cpu: Option<f64>,
    #[serde(default)]
    cpu_warning: bool,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Hello {
        label: String,
        client_id: String,
    },
    Window {
        sec: i64,
        endpoints: BTreeMap<String, EndpointSecond>,
    },
    Workers {
        state: String,
        workers: Vec<MasterWorker>,
    },
}

/// What the report file has said so far.
pub struct Report {
    path: PathBuf,
    offset: u64,
    line_no: usize,
    partial: Vec<u8>,
    names: Vec<String>,
    /// Open seconds (epoch second -> window).
    pub seconds: BTreeMap<i64, WindowAcc>,
    /// Variant names the windows' variant indices refer to.
    pub variant_names: Vec<String>,
    labels: Vec<String>,
    client_label: HashMap<String, String>,
    /// Per expected label: (state, cpu, cpu warning, ever joined).
    states: BTreeMap<String, (String, f64, bool, bool)>,
    /// The master's own state (`ready`, `spawning`, `running`, `stopped`).
    pub master_state: String,
    /// Problems with the file itself.
    pub faults: Vec<String>,
    /// Requests reported under a name the plan does not know.
    pub unknown_names: u64,
}

impl Report {
    /// A reader of `path` for a run with endpoint `names` and worker `labels`.
    pub fn new(path: &Path, names: &[String], labels: &[String]) -> Report {
        Report {
            path: path.to_path_buf(),
            offset: 0,
            line_no: 0,
            partial: Vec::new(),
            names: names.to_vec(),
            seconds: BTreeMap::new(),
            variant_names: Vec::new(),
            labels: labels.to_vec(),
            client_label: HashMap::new(),
            states: labels
                .iter()
                .map(|l| (l.clone(), ("waiting".to_string(), 0.0, false, false)))
                .collect(),
            master_state: String::new(),
            faults: Vec::new(),
            unknown_names: 0,
        }
    }

    /// Read what was appended since the last call (complete lines only).
    pub fn poll(&mut self) {
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return;
        };
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut buf = Vec::new();
        if f.read_to_end(&mut buf).is_err() {
            return;
        }
        self.offset += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let Some(end) = self.partial.iter().rposition(|b| *b == b'\n') else {
            return;
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        for raw in complete.split(|b| *b == b'\n') {
            if raw.is_empty() {
                continue;
            }
            self.line_no += 1;
            self.feed(raw);
        }
    }

    /// Take one line.
    pub fn feed(&mut self, raw: &[u8]) {
        match serde_json::from_slice::<Line>(raw) {
            Ok(Line::Hello { label, client_id }) => {
                let label = self.known_label(&label);
                self.client_label.insert(client_id, label.clone());
                let e = self
                    .states
                    .entry(label)
                    .or_insert_with(|| ("waiting".into(), 0.0, false, false));
                e.3 = true;
                if e.0 == "waiting" {
                    e.0 = "ready".into();
                }
            }
            Ok(Line::Window { sec, endpoints }) => self.add_window(sec, endpoints),
            Ok(Line::Workers { state, workers }) => {
                self.master_state = state;
                let mut seen = Vec::new();
                for w in workers {
                    let Some(label) = self.client_label.get(&w.id).cloned() else {
                        continue;
                    };
                    seen.push(label.clone());
                    let e = self
                        .states
                        .entry(label)
                        .or_insert_with(|| ("waiting".into(), 0.0, false, false));
                    e.0 = w.state;
                    e.1 = w.cpu.unwrap_or(0.0);
                    e.2 |= w.cpu_warning;
                    e.3 = true;
                }
                // A worker the master no longer lists left the swarm: lost
                // while the test runs, else it quit with the master.
                let running = matches!(self.master_state.as_str(), "running" | "spawning");
                for (label, e) in self.states.iter_mut() {
                    if e.3 && !seen.contains(label) && !matches!(e.0.as_str(), "lost" | "exited") {
                        e.0 = if running { "lost" } else { "stopped" }.into();
                    }
                }
            }
            Err(e) => {
                if self.faults.len() < 5 {
                    self.faults.push(format!(
                        "Locust master report {} line {}: not what the reporter writes ({e})",
                        self.path.display(),
                        self.line_no
                    ));
                }
            }
        }
    }

    /// A label as configured, or the reported one when it is unknown (a
    /// remote worker whose environment did not carry its label).
    fn known_label(&self, label: &str) -> String {
        if self.labels.iter().any(|l| l == label) {
            return label.to_string();
        }
        // The first configured label not yet taken by a hello.
        self.labels
            .iter()
            .find(|l| !self.client_label.values().any(|v| v == *l))
            .cloned()
            .unwrap_or_else(|| label.to_string())
    }

    fn add_window(&mut self, sec: i64, endpoints: BTreeMap<String, EndpointSecond>) {
        let n = self.names.len();
        let acc = self.seconds.entry(sec).or_insert_with(|| WindowAcc::new(n));
        for (name, e) in endpoints {
            let Some(idx) = self.names.iter().position(|x| *x == name) else {
                self.unknown_names += e.n;
                continue;
            };
            acc.all.requests += e.n;
            acc.all.errors += e.f;
            acc.endpoints[idx].requests += e.n;
            acc.endpoints[idx].errors += e.f;
            for (k, count) in &e.rt {
                let us = micros(k);
                record(&mut acc.all, us, *count);
                record(&mut acc.endpoints[idx], us, *count);
            }
            for (code, count) in &e.status {
                if let Ok(c) = code.parse::<u16>() {
                    *acc.status.entry(c).or_insert(0) += count;
                }
            }
            for (kind, count) in &e.kinds {
                let i = ErrorKind::ALL
                    .iter()
                    .position(|k| k.as_str() == kind)
                    .unwrap_or(ErrorKind::ALL.len() - 1);
                acc.kinds[i] += count;
            }
            for (v, vs) in &e.variants {
                let vi = variant_index(&mut self.variant_names, v.as_bytes());
                if acc.variants.len() <= vi {
                    acc.variants.resize_with(vi + 1, || None);
                }
                let g = acc.variants[vi].get_or_insert_with(Group::new);
                g.requests += vs.n;
                g.errors += vs.f;
                for (k, count) in &vs.rt {
                    record(g, micros(k), *count);
                }
            }
        }
    }

    /// Mark a worker whose process ended: `stopped` when the master told it
    /// to quit, else `exited`.
    pub fn mark_exited(&mut self, label: &str, told_to_quit: bool) {
        if let Some(e) = self.states.get_mut(label)
            && !matches!(e.0.as_str(), "lost" | "exited" | "stopped")
        {
            e.0 = if told_to_quit { "stopped" } else { "exited" }.into();
        }
    }

    /// Labels that never said hello.
    pub fn missing(&self) -> Vec<String> {
        self.labels
            .iter()
            .filter(|l| self.states.get(*l).is_none_or(|e| !e.3))
            .cloned()
            .collect()
    }

    /// Labels that joined and then left (lost or their process exited).
    pub fn lost(&self) -> Vec<String> {
        self.labels
            .iter()
            .filter(|l| {
                self.states
                    .get(*l)
                    .is_some_and(|e| e.3 && matches!(e.0.as_str(), "lost" | "exited" | "missing"))
            })
            .cloned()
            .collect()
    }

    /// Labels whose CPU went above Locust's warning threshold.
    pub fn cpu_warnings(&self) -> Vec<String> {
        self.labels
            .iter()
            .filter(|l| self.states.get(*l).is_some_and(|e| e.2))
            .cloned()
            .collect()
    }

    /// The worker pool as it stands.
    pub fn pool(&self) -> WorkerPool {
        WorkerPool {
            engine: "locust".into(),
            expected: self.labels.len() as u32,
            workers: self
                .labels
                .iter()
                .map(|l| {
                    let (state, cpu, warn, _) = self
                        .states
                        .get(l)
                        .cloned()
                        .unwrap_or_else(|| ("waiting".into(), 0.0, false, false));
                    WorkerInfo {
                        label: l.clone(),
                        state,
                        cpu_pct: (cpu * 10.0).round() / 10.0,
                        cpu_warning: warn,
                    }
                })
                .collect(),
        }
    }
}

/// A response-time key (milliseconds, as the locustfile buckets them) in µs.
fn micros(key: &str) -> u64 {
    let ms: f64 = key.parse().unwrap_or(0.0);
    ((ms * 1000.0).round().max(1.0) as u64).min(HIST_MAX_US)
}

fn record(g: &mut Group, us: u64, n: u64) {
    let _ = g.corrected.record_n(us, n);
    let _ = g.uncorrected.record_n(us, n);
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
