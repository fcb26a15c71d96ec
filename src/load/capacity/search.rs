//! The stepped search, generic over how a step is measured so that its
//! logic is tested without a network, and run for real through the load
//! engine ([`real_step`]).

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::config::CapacityConfig;
use super::judge::{judge_step, knee};
use crate::core::capacity::{CapacityResult, CapacityStep, StepOutcome, StepPhase};
use crate::core::load::{Summary, Window};
use crate::core::verdict::Verdict;
use crate::load::LoadUpdate;
use crate::load::config::LoadConfig;
use crate::load::error::LoadError;
use crate::load::plan::LoadPlan;
use crate::load::threshold::Threshold;

/// What one held step measured.
pub type StepMeasure = (Summary, Vec<Window>);

/// Bisection ends once the good and bad rates are this close (relative).
const RESOLUTION: f64 = 0.02;

/// Run the search. `measure(rate)` holds one step; `on_step` hears each
/// judged step as it ends (the live curve). Setup errors end the search.
pub async fn search<F, Fut>(
    cfg: &CapacityConfig,
    max_rate: f64,
    slo: &[Threshold],
    mut measure: F,
    mut on_step: impl FnMut(&CapacityStep),
    cancel: &CancellationToken,
) -> Result<CapacityResult, LoadError>
where
    F: FnMut(f64) -> Fut,
    Fut: Future<Output = Result<StepMeasure, LoadError>>,
{
    let mut curve: Vec<CapacityStep> = Vec::new();
    let mut good: Option<f64> = None;
    let mut bad: Option<f64> = None;
    let mut stop: Option<(StepOutcome, String)> = None;
    let mut rate = cfg.start(max_rate);
    let mut phase = StepPhase::Ramp;
    let mut bisections = 0;
    loop {
        if cancel.is_cancelled() {
            stop = Some((StepOutcome::Noisy, "the search was cancelled".into()));
            break;
        }
        if curve.len() as u32 >= cfg.max_steps {
            stop = Some((
                StepOutcome::Noisy,
                format!("max_steps {} reached", cfg.max_steps),
            ));
            break;
        }
        let mut step = run_one(cfg, slo, &mut measure, rate, phase, &curve).await?;
        on_step(&step);
        let mut outcome = step.outcome;
        if outcome == Some(StepOutcome::Noisy) && (curve.len() as u32) + 1 < cfg.max_steps {
            curve.push(step);
            step = run_one(cfg, slo, &mut measure, rate, StepPhase::Repeat, &curve).await?;
            on_step(&step);
            outcome = step.outcome;
        }
        let detail = step.detail.clone();
        curve.push(step);
        match outcome {
            Some(StepOutcome::WithinSlo) => good = Some(rate),
            Some(StepOutcome::Breached) => bad = Some(rate),
            Some(StepOutcome::Unsafe) => {
                bad = Some(rate);
                stop = Some((StepOutcome::Unsafe, format!("at {rate:.0}/s: {detail}")));
                break;
            }
            Some(o) => {
                stop = Some((o, format!("at {rate:.0}/s: {detail}")));
                break;
            }
            None => break,
        }
        match (good, bad) {
            (_, None) => {
                if rate >= max_rate {
                    break;
                }
                rate = (rate * cfg.step_factor).min(max_rate);
            }
            (None, Some(_)) => break,
            (Some(g), Some(b)) => {
                if bisections >= cfg.bisect_steps || (b - g) / g < RESOLUTION {
                    break;
                }
                bisections += 1;
                phase = StepPhase::Bisect;
                rate = ((g + b) / 2.0 * 10.0).round() / 10.0;
            }
        }
    }
    Ok(conclude(cfg, max_rate, slo, good, bad, stop, curve))
}

async fn run_one<F, Fut>(
    cfg: &CapacityConfig,
    slo: &[Threshold],
    measure: &mut F,
    rate: f64,
    phase: StepPhase,
    curve: &[CapacityStep],
) -> Result<CapacityStep, LoadError>
where
    F: FnMut(f64) -> Fut,
    Fut: Future<Output = Result<StepMeasure, LoadError>>,
{
    let (summary, windows) = measure(rate).await?;
    let mut step = judge_step(rate, &summary, &windows, slo, cfg.max_error_rate);
    step.index = curve.len() as u32 + 1;
    step.phase = Some(phase);
    Ok(step)
}

fn conclude(
    cfg: &CapacityConfig,
    max_rate: f64,
    slo: &[Threshold],
    good: Option<f64>,
    bad: Option<f64>,
    stop: Option<(StepOutcome, String)>,
    curve: Vec<CapacityStep>,
) -> CapacityResult {
    let required = cfg.required_rps;
    let wanted = required * cfg.headroom;
    let mut r = CapacityResult {
        sustainable_rps: good,
        knee_rps: knee(&curve),
        required_rps: required,
        headroom: cfg.headroom,
        headroom_achieved: good.map(|g| g / required),
        bounded_by_max_rate: bad.is_none() && good.is_some_and(|g| g >= max_rate),
        slo: slo.iter().map(|t| t.text.clone()).collect(),
        verdict: Verdict::Inconclusive,
        reason: String::new(),
        curve,
    };
    let (verdict, reason) = match (&stop, good) {
        (Some((StepOutcome::GeneratorLimited, why)), _) => {
            r.sustainable_rps = None;
            r.headroom_achieved = None;
            (Verdict::Inconclusive, format!("no capacity figure: {why}"))
        }
        (Some((StepOutcome::Noisy, why)), g) if g.is_none_or(|g| g < wanted) => (
            Verdict::Inconclusive,
            format!("inconclusive: {why} (a noisy step was repeated once)"),
        ),
        (_, None) => {
            let first = r.curve.first().map_or(0.0, |s| s.rate_rps);
            if first <= required {
                (
                    Verdict::Fail,
                    format!(
                        "the SLO broke at the first step, {first:.0}/s, below the required {required:.0}/s"
                    ),
                )
            } else {
                (
                    Verdict::Inconclusive,
                    format!(
                        "the SLO broke at the first step, {first:.0}/s, above the required {required:.0}/s: lower start_rps"
                    ),
                )
            }
        }
        (_, Some(g)) if g >= wanted => (
            Verdict::Pass,
            format!(
                "sustains {g:.0}/s within the SLO, {:.2}x the required {required:.0}/s (needs {:.2}x)",
                g / required,
                cfg.headroom
            ),
        ),
        (_, Some(g)) if r.bounded_by_max_rate => (
            Verdict::Inconclusive,
            format!(
                "held the SLO up to max_rate {g:.0}/s, below required x headroom {wanted:.0}/s: raise max_rate to know"
            ),
        ),
        (_, Some(g)) if g >= required => (
            Verdict::Warn,
            format!(
                "sustains {g:.0}/s, above the required {required:.0}/s but with {:.2}x headroom, less than {:.2}x",
                g / required,
                cfg.headroom
            ),
        ),
        (_, Some(g)) => (
            Verdict::Fail,
            format!("sustains only {g:.0}/s within the SLO, below the required {required:.0}/s"),
        ),
    };
    r.verdict = verdict;
    r.reason = match &stop {
        Some((StepOutcome::Unsafe, why)) => format!("{reason}; stopped: {why}"),
        _ => reason,
    };
    r
}

/// Measure one step for real: `base` at an open-model `rate` for `step_s`,
/// through the load engine (its allow-list and caps apply).
pub async fn real_step(
    base: &LoadConfig,
    rate: f64,
    step_s: f64,
    cancel: CancellationToken,
    mut on_window: impl FnMut(&Window),
) -> Result<StepMeasure, LoadError> {
    let cfg = LoadConfig {
        rate: Some(rate),
        stages: Vec::new(),
        duration_s: Some(step_s),
        thresholds: Vec::new(),
        ..base.clone()
    };
    let plan = LoadPlan::from_config(&cfg)?;
    let mut windows = Vec::new();
    let summary = crate::load::runner::run(plan, cancel, |u| {
        if let LoadUpdate::Window(w) = u {
            on_window(&w);
            windows.push(w);
        }
    })
    .await?;
    Ok((summary, windows))
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
