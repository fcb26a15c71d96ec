//! `load learn`: a request mix learned from production access logs.
//!
//! The logs are streamed line by line (plain or `.gz`), each line parsed by
//! its format, grouped into endpoint templates (ids normalised to `{id}`),
//! counted with its status, and sampled (a small reservoir per template of
//! real, masked paths and queries to replay). Memory holds one entry per
//! template (capped) and one counter per second of the time span, never the
//! lines themselves, so a gigabyte of logs reads in flat memory.

pub mod cli;
pub mod formats;
pub mod mixfile;
pub mod shape;
pub mod template;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use formats::{JsonFields, LineParser, LogFormat, Parsed};
use shape::{Shape, Timing};
use template::StaticFilter;

/// Distinct templates tracked; requests of any further template count in
/// "other", so that a log of unnormalisable paths cannot grow memory.
pub const MAX_TEMPLATES: usize = 5_000;
/// Real values kept per template to replay.
pub const SAMPLES_PER_TEMPLATE: usize = 8;
/// Unmatched lines quoted in the report.
pub const UNMATCHED_EXAMPLES: usize = 5;

/// What to learn and how.
#[derive(Clone, Debug)]
pub struct LearnOptions {
    /// Log format.
    pub format: LogFormat,
    /// JSON-lines field names.
    pub json: JsonFields,
    /// Static assets to leave out.
    pub statics: StaticFilter,
    /// Templates below this share of the mix's requests fold into "other".
    pub min_share: f64,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            format: LogFormat::Combined,
            json: JsonFields::default(),
            statics: StaticFilter::new(&[], &[], true),
            min_share: 0.005,
        }
    }
}

/// Counts of one template while reading.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    samples: Vec<String>,
}

/// The running state of a learn: feed it lines, then [`Learner::finish`].
#[derive(Debug)]
pub struct Learner {
    options: LearnOptions,
    parser: LineParser,
    tallies: HashMap<String, Tally>,
    timing: Timing,
    key: String,
    rng: u64,
    /// Lines read, including blank and header lines.
    pub lines: u64,
    /// Requests parsed.
    pub parsed: u64,
    /// Lines that matched no request of the format.
    pub unmatched: u64,
    /// A few of them, with the reason, for the report.
    pub unmatched_examples: Vec<Unmatched>,
    /// Requests for static assets, left out.
    pub static_excluded: u64,
    /// Requests of templates beyond [`MAX_TEMPLATES`].
    pub overflow: u64,
    /// Requests without a timestamp (counted, not in the timing).
    pub untimed: u64,
}

/// An unmatched line, quoted (cut to 200 characters) with where and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unmatched {
    /// `file:line`.
    pub at: String,
    /// Why it did not parse.
    pub reason: String,
    /// The line, cut.
    pub line: String,
}

/// One endpoint of the learned mix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearnedTemplate {
    /// `METHOD /template/{id}`: the endpoint name in the mix.
    pub name: String,
    /// Method.
    pub method: String,
    /// Path template.
    pub template: String,
    /// Requests seen.
    pub requests: u64,
    /// Share of the parsed (non-static) requests.
    pub share: f64,
    /// Observed status mix: status code to share of this template's requests.
    pub statuses: BTreeMap<String, f64>,
    /// Real paths (with query), masked, to replay.
    pub samples: Vec<String>,
}

/// What the logs taught.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Learned {
    /// Log format read.
    pub format: LogFormat,
    /// Files read.
    pub files: Vec<String>,
    /// Lines read.
    pub lines: u64,
    /// Requests parsed.
    pub requests: u64,
    /// Lines that matched no request.
    pub unmatched: u64,
    /// Some unmatched lines.
    pub unmatched_examples: Vec<Unmatched>,
    /// Static-asset requests left out.
    pub static_excluded: u64,
    /// The mix's templates, busiest first.
    pub templates: Vec<LearnedTemplate>,
    /// Templates folded into "other" (below `min_share`, or beyond the cap).
    pub other_templates: u64,
    /// Their requests.
    pub other_requests: u64,
    /// Share of all parsed requests (static assets included) that the mix's
    /// templates represent.
    pub coverage: f64,
    /// The `min_share` used.
    pub min_share: f64,
    /// Timing.
    pub shape: Shape,
    /// Files whose reading stopped midway (what was read still counts).
    pub read_errors: Vec<String>,
}

impl Learner {
    /// A learner with `options`.
    pub fn new(options: LearnOptions) -> Learner {
        Learner {
            parser: LineParser::new(options.format, options.json.clone()),
            options,
            tallies: HashMap::new(),
            timing: Timing::default(),
            key: String::new(),
            rng: 0x9E37_79B9_7F4A_7C15,
            lines: 0,
            parsed: 0,
            unmatched: 0,
            unmatched_examples: Vec::new(),
            static_excluded: 0,
            overflow: 0,
            untimed: 0,
        }
    }

    /// xorshift64*: deterministic, so the same logs give the same mix file.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Feed one line; `at` names it for the report (`file:line`).
    pub fn line(&mut self, line: &str, at: impl FnOnce() -> String) {
        self.lines += 1;
        let rec = match self.parser.parse(line) {
            Parsed::Request(r) => r,
            Parsed::Skip => return,
            Parsed::Bad(why) => {
                self.unmatched += 1;
                if self.unmatched_examples.len() < UNMATCHED_EXAMPLES {
                    self.unmatched_examples.push(Unmatched {
                        at: at(),
                        reason: why.to_string(),
                        line: line.chars().take(200).collect(),
                    });
                }
                return;
            }
        };
        self.parsed += 1;
        match rec.ts {
            Some(ts) => self.timing.add(ts),
            None => self.untimed += 1,
        }
        if self.options.statics.is_static(&rec.path) {
            self.static_excluded += 1;
            return;
        }
        self.key.clear();
        self.key.push_str(&rec.method);
        self.key.push(' ');
        self.key.push_str(&template::template(&rec.path));
        let draw = self.next_random();
        if !self.tallies.contains_key(self.key.as_str()) {
            if self.tallies.len() >= MAX_TEMPLATES {
                self.overflow += 1;
                return;
            }
            self.tallies.insert(self.key.clone(), Tally::default());
        }
        let Some(tally) = self.tallies.get_mut(self.key.as_str()) else {
            return;
        };
        tally.requests += 1;
        *tally.statuses.entry(rec.status).or_insert(0) += 1;
        // Reservoir sampling: every request has the same chance to be kept.
        let slot = if tally.samples.len() < SAMPLES_PER_TEMPLATE {
            Some(tally.samples.len())
        } else {
            let j = (draw % tally.requests) as usize;
            (j < SAMPLES_PER_TEMPLATE).then_some(j)
        };
        if let Some(i) = slot {
            let mut s = template::mask_path(&rec.path);
            if let Some(q) = &rec.query {
                s.push('?');
                s.push_str(&template::mask_query(q));
            }
            if i == tally.samples.len() {
                tally.samples.push(s);
            } else {
                tally.samples[i] = s;
            }
        }
    }

    /// Read a whole stream, naming lines `name:N`. Invalid UTF-8 is
    /// replaced, not fatal; a read error (a truncated `.gz`) ends the
    /// stream with an error that the caller reports.
    pub fn read(&mut self, name: &str, input: impl Read) -> std::io::Result<()> {
        let mut r = BufReader::with_capacity(1 << 20, input);
        let mut buf = Vec::with_capacity(4096);
        let mut n = 0u64;
        loop {
            buf.clear();
            if r.read_until(b'\n', &mut buf)? == 0 {
                return Ok(());
            }
            n += 1;
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            let line = String::from_utf8_lossy(&buf);
            self.line(&line, || format!("{name}:{n}"));
        }
    }

    /// Read a file; `.gz` is decompressed on the fly (concatenated members
    /// too). A file that cannot be opened is an error; one whose reading
    /// stops midway (a truncated `.gz`) keeps what was read and returns
    /// the warning.
    pub fn read_file(&mut self, path: &Path) -> Result<Option<String>, String> {
        let f = std::fs::File::open(path)
            .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
        let name = path.display().to_string();
        let gz = path.extension().is_some_and(|e| e == "gz");
        let r = if gz {
            self.read(&name, flate2::read::MultiGzDecoder::new(f))
        } else {
            self.read(&name, f)
        };
        Ok(r.err().map(|e| {
            format!(
                "{name}: read stopped after {} lines: {e}{}",
                self.lines,
                if gz {
                    " (a truncated or corrupt .gz?)"
                } else {
                    ""
                }
            )
        }))
    }

    /// The learned mix: templates by share, small ones folded into "other".
    pub fn finish(self, files: Vec<PathBuf>, read_errors: Vec<String>) -> Learned {
        let mixable: u64 = self.tallies.values().map(|t| t.requests).sum::<u64>() + self.overflow;
        let mut all: Vec<(String, Tally)> = self.tallies.into_iter().collect();
        all.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(&b.0)));
        let mut templates = Vec::new();
        let mut other_templates = u64::from(self.overflow > 0);
        let mut other_requests = self.overflow;
        for (key, t) in all {
            let share = t.requests as f64 / mixable.max(1) as f64;
            if share < self.options.min_share {
                other_templates += 1;
                other_requests += t.requests;
                continue;
            }
            let (method, tpl) = key.split_once(' ').unwrap_or(("GET", &key));
            let statuses = t
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n as f64 / t.requests as f64))
                .collect();
            let mut samples = t.samples;
            samples.sort();
            samples.dedup();
            templates.push(LearnedTemplate {
                name: key.clone(),
                method: method.to_string(),
                template: tpl.to_string(),
                requests: t.requests,
                share,
                statuses,
                samples,
            });
        }
        let in_mix: u64 = templates.iter().map(|t| t.requests).sum();
        Learned {
            format: self.options.format,
            files: files.iter().map(|f| f.display().to_string()).collect(),
            lines: self.lines,
            requests: self.parsed,
            unmatched: self.unmatched,
            unmatched_examples: self.unmatched_examples,
            static_excluded: self.static_excluded,
            templates,
            other_templates,
            other_requests,
            coverage: if self.parsed == 0 {
                0.0
            } else {
                in_mix as f64 / self.parsed as f64
            },
            min_share: self.options.min_share,
            shape: self.timing.shape(),
            read_errors,
        }
    }
}

/// Learn from `files` in order.
pub fn learn(files: &[PathBuf], options: LearnOptions) -> Result<Learned, String> {
    let mut l = Learner::new(options);
    let mut warnings = Vec::new();
    for f in files {
        warnings.extend(l.read_file(f)?);
    }
    Ok(l.finish(files.to_vec(), warnings))
}

#[cfg(test)]
#[path = "learn_tests.rs"]
mod tests;
