//! Baselines: a passing run saved as JSON under the state directory, and the
//! comparison of a new run with it.
//!
//! A regression needs all three: the p95 rose by more than the relative
//! bound, by more than the absolute bound, and (when both runs have enough
//! windows) a one-sided Mann-Whitney U test on the per-window p95 says the
//! rise is not noise. Each endpoint is compared as well as all traffic, so
//! the report names the endpoint that regressed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::BaselineOptions;
use super::error::LoadError;
use crate::core::history::NoiseCalibration;
use crate::core::load::{Summary, Window};

/// Fewest windows per side for the rank test; below it, bounds alone decide.
pub const MIN_WINDOWS_FOR_TEST: usize = 5;

/// A saved run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// File format version.
    pub version: u32,
    /// Service name.
    pub service: String,
    /// Scenario name.
    pub scenario: String,
    /// When it was saved.
    pub saved_at: DateTime<Utc>,
    /// The run's summary.
    pub summary: Summary,
    /// p95 per window with data, ms.
    pub p95_series: Vec<f64>,
    /// p99 per window with data, ms.
    pub p99_series: Vec<f64>,
    /// p95 per window per endpoint, ms.
    pub endpoint_p95_series: BTreeMap<String, Vec<f64>>,
}

fn check_name(kind: &str, name: &str, dir: &Path) -> Result<(), LoadError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(LoadError::Baseline {
            path: dir.to_path_buf(),
            message: format!(
                "{kind} name \"{name}\" must be letters, digits, '-', '_' or '.' (it becomes a file name)"
            ),
        })
    }
}

impl Baseline {
    /// Build a baseline record from a run (not saved).
    pub fn from_run(
        service: &str,
        scenario: &str,
        summary: &Summary,
        windows: &[Window],
    ) -> Baseline {
        let with_data = || windows.iter().filter(|w| w.requests > 0);
        let mut endpoint_p95_series: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for w in windows {
            for e in w.endpoints.iter().filter(|e| e.requests > 0) {
                endpoint_p95_series
                    .entry(e.name.clone())
                    .or_default()
                    .push(e.p95_ms);
            }
        }
        Baseline {
            version: 1,
            service: service.to_string(),
            scenario: scenario.to_string(),
            saved_at: Utc::now(),
            summary: summary.clone(),
            p95_series: with_data().map(|w| w.p95_ms).collect(),
            p99_series: with_data().map(|w| w.p99_ms).collect(),
            endpoint_p95_series,
        }
    }

    /// Where a baseline lives: `<state_dir>/baselines/<service>/<scenario>.json`.
    pub fn path(state_dir: &Path, service: &str, scenario: &str) -> PathBuf {
        state_dir
            .join("baselines")
            .join(service)
            .join(format!("{scenario}.json"))
    }

    /// Save a run as the baseline for `service`/`scenario`, replacing any
    /// previous one atomically. Returns the file written.
    pub fn save(
        state_dir: &Path,
        service: &str,
        scenario: &str,
        summary: &Summary,
        windows: &[Window],
    ) -> Result<PathBuf, LoadError> {
        check_name("service", service, state_dir)?;
        check_name("scenario", scenario, state_dir)?;
        let path = Self::path(state_dir, service, scenario);
        let fail = |m: String| LoadError::Baseline {
            path: path.clone(),
            message: m,
        };
        let b = Self::from_run(service, scenario, summary, windows);
        let json = serde_json::to_string_pretty(&b).map_err(|e| fail(e.to_string()))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| fail(format!("cannot create the directory: {e}")))?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(|e| fail(format!("cannot write: {e}")))?;
        std::fs::rename(&tmp, &path).map_err(|e| fail(format!("cannot replace: {e}")))?;
        Ok(path)
    }

    /// Load the baseline for `service`/`scenario`; `Ok(None)` when there is none yet.
    pub fn load(
        state_dir: &Path,
        service: &str,
        scenario: &str,
    ) -> Result<Option<Baseline>, LoadError> {
        check_name("service", service, state_dir)?;
        check_name("scenario", scenario, state_dir)?;
        let path = Self::path(state_dir, service, scenario);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(LoadError::Baseline {
                    path,
                    message: format!("cannot read: {e}"),
                });
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| LoadError::Baseline {
                path,
                message: format!("not a baseline file ({e}); delete it or save a new baseline"),
            })
    }
}

/// One scope (all traffic or an endpoint) compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopeComparison {
    /// `all` or the endpoint name.
    pub scope: String,
    /// Baseline whole-run p95, ms.
    pub baseline_p95_ms: f64,
    /// Current whole-run p95, ms.
    pub current_p95_ms: f64,
    /// Relative change, percent.
    pub change_pct: f64,
    /// One-sided Mann-Whitney p-value (current slower), when both sides had enough windows.
    pub p_value: Option<f64>,
    /// Whether this scope regressed.
    pub regressed: bool,
    /// The smallest rise this setup can detect (A/A calibration), percent,
    /// when the scope is calibrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detectable_pct: Option<f64>,
    /// A sentence for humans.
    pub detail: String,
}

/// The result of comparing a run with its baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Comparison {
    /// There is no baseline yet: judge on absolute thresholds only.
    NoBaseline {
        /// The scenario looked for.
        scenario: String,
    },
    /// Compared.
    Compared {
        /// When the baseline was saved.
        baseline_saved_at: DateTime<Utc>,
        /// Every scope compared, all traffic first.
        scopes: Vec<ScopeComparison>,
        /// Where `max_rise_pct` asks for more than the setup can detect.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
}

impl Comparison {
    /// The scopes that regressed.
    pub fn regressions(&self) -> Vec<&ScopeComparison> {
        match self {
            Comparison::NoBaseline { .. } => Vec::new(),
            Comparison::Compared { scopes, .. } => scopes.iter().filter(|s| s.regressed).collect(),
        }
    }
}

/// Compare `current` (built with [`Baseline::from_run`]) with `baseline`,
/// or report that there is no baseline.
pub fn compare(
    baseline: Option<&Baseline>,
    current: &Baseline,
    opts: &BaselineOptions,
) -> Comparison {
    compare_calibrated(baseline, current, opts, &[])
}

/// [`compare`], knowing what this setup can detect: a rise below a scope's
/// calibrated threshold (A/A calibration of this scenario) is not called a
/// regression, and a `max_rise_pct` tighter than the threshold is warned
/// about.
pub fn compare_calibrated(
    baseline: Option<&Baseline>,
    current: &Baseline,
    opts: &BaselineOptions,
    calibrations: &[NoiseCalibration],
) -> Comparison {
    let cal = |scope: &str| {
        calibrations
            .iter()
            .find(|c| c.scenario == current.scenario && c.endpoint == scope)
    };
    let Some(b) = baseline else {
        return Comparison::NoBaseline {
            scenario: current.scenario.clone(),
        };
    };
    let mut scopes = vec![compare_scope(
        "all",
        (b.summary.latency.p95_ms, current.summary.latency.p95_ms),
        &b.p95_series,
        &current.p95_series,
        opts,
        cal("all"),
    )];
    for e in &current.summary.endpoints {
        let Some(be) = b.summary.endpoints.iter().find(|x| x.name == e.name) else {
            continue;
        };
        let empty = Vec::new();
        let bs = b.endpoint_p95_series.get(&e.name).unwrap_or(&empty);
        let cs = current.endpoint_p95_series.get(&e.name).unwrap_or(&empty);
        scopes.push(compare_scope(
            &e.name,
            (be.latency.p95_ms, e.latency.p95_ms),
            bs,
            cs,
            opts,
            cal(&e.name),
        ));
    }
    let warnings = scopes
        .iter()
        .filter_map(|s| {
            let k = cal(&s.scope)?;
            (opts.max_rise_pct < k.detectable_pct).then(|| {
                format!(
                    "{}: max_rise_pct {}% is tighter than this setup can detect ({}% at alpha {} with {:.0}% power over {} one-second windows, A/A calibration of {}); raise it or run longer",
                    s.scope,
                    opts.max_rise_pct,
                    k.detectable_pct,
                    k.alpha,
                    k.power * 100.0,
                    k.windows,
                    k.recorded_at.format("%Y-%m-%d")
                )
            })
        })
        .collect();
    Comparison::Compared {
        baseline_saved_at: b.saved_at,
        scopes,
        warnings,
    }
}

fn compare_scope(
    scope: &str,
    (base, cur): (f64, f64),
    bs: &[f64],
    cs: &[f64],
    opts: &BaselineOptions,
    cal: Option<&NoiseCalibration>,
) -> ScopeComparison {
    let change_pct = if base > 0.0 {
        (cur - base) / base * 100.0
    } else {
        0.0
    };
    let p_value = (bs.len() >= MIN_WINDOWS_FOR_TEST && cs.len() >= MIN_WINDOWS_FOR_TEST)
        .then(|| mann_whitney_greater(cs, bs));
    let bounds = change_pct > opts.max_rise_pct && cur - base > opts.min_abs_ms;
    let significant = p_value.is_none_or(|p| p < opts.alpha);
    let detectable_pct = cal.map(|c| c.detectable_pct);
    let below = detectable_pct.is_some_and(|d| change_pct < d);
    let regressed = bounds && significant && !below;
    let p_txt = p_value
        .map(|p| format!(", p={p:.3}"))
        .unwrap_or_else(|| ", too few windows for the rank test".into());
    let detail = if bounds && significant && below {
        format!(
            "{scope}: p95 rose {change_pct:.0}% ({base:.1}ms -> {cur:.1}ms{p_txt}), below the detectable threshold of {}% for this setup",
            detectable_pct
                .map(crate::core::format::trim_num)
                .unwrap_or_default()
        )
    } else if regressed {
        format!(
            "{scope}: p95 rose {change_pct:.0}% ({base:.1}ms -> {cur:.1}ms{p_txt}); limit +{:.0}%",
            opts.max_rise_pct
        )
    } else if bounds {
        format!(
            "{scope}: p95 {base:.1}ms -> {cur:.1}ms ({change_pct:+.0}%) but not significant{p_txt}"
        )
    } else {
        format!(
            "{scope}: p95 {base:.1}ms -> {cur:.1}ms ({change_pct:+.0}%) within +{:.0}% / +{:.1}ms",
            opts.max_rise_pct, opts.min_abs_ms
        )
    };
    ScopeComparison {
        scope: scope.to_string(),
        baseline_p95_ms: base,
        current_p95_ms: cur,
        change_pct,
        p_value,
        regressed,
        detectable_pct,
        detail,
    }
}

/// One-sided Mann-Whitney U test: the p-value for "`a` tends to be larger
/// than `b`", normal approximation with tie and continuity corrections.
pub fn mann_whitney_greater(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|x| (*x, true))
        .chain(b.iter().map(|x| (*x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_a, mut ties) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        rank_a += all[i..=j].iter().filter(|x| x.1).count() as f64 * avg;
        i = j + 1;
    }
    let u = rank_a - n1 * (n1 + 1.0) / 2.0;
    let nf = n as f64;
    let var = n1 * n2 / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)));
    if var <= 0.0 {
        return 1.0;
    }
    let z = (u - n1 * n2 / 2.0 - 0.5) / var.sqrt();
    // P(Z > z), with the one normal approximation the canary judge uses too.
    crate::core::stats::normal_cdf(-z)
}

#[cfg(test)]
#[path = "baseline_tests.rs"]
mod tests;
