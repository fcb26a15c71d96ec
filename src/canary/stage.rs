//! The canary stage: step the flag through the plan's percentages, send load
//! through the app at each step, watch the live guard per window, judge each
//! step canary against baseline, and roll back on a failure after a short
//! countdown the operator can hold (see [`crate::canary::auto`]).

use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use crate::canary::auto::{AutoEnd, HoldOp, JUDGE, LIVE_GUARD, countdown};
use crate::canary::control::CanaryCtl;
use crate::canary::{
    CanaryPlan, evaluate_guard, fetch_promql, judge_step_with_errors, load_samples,
};
use crate::core::event::{Actor, Event, LogLevel};
use crate::core::format::trim_num;
use crate::core::verdict::{Evidence, Verdict};
use crate::load::{LoadConfig, LoadPlan, LoadUpdate, Window};
use crate::record::recorder::Recorder;

/// Default canary traffic when the load config names no rate.
const DEFAULT_RATE: f64 = 50.0;

fn finish(rec: &Recorder, stage: &str, verdict: Verdict, summary: String, evidence: Vec<Evidence>) {
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence,
    });
}

/// The load for one step: the run's load mix at a steady rate for `hold_s`.
fn step_load(load: &LoadConfig, hold_s: u64) -> LoadConfig {
    let rate = load.rate.unwrap_or_else(|| {
        load.stages
            .iter()
            .map(|s| match s {
                crate::load::RateStage::Ramp { to, .. }
                | crate::load::RateStage::Step { to, .. } => *to,
                crate::load::RateStage::Sine { base, .. } => *base,
                crate::load::RateStage::Hold { .. } => 0.0,
            })
            .fold(0.0, f64::max)
    });
    LoadConfig {
        rate: Some(if rate > 0.0 { rate } else { DEFAULT_RATE }),
        stages: Vec::new(),
        duration_s: Some(hold_s as f64),
        // A step judges the whole hold; thresholds belong to the load stage.
        thresholds: Vec::new(),
        ..load.clone()
    }
}

enum StepEnd {
    Held(Vec<Window>),
    GuardTripped(String),
    Stopped,
    /// An operator promoted to 100% (provider confirmed) during the hold.
    Promoted(String),
}

async fn hold_step(
    plan: &CanaryPlan,
    load: &LoadConfig,
    stage: &str,
    rec: &Recorder,
    cancel: &CancellationToken,
    ops: &mut UnboundedReceiver<HoldOp>,
) -> Result<StepEnd, String> {
    let cfg = step_load(load, plan.hold_s);
    let lp = LoadPlan::from_config(&cfg).map_err(|e| e.to_string())?;
    let stop = cancel.child_token();
    let mut windows: Vec<Window> = Vec::new();
    let mut tripped: Option<String> = None;
    // An operator's promote ends the step (and the stepping) early; the
    // load is stopped and drained, never dropped mid-flight.
    let mut promoted_by: Option<String> = None;
    let result = {
        let load = crate::load::run(lp, stop.clone(), |u| match u {
            LoadUpdate::Started {
                model,
                duration_s,
                connections,
            } => {
                rec.emit(Event::LoadStarted {
                    stage: stage.to_string(),
                    model,
                    duration_s,
                    connections,
                    thresholds: Vec::new(),
                });
            }
            LoadUpdate::Window(w) => {
                rec.emit(Event::LoadWindow {
                    stage: stage.to_string(),
                    window: w.clone(),
                });
                windows.push(w);
                if plan.guard.enabled {
                    let status = evaluate_guard(&plan.guard, &windows, &plan.canary_variant);
                    if status.tripped && tripped.is_none() {
                        tripped = Some(
                            status
                                .reason
                                .clone()
                                .unwrap_or_else(|| "live guard tripped".into()),
                        );
                        stop.cancel();
                    }
                    rec.emit(Event::CanaryGuard {
                        stage: stage.to_string(),
                        status,
                    });
                }
            }
            // The canary's traffic comes from the built-in engine.
            LoadUpdate::Workers(_) => {}
        });
        tokio::pin!(load);
        let mut ops_open = true;
        loop {
            tokio::select! {
                r = &mut load => break r,
                op = ops.recv(), if ops_open && promoted_by.is_none() => match op {
                    Some(HoldOp::Promoted { actor }) => {
                        promoted_by = Some(actor);
                        stop.cancel();
                    }
                    Some(_) => {}
                    None => ops_open = false,
                },
            }
        }
    };
    if cancel.is_cancelled() {
        return Ok(StepEnd::Stopped);
    }
    if let Some(actor) = promoted_by {
        return Ok(StepEnd::Promoted(actor));
    }
    if let Some(reason) = tripped {
        return Ok(StepEnd::GuardTripped(reason));
    }
    result.map_err(|e| e.to_string())?;
    Ok(StepEnd::Held(windows))
}

/// A fired trigger: who, why, where, and the verdict a rollback gives.
struct Fired<'a> {
    trigger: &'a str,
    why: String,
    index: usize,
    percent: f64,
    verdict: Verdict,
}

/// What the stage needs while an automatic rollback is pending.
struct Auto<'a> {
    plan: &'a CanaryPlan,
    ctl: &'a CanaryCtl,
    rec: &'a Recorder,
    stage: &'a str,
    cancel: &'a CancellationToken,
}

/// Count down to the automatic rollback (holdable), then finish the stage
/// from how the countdown ended.
async fn auto_rollback(
    a: &Auto<'_>,
    fired: Fired<'_>,
    ops: &mut UnboundedReceiver<HoldOp>,
    mut evidence: Vec<Evidence>,
) {
    let end = countdown(
        a.plan,
        a.ctl,
        a.rec,
        a.stage,
        fired.trigger,
        &fired.why,
        ops,
        a.cancel,
    )
    .await;
    let at = format!("step {} ({}%)", fired.index + 1, trim_num(fired.percent));
    let (verdict, summary) = match end {
        AutoEnd::RolledBack { reason, .. } => (
            fired.verdict,
            format!("rolled back automatically: {reason}"),
        ),
        AutoEnd::Promoted { actor } => {
            let note = format!(
                "promoted to 100% by {actor} over a held automatic rollback ({}): the judge was overridden",
                crate::core::state::canary::cause(fired.trigger, &fired.why)
            );
            evidence.push(Evidence {
                label: "operator override".into(),
                value: note.clone(),
                threshold: None,
                verdict: Verdict::Warn,
            });
            (Verdict::Warn, note)
        }
        AutoEnd::Stopped => (
            Verdict::Fail,
            format!("rolled back by the operator at {at}, during the automatic rollback countdown"),
        ),
    };
    finish(a.rec, a.stage, verdict, summary, evidence);
}

/// An operator promoted the canary to 100% with `judged` of `n` steps
/// behind it: the stage ends there, a warning naming who skipped what.
fn promoted_early(
    rec: &Recorder,
    stage: &str,
    actor: &str,
    judged: usize,
    n: usize,
    mut evidence: Vec<Evidence>,
) {
    let note = format!(
        "promoted to 100% by {actor} after {judged} of {n} steps; the remaining steps were not judged"
    );
    evidence.push(Evidence {
        label: "operator promote".into(),
        value: note.clone(),
        threshold: None,
        verdict: Verdict::Warn,
    });
    finish(rec, stage, Verdict::Warn, note, evidence);
}

/// Run the canary stage. `cancel` fires when the operator rolled back (the
/// engine did the rollback itself); the stage then ends failed. `ops`
/// carries the operator's holds of a pending automatic rollback.
pub async fn run_stage(
    plan: &CanaryPlan,
    load: &LoadConfig,
    ctl: Result<&CanaryCtl, String>,
    stage: &str,
    rec: &Recorder,
    cancel: CancellationToken,
    mut ops: UnboundedReceiver<HoldOp>,
) {
    rec.emit(Event::StageStarted {
        stage: stage.to_string(),
    });
    let ctl = match ctl {
        Ok(c) => c,
        Err(e) => {
            return finish(
                rec,
                stage,
                Verdict::Inconclusive,
                format!("flag provider unavailable: {e}"),
                Vec::new(),
            );
        }
    };
    let state = match ctl.provider.read(&plan.flag).await {
        Ok(s) => s,
        Err(e) => {
            return finish(
                rec,
                stage,
                Verdict::Inconclusive,
                format!("cannot read flag {}: {e}", plan.flag),
                Vec::new(),
            );
        }
    };
    let auto = Auto {
        plan,
        ctl,
        rec,
        stage,
        cancel: &cancel,
    };
    rec.emit(Event::CanaryStarted {
        stage: stage.to_string(),
        flag: plan.flag.clone(),
        provider: ctl.provider_name.clone(),
        steps: plan.steps.clone(),
        hold_s: plan.hold_s,
        state,
    });
    let mut evidence = Vec::new();
    let n = plan.steps.len();
    for (index, &percent) in plan.steps.iter().enumerate() {
        // A promote confirmed between two holds: never set the flag back down.
        if let Ok(HoldOp::Promoted { actor }) = ops.try_recv() {
            return promoted_early(rec, stage, &actor, index, n, evidence);
        }
        let reason = format!("step {}/{n}: {}%", index + 1, trim_num(percent));
        if let Err(e) = ctl.set_step(rec, percent, reason).await {
            ctl.rollback(
                rec,
                &Actor::automatic("flightdeck"),
                &format!("step {} could not be set", index + 1),
            )
            .await;
            return finish(
                rec,
                stage,
                Verdict::Inconclusive,
                format!("flag could not be set to {}%: {e}", trim_num(percent)),
                evidence,
            );
        }
        rec.emit(Event::CanaryStep {
            stage: stage.to_string(),
            index,
            percent,
        });
        rec.emit(Event::StageProgress {
            stage: stage.to_string(),
            message: format!(
                "step {}/{n}: {}% canary, holding {} s",
                index + 1,
                trim_num(percent),
                plan.hold_s
            ),
            fraction: Some(index as f64 / n.max(1) as f64),
        });
        let hold_start = std::time::SystemTime::now();
        let held = hold_step(plan, load, stage, rec, &cancel, &mut ops).await;
        let hold_end = std::time::SystemTime::now();
        let windows = match held {
            Err(e) => {
                ctl.rollback(
                    rec,
                    &Actor::automatic("flightdeck"),
                    "canary load could not run",
                )
                .await;
                return finish(
                    rec,
                    stage,
                    Verdict::Inconclusive,
                    format!("canary load could not run: {e}"),
                    evidence,
                );
            }
            Ok(StepEnd::Stopped) => {
                return finish(
                    rec,
                    stage,
                    Verdict::Fail,
                    format!(
                        "rolled back by the operator at step {} ({}%)",
                        index + 1,
                        trim_num(percent)
                    ),
                    evidence,
                );
            }
            Ok(StepEnd::Promoted(actor)) => {
                return promoted_early(rec, stage, &actor, index, n, evidence);
            }
            Ok(StepEnd::GuardTripped(why)) => {
                let reason = format!(
                    "live guard at step {} ({}%): {why}",
                    index + 1,
                    trim_num(percent)
                );
                evidence.push(Evidence {
                    label: "live guard".into(),
                    value: why,
                    threshold: None,
                    verdict: Verdict::Fail,
                });
                let fired = Fired {
                    trigger: LIVE_GUARD,
                    why: reason,
                    index,
                    percent,
                    verdict: Verdict::Fail,
                };
                return auto_rollback(&auto, fired, &mut ops, evidence).await;
            }
            Ok(StepEnd::Held(w)) => w,
        };
        if percent >= 100.0 {
            // No baseline traffic is left to compare with: at 100% the live
            // guard alone watched the hold.
            evidence.push(Evidence {
                label: format!("step {} (100%)", index + 1),
                value: format!(
                    "promoted; the live guard watched {} s of traffic",
                    windows.len()
                ),
                threshold: None,
                verdict: Verdict::Pass,
            });
            continue;
        }
        let (mut b, mut c) = load_samples(
            &windows,
            &plan.baseline_variant,
            &plan.canary_variant,
            &plan.judge.metrics,
        );
        // PromQL metrics over the same hold; a failing query makes its metric
        // NODATA with the reason (never a pass).
        let prom = fetch_promql(
            plan.judge.prometheus_url.as_deref(),
            &plan.judge.metrics,
            hold_start,
            hold_end,
        )
        .await;
        for (name, e) in &prom.errors {
            rec.log(
                LogLevel::Warn,
                Some(stage),
                format!("step {}: metric {name}: {e}", index + 1),
            );
        }
        b.extend(prom.baseline);
        c.extend(prom.canary);
        let judgement = judge_step_with_errors(&plan.judge, &b, &c, &prom.errors);
        let verdict = judgement.verdict;
        evidence.push(Evidence {
            label: format!("step {} ({}%)", index + 1, trim_num(percent)),
            value: format!(
                "score {}: {}",
                judgement.score.map(trim_num).unwrap_or_else(|| "-".into()),
                judgement.reason
            ),
            threshold: Some(format!(
                "pass >= {}, marginal >= {}",
                trim_num(plan.judge.pass_score),
                trim_num(plan.judge.marginal_score)
            )),
            verdict,
        });
        let reason = judgement.reason.clone();
        rec.emit(Event::CanaryJudgement {
            stage: stage.to_string(),
            index,
            percent,
            judgement: Box::new(judgement),
        });
        match verdict {
            Verdict::Fail | Verdict::Inconclusive => {
                let why = format!(
                    "step {} ({}%) {}: {reason}",
                    index + 1,
                    trim_num(percent),
                    verdict.as_str()
                );
                let fired = Fired {
                    trigger: JUDGE,
                    why,
                    index,
                    percent,
                    verdict,
                };
                return auto_rollback(&auto, fired, &mut ops, evidence).await;
            }
            Verdict::Warn => rec.log(
                LogLevel::Warn,
                Some(stage),
                format!("step {} marginal: {reason}", index + 1),
            ),
            _ => {}
        }
    }
    let last = plan.steps.last().copied().unwrap_or(0.0);
    let overall = evidence
        .iter()
        .map(|e| e.verdict)
        .fold(Verdict::Pass, Verdict::worst);
    finish(
        rec,
        stage,
        overall,
        format!("{} steps judged; canary at {}%", n, trim_num(last)),
        evidence,
    );
}
