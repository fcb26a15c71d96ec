//! The learned mix as a file: `[load.learned]` (where it came from, its
//! coverage, each template's status mix) and `[[load.requests]]` (what to
//! send), plus `[[load.stages]]` when a shape was asked for. A config uses
//! it with `load.mix_file = "mix.toml"`, or by pasting the sections in.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Learned;
use crate::load::config::{RateStage, RequestSpec};

/// `[load.learned]`: where a learned mix came from and how much of the
/// production traffic it represents, so the load stage can say how
/// realistic its test was.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct LearnedMix {
    /// Log files learned from.
    pub source: Vec<String>,
    /// Their format.
    pub format: String,
    /// Production requests parsed.
    pub requests: u64,
    /// Share of those requests that the mix's templates represent (0..1).
    pub coverage: f64,
    /// Templates in the mix.
    pub templates_in_mix: u64,
    /// Templates folded into "other" (not replayed).
    pub other_templates: u64,
    /// Their requests.
    pub other_requests: u64,
    /// Static-asset requests left out.
    pub static_excluded: u64,
    /// Log lines that matched no request.
    pub unmatched: u64,
    /// Mean rate of the busiest minute, requests per second.
    pub peak_rps: f64,
    /// Start of the busiest minute.
    pub peak_minute: String,
    /// Busiest second over the mean second, in the busiest minute.
    pub burstiness: f64,
    /// Per template: its share and observed status mix.
    pub templates: Vec<TemplateInfo>,
}

/// One template's production figures.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct TemplateInfo {
    /// Endpoint name, `METHOD /path/{id}`.
    pub name: String,
    /// Requests seen.
    pub requests: u64,
    /// Share of the mixable requests.
    pub share: f64,
    /// Status code to share of the template's requests.
    pub statuses: BTreeMap<String, f64>,
}

impl LearnedMix {
    /// One line for the load stage's evidence.
    pub fn evidence_line(&self) -> String {
        format!(
            "{:.1}% of {} production requests ({} templates; {} folded into other, {} static left out) from {}",
            self.coverage * 100.0,
            self.requests,
            self.templates_in_mix,
            self.other_templates,
            self.static_excluded,
            if self.source.is_empty() {
                "logs".to_string()
            } else {
                self.source.join(", ")
            }
        )
    }
}

/// A mix file on disk.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MixFile {
    /// Its `[load]` part.
    pub load: MixSection,
}

/// The `[load]` keys a mix file holds.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MixSection {
    /// Provenance and coverage.
    pub learned: Option<LearnedMix>,
    /// The weighted mix.
    pub requests: Vec<MixRequest>,
    /// A rate profile (from `--shape peak-hour`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<RateStage>,
}

impl MixFile {
    /// Read and parse `path`; the error names the file and the fix.
    pub fn read(path: &Path) -> Result<MixFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "{}: cannot read the mix file: {e} (write one with `flightdeck load learn LOG --write {}`)",
                path.display(),
                path.display()
            )
        })?;
        toml::from_str(&text).map_err(|e| {
            format!(
                "{}: not a mix file: {} (expected [load.learned] and [[load.requests]] as `load learn` writes them)",
                path.display(),
                e.to_string().trim()
            )
        })
    }
}

/// One `[[load.requests]]` entry as a mix file writes it (a
/// [`RequestSpec`] without the empty header table).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct MixRequest {
    /// Endpoint name: the template.
    pub name: String,
    /// Method.
    pub method: String,
    /// A real (masked) path and query.
    pub path: String,
    /// Relative weight.
    pub weight: u32,
    /// Extra headers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl From<MixRequest> for RequestSpec {
    fn from(r: MixRequest) -> RequestSpec {
        RequestSpec {
            name: r.name,
            method: if r.method.is_empty() {
                "GET".into()
            } else {
                r.method
            },
            path: r.path,
            headers: r.headers,
            body: r.body,
            weight: r.weight,
        }
    }
}

/// Total weight given to a template's requests, spread over its samples:
/// parts per million of the mix, so small templates keep their share.
const WEIGHT_SCALE: f64 = 1_000_000.0;

/// The mix file for `learned`, with `stages` if a shape was asked for.
pub fn mix_file(learned: &Learned, stages: Vec<RateStage>) -> MixFile {
    let in_mix: u64 = learned.templates.iter().map(|t| t.requests).sum();
    let mut requests = Vec::new();
    for t in &learned.templates {
        let total = (t.requests as f64 / in_mix.max(1) as f64 * WEIGHT_SCALE).round();
        let samples: Vec<String> = if t.samples.is_empty() {
            vec![t.template.replace(super::template::PLACEHOLDER, "1")]
        } else {
            t.samples.clone()
        };
        let each = ((total / samples.len() as f64).round() as u32).max(1);
        for s in samples {
            requests.push(MixRequest {
                name: t.name.clone(),
                method: t.method.clone(),
                path: s,
                weight: each,
                ..MixRequest::default()
            });
        }
    }
    MixFile {
        load: MixSection {
            learned: Some(LearnedMix {
                source: learned.files.clone(),
                format: format!("{:?}", learned.format).to_ascii_lowercase(),
                requests: learned.requests,
                coverage: (learned.coverage * 10_000.0).round() / 10_000.0,
                templates_in_mix: learned.templates.len() as u64,
                other_templates: learned.other_templates,
                other_requests: learned.other_requests,
                static_excluded: learned.static_excluded,
                unmatched: learned.unmatched,
                peak_rps: (learned.shape.peak_rps * 100.0).round() / 100.0,
                peak_minute: learned.shape.peak_minute.clone().unwrap_or_default(),
                burstiness: (learned.shape.burstiness * 100.0).round() / 100.0,
                templates: learned
                    .templates
                    .iter()
                    .map(|t| TemplateInfo {
                        name: t.name.clone(),
                        requests: t.requests,
                        share: (t.share * 10_000.0).round() / 10_000.0,
                        statuses: t
                            .statuses
                            .iter()
                            .map(|(k, v)| (k.clone(), (v * 10_000.0).round() / 10_000.0))
                            .collect(),
                    })
                    .collect(),
            }),
            requests,
            stages,
        },
    }
}

/// The mix file as TOML, with a header that says what it is.
pub fn render(learned: &Learned, file: &MixFile) -> Result<String, String> {
    let body = toml::to_string(file).map_err(|e| format!("cannot write the mix as TOML: {e}"))?;
    Ok(format!(
        "# A request mix learned by `flightdeck load learn` from {} {} log file(s):\n\
         # {} requests, coverage {:.1}% ({} templates folded into \"other\", {} static-asset\n\
         # requests left out, {} unmatched lines). Paths and queries are real samples with\n\
         # personal-looking values masked. Access logs hold no request bodies: entries\n\
         # are sent without one. Use it with `load.mix_file = \"THIS FILE\"` in [load].\n\n{body}",
        learned.files.len(),
        format!("{:?}", learned.format).to_ascii_lowercase(),
        learned.requests,
        learned.coverage * 100.0,
        learned.other_templates,
        learned.static_excluded,
        learned.unmatched,
    ))
}
