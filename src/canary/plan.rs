//! `[canary]`: the canary plan as written in config, and its validation.

use serde::{Deserialize, Serialize};

use super::config::{JudgeConfig, MetricSource};
use super::guard::LiveGuard;
use crate::config::{HumanDuration, Problem, Severity, check_file};
use crate::flags::{SecretRef, UnleashConfig};

/// Which flag provider the canary drives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProviderConfig {
    /// A flagd flag file.
    File {
        /// Path of the flag file.
        path: String,
    },
    /// An OFREP endpoint (read-only: the canary can be judged, not driven).
    Ofrep {
        /// Base URL.
        url: String,
        /// Optional bearer token.
        #[serde(default)]
        token: Option<SecretRef>,
    },
    /// The Unleash admin API.
    Unleash(UnleashConfig),
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig::File {
            path: "config/demo/flags.json".into(),
        }
    }
}

/// What a run does, at its start, with an earlier run that crashed and left
/// its canary's flag moved (an orphan).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnOrphan {
    /// Ask the operator (a dialog in the TUI, focus on roll back); without a
    /// person (headless), tell and leave it.
    Ask,
    /// Roll it back through the crashed run's own provider, journalled in
    /// its journal with actor `flightdeck`.
    Rollback,
    /// Tell and leave it.
    Leave,
}

/// A canary rollout plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CanaryPlan {
    /// Flag key.
    pub flag: String,
    /// Flag provider.
    pub provider: ProviderConfig,
    /// The variant that is the canary. Default `canary` (`on` accepted when
    /// the flag has no `canary` variant).
    pub canary_variant: String,
    /// The variant that is the baseline, as the `x-variant` header reports it. Default `baseline`.
    pub baseline_variant: String,
    /// Canary percentages, in order. Default [5, 25, 50, 100].
    pub steps: Vec<f64>,
    /// Seconds to hold each step before judging it. Default 60.
    pub hold_s: u64,
    /// Metrics and score thresholds.
    pub judge: JudgeConfig,
    /// The live guard.
    pub guard: LiveGuard,
    /// Ask before an operator rollback (default false: rollback is the safe direction).
    pub rollback_confirm: bool,
    /// When the live guard trips or a step's judgement fails, the automatic
    /// rollback counts down this long first, so that an operator can hold it
    /// (`H`). Default `3s`; `0s` rolls back at once, with no countdown.
    pub auto_rollback_delay: HumanDuration,
    /// The longest an automatic rollback can be held; when the hold runs out
    /// the rollback happens ("hold expired"). Default `10m`.
    pub max_hold: HumanDuration,
    /// What a run does at its start with an earlier run that crashed and
    /// left its flag moved: `ask`, `rollback` or `leave`. Unset: `ask` in
    /// the TUI, `rollback` headless.
    pub on_orphan: Option<OnOrphan>,
}

impl Default for CanaryPlan {
    fn default() -> Self {
        CanaryPlan {
            flag: String::new(),
            provider: ProviderConfig::default(),
            canary_variant: crate::flags::DEFAULT_CANARY_VARIANT.into(),
            baseline_variant: "baseline".into(),
            steps: vec![5.0, 25.0, 50.0, 100.0],
            hold_s: 60,
            judge: JudgeConfig::default(),
            guard: LiveGuard::default(),
            rollback_confirm: false,
            auto_rollback_delay: HumanDuration::secs(3),
            max_hold: HumanDuration::secs(600),
            on_orphan: None,
        }
    }
}

impl CanaryPlan {
    /// Every problem at once (empty when valid), keys from the top
    /// (`canary.steps[2]`).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut bad = |key: String, message: String, hint: &str| {
            out.push(Problem::at(format!("canary.{key}"), message, hint))
        };
        if self.flag.trim().is_empty() {
            bad(
                "flag".into(),
                "no flag named".into(),
                "set flag = \"checkout-v2\" (the flag whose canary share the plan moves)",
            );
        }
        match &self.provider {
            ProviderConfig::File { path } if path.trim().is_empty() => {
                bad(
                    "provider.path".into(),
                    "empty flag file path".into(),
                    "point it at a flagd flag file, e.g. config/demo/flags.json",
                );
            }
            ProviderConfig::Ofrep { url, .. } if !url.starts_with("http") => {
                bad(
                    "provider.url".into(),
                    format!("\"{url}\" is not an http(s) URL"),
                    "e.g. http://127.0.0.1:8016",
                );
            }
            ProviderConfig::Ofrep { .. } => {
                bad(
                    "provider.kind".into(),
                    "OFREP is read-only: the plan cannot move the rollout or roll back".into(),
                    "use kind = \"file\" or \"unleash\" to drive a canary",
                );
            }
            ProviderConfig::Unleash(u) => {
                if !u.url.starts_with("http") {
                    bad(
                        "provider.url".into(),
                        format!("\"{}\" is not an http(s) URL", u.url),
                        "e.g. http://127.0.0.1:4242",
                    );
                }
                if u.project.trim().is_empty() || u.environment.trim().is_empty() {
                    bad(
                        "provider.project".into(),
                        "empty project or environment".into(),
                        "defaults are project = \"default\", environment = \"development\"",
                    );
                }
            }
            _ => {}
        }
        if self.canary_variant.trim().is_empty() || self.canary_variant == self.baseline_variant {
            bad(
                "canary_variant".into(),
                "canary and baseline variants must be two different, non-empty names".into(),
                "defaults: canary_variant = \"canary\", baseline_variant = \"baseline\"",
            );
        }
        if self.steps.is_empty() {
            bad(
                "steps".into(),
                "no steps".into(),
                "e.g. steps = [5, 25, 50, 100]",
            );
        }
        let mut prev = 0.0;
        for (i, s) in self.steps.iter().enumerate() {
            if !s.is_finite() || *s <= 0.0 || *s > 100.0 {
                bad(
                    format!("steps[{i}]"),
                    format!("{s} is not a percentage in (0, 100]"),
                    "each step is the canary share, e.g. 25",
                );
            } else if *s <= prev {
                bad(
                    format!("steps[{i}]"),
                    format!("{s} does not increase on the previous step {prev}"),
                    "list steps in increasing order",
                );
            } else {
                prev = *s;
            }
            if matches!(self.provider, ProviderConfig::Unleash(_)) && s.fract() != 0.0 {
                bad(
                    format!("steps[{i}]"),
                    format!("{s}: Unleash rollouts are whole percentages"),
                    "round the step",
                );
            }
        }
        if self.hold_s == 0 {
            bad(
                "hold_s".into(),
                "hold time 0: nothing to judge".into(),
                "hold each step long enough for min_samples windows, e.g. 60",
            );
        }
        let j = &self.judge;
        if j.metrics.is_empty() {
            bad(
                "judge.metrics".into(),
                "no metrics to judge".into(),
                "add p95 latency and error rate metrics",
            );
        }
        if !(0.0..=100.0).contains(&j.marginal_score)
            || !(0.0..=100.0).contains(&j.pass_score)
            || j.marginal_score > j.pass_score
        {
            bad(
                "judge.pass_score".into(),
                format!(
                    "pass {} / marginal {} must satisfy 0 <= marginal <= pass <= 100",
                    j.pass_score, j.marginal_score
                ),
                "defaults: pass_score = 95, marginal_score = 75",
            );
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, m) in j.metrics.iter().enumerate() {
            let k = format!("judge.metrics[{i}]");
            if m.name.trim().is_empty() || !names.insert(m.name.clone()) {
                bad(
                    format!("{k}.name"),
                    format!("metric name \"{}\" is empty or repeated", m.name),
                    "give each metric a unique name",
                );
            }
            if !(m.weight.is_finite() && m.weight >= 0.0) {
                bad(
                    format!("{k}.weight"),
                    format!("weight {} is not a non-negative number", m.weight),
                    "default 1",
                );
            }
            let p = &m.params;
            if !(p.confidence > 0.5 && p.confidence < 1.0) {
                bad(
                    format!("{k}.params.confidence"),
                    format!("{} is not in (0.5, 1)", p.confidence),
                    "default 0.98",
                );
            }
            if !(p.tolerance >= 0.0 && p.tolerance.is_finite()) || p.min_abs_shift < 0.0 {
                bad(
                    format!("{k}.params.tolerance"),
                    "tolerance and min_abs_shift must be >= 0".into(),
                    "default tolerance 0.25, min_abs_shift 0",
                );
            }
            for (key, what, hint) in p.effect_size_problems() {
                bad(format!("{k}.params.{key}"), what, &hint);
            }
            if p.min_samples < 3 {
                bad(
                    format!("{k}.params.min_samples"),
                    format!("{} is too few for a rank test", p.min_samples),
                    "default 10; hold each step at least that many seconds",
                );
            } else if (self.hold_s as usize) < p.min_samples {
                bad(
                    "hold_s".into(),
                    format!(
                        "hold {} s gives fewer windows than {k} needs ({})",
                        self.hold_s, p.min_samples
                    ),
                    "raise hold_s or lower min_samples",
                );
            }
            if let MetricSource::Promql { baseline, canary } = &m.source
                && (baseline.trim().is_empty() || canary.trim().is_empty())
            {
                bad(
                    format!("{k}.source"),
                    "empty PromQL query".into(),
                    "give both baseline and canary queries",
                );
            }
        }
        let promql = super::prometheus::has_promql(&j.metrics);
        match j.prometheus_url.as_deref().map(str::trim) {
            None | Some("") if promql => bad(
                "judge.prometheus_url".into(),
                "a metric has a PromQL source but no Prometheus URL is set".into(),
                "set judge.prometheus_url = \"http://127.0.0.1:9090\"",
            ),
            Some(u) if !u.is_empty() && !u.starts_with("http://") && !u.starts_with("https://") => {
                bad(
                    "judge.prometheus_url".into(),
                    format!("\"{u}\" is not an http(s) URL"),
                    "e.g. http://127.0.0.1:9090",
                )
            }
            _ => {}
        }
        if self.auto_rollback_delay.get() > std::time::Duration::from_secs(600) {
            bad(
                "auto_rollback_delay".into(),
                format!(
                    "{} keeps a failing canary live too long before anyone acts",
                    self.auto_rollback_delay
                ),
                "a few seconds is enough to reach the hold key, e.g. \"3s\" (\"0s\": at once)",
            );
        }
        if self.max_hold.is_zero() {
            bad(
                "max_hold".into(),
                "0s: a hold would expire as soon as it starts".into(),
                "bound holds with a real duration, e.g. \"10m\"",
            );
        }
        let g = &self.guard;
        if g.enabled && (!(0.0..=1.0).contains(&g.max_error_rate) || g.consecutive_windows == 0) {
            bad(
                "guard".into(),
                format!(
                    "max_error_rate {} must be in [0, 1] and consecutive_windows >= 1",
                    g.max_error_rate
                ),
                "defaults: max_error_rate = 0.05, consecutive_windows = 3",
            );
        }
        out
    }
}

impl CanaryPlan {
    /// The file provider's flag file, when it does not exist, as a problem
    /// at `severity` (the caller knows whether the canary stage is hard: a
    /// canary without its flag file cannot move its flag, so it fails).
    pub fn check_paths(&self, severity: Severity) -> Vec<Problem> {
        let mut out = Vec::new();
        if let ProviderConfig::File { path } = &self.provider
            && !path.trim().is_empty()
        {
            check_file(
                std::path::Path::new(path),
                "canary.provider.path",
                "point it at the flagd flag file the service reads, e.g. config/demo/flags.json",
                severity,
                &mut out,
            );
        }
        out
    }
}
