//! Running one drill: the steady state before, the method (the kind's
//! sequence or the declared steps) with stop conditions polled alongside,
//! the steady state after, the rollbacks (on failure, abort or stop, and on
//! success with `rollback_on_success`), then the objectives. Every step
//! and measurement is journalled as it happens; the verdict follows the
//! rules in [`decide`].

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::core::drill::{
    DrillEnd, DrillFinished, DrillMeasurement, DrillStarted, DrillStep, ObjectiveResult, Phase,
    StepOutcome, StepPlan,
};
use crate::core::event::Event;
use crate::flags::FlagProvider;
use crate::record::Recorder;

use super::spec::{Drill, Step, StepBody};
use super::step::{StepCx, StepResult, execute};
pub use super::verdict::decide;

/// Longest a rollback may run when it names no timeout of its own.
pub const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(60);

/// How a method ended early.
#[derive(Clone, Debug, PartialEq)]
pub enum MethodStop {
    /// A step failed: its name and why.
    Failed(String),
    /// The drill was cancelled (stop condition, operator, timeout): the
    /// runner knows which.
    Cancelled,
    /// Nothing could be checked (a tool missing): inconclusive, not failed.
    Inconclusive(String),
    /// What the drill needs is not installed here (PostgreSQL not found):
    /// the verdict is Skipped, with this reason.
    Skipped(String),
}

/// A drill in progress: where its events go and what its steps share.
/// Kinds drive it through [`Runner::step`], [`Runner::custom`] and
/// [`Runner::measure`].
pub struct Runner<'a> {
    rec: &'a Recorder,
    stage: &'a str,
    drill: &'a Drill,
    /// The steps' context; its token is cancelled when the method must stop.
    pub cx: StepCx,
    measured: Mutex<Vec<(String, f64)>>,
    /// When the drill started (monotonic): timeline marks count from here.
    started: Instant,
}

impl Runner<'_> {
    /// The drill being run.
    pub fn drill(&self) -> &Drill {
        self.drill
    }

    /// Whether the method must stop now.
    pub fn cancelled(&self) -> bool {
        self.cx.cancel.is_cancelled()
    }

    /// Record a measured value (the input of objectives).
    pub fn measure(&self, name: &str, value: f64) {
        if let Ok(mut m) = self.measured.lock() {
            match m.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => m.push((name.to_string(), value)),
            }
        }
        self.rec.emit(Event::DrillMeasurement(DrillMeasurement {
            stage: self.stage.to_string(),
            drill: self.drill.name.clone(),
            name: name.to_string(),
            value,
        }));
    }

    /// Journal a point of a recovery drill's timeline, now: `at_ms` is
    /// the monotonic time since the drill started.
    pub fn mark(&self, mark: crate::core::disaster::Mark, detail: &str) -> u64 {
        self.mark_at(mark, Instant::now(), detail)
    }

    /// Milliseconds since the drill started (monotonic): the time base of
    /// a recovery drill's timeline and heartbeat.
    pub fn elapsed_ms(&self) -> u64 {
        ms(self.started.elapsed())
    }

    /// Journal a timeline point that happened at `at` (measured earlier,
    /// e.g. the first of a run of successful requests, known only once
    /// the run is long enough); gives the mark's `at_ms`.
    pub fn mark_at(&self, mark: crate::core::disaster::Mark, at: Instant, detail: &str) -> u64 {
        let at_ms = ms(at.saturating_duration_since(self.started));
        self.rec
            .emit(Event::DrillMark(crate::core::disaster::DrillMark {
                stage: self.stage.to_string(),
                drill: self.drill.name.clone(),
                mark,
                at_ms,
                detail: self.cx.redact(detail),
            }));
        at_ms
    }

    /// Journal a recovery drill's evidence (the stage and drill fields are
    /// the runner's, whatever the caller filled in).
    pub fn recovery(&self, r: crate::core::disaster::DrillRecovery) {
        self.rec
            .emit(Event::DrillRecovery(crate::core::disaster::DrillRecovery {
                stage: self.stage.to_string(),
                drill: self.drill.name.clone(),
                ..r
            }));
    }

    fn started(&self, name: &str, phase: Phase, timeout: Duration) {
        self.rec.emit(Event::DrillStep(DrillStep {
            stage: self.stage.to_string(),
            drill: self.drill.name.clone(),
            step: name.to_string(),
            phase,
            timeout_ms: ms(timeout),
            outcome: None,
            elapsed_ms: 0,
            detail: String::new(),
            output: String::new(),
        }));
    }

    pub(super) fn ended(&self, name: &str, phase: Phase, timeout: Duration, r: &StepResult) {
        self.rec.emit(Event::DrillStep(DrillStep {
            stage: self.stage.to_string(),
            drill: self.drill.name.clone(),
            step: name.to_string(),
            phase,
            timeout_ms: ms(timeout),
            outcome: Some(r.outcome),
            elapsed_ms: ms(r.elapsed),
            detail: r.detail.clone(),
            output: r.output.clone(),
        }));
    }

    /// Journal a step a kind already ran elsewhere (an operational drill's
    /// tool run), with its own timing and outcome.
    pub fn journal(&self, name: &str, phase: Phase, timeout: Duration, r: &StepResult) {
        self.started(name, phase, timeout);
        self.ended(name, phase, timeout, r);
    }

    /// Run a declared step, journalled, with its `measure` and `record`.
    pub async fn step(&self, phase: Phase, step: &Step) -> StepResult {
        self.started(&step.name, phase, step.timeout);
        let r = execute(&self.cx, step).await;
        self.ended(&step.name, phase, step.timeout, &r);
        if r.outcome == StepOutcome::Ok {
            if let Some(m) = &step.measure {
                self.measure(m, r.elapsed.as_secs_f64());
            }
            if let StepBody::Probe(p) = &step.body
                && let (Some(name), Some(v)) = (
                    &p.record,
                    r.observed.as_ref().and_then(super::tolerance::number),
                )
            {
                self.measure(name, v);
            }
        }
        r
    }

    /// Run a kind's own step (`deploy 2.0.0`, `switch to green`): the
    /// future gives the outcome, detail and output; it is cut at `timeout`
    /// and when the drill is cancelled.
    pub async fn custom<F>(&self, name: &str, phase: Phase, timeout: Duration, f: F) -> StepResult
    where
        F: Future<Output = (StepOutcome, String, String)>,
    {
        self.started(name, phase, timeout);
        let start = Instant::now();
        let (outcome, detail, output) = tokio::select! {
            r = tokio::time::timeout(timeout, f) => r.unwrap_or((
                StepOutcome::TimedOut,
                format!("not done within {}", crate::core::format::duration_text(timeout)),
                String::new(),
            )),
            _ = self.cx.cancel.cancelled(), if phase != Phase::Rollback => {
                (StepOutcome::Skipped, "cut short: the drill was stopped".into(), String::new())
            }
        };
        let r = StepResult {
            outcome,
            detail: self.cx.redact(&detail),
            output: self.cx.redact(&super::process::cap(&output)),
            observed: None,
            elapsed: start.elapsed(),
        };
        self.ended(name, phase, timeout, &r);
        r
    }

    /// Run declared steps in order; stop at the first that does not pass.
    pub async fn steps(&self, phase: Phase, steps: &[Step]) -> Result<(), MethodStop> {
        for s in steps {
            if self.cancelled() {
                return Err(MethodStop::Cancelled);
            }
            let r = self.step(phase, s).await;
            if self.cancelled() {
                return Err(MethodStop::Cancelled);
            }
            if r.outcome != StepOutcome::Ok {
                return Err(MethodStop::Failed(format!(
                    "{} {}: {}",
                    s.name,
                    r.outcome.badge(),
                    r.detail
                )));
            }
        }
        Ok(())
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The drill's plan as journalled in `drill_started`.
fn plan(drill: &Drill) -> Vec<StepPlan> {
    let p = |phase: Phase| {
        move |s: &Step| StepPlan {
            name: s.name.clone(),
            phase,
            timeout_ms: ms(s.timeout),
        }
    };
    let mut out: Vec<StepPlan> = drill
        .steady_state
        .iter()
        .map(p(Phase::SteadyBefore))
        .collect();
    out.extend(super::kinds::plan(drill));
    out.extend(drill.method.iter().map(p(Phase::Method)));
    out.extend(drill.steady_state.iter().map(p(Phase::SteadyAfter)));
    out
}

/// Run one drill to its `drill_finished`. `abort` is the operator's (or
/// the run's): the method stops, and rollbacks still run.
pub async fn run_drill(
    rec: &Recorder,
    stage: &str,
    drill: &Drill,
    flags: Option<Arc<dyn FlagProvider>>,
    abort: &CancellationToken,
) -> DrillFinished {
    rec.emit(Event::DrillStarted(DrillStarted {
        stage: stage.to_string(),
        drill: drill.name.clone(),
        kind: drill.kind,
        steps: plan(drill),
        objectives: drill.objectives.clone(),
        timeout_ms: ms(drill.timeout),
    }));
    let method_cancel = abort.child_token();
    let started = Instant::now();
    let run = Runner {
        rec,
        stage,
        drill,
        cx: StepCx::new(flags.clone(), method_cancel.clone()),
        measured: Mutex::new(Vec::new()),
        started,
    };
    let mut end = DrillEnd::Completed;
    let mut why = String::new();
    let mut failed = false;
    // Steady state before: a probe that cannot run, or a hypothesis not
    // met, means nothing would be tested.
    for s in &drill.steady_state {
        let r = run.step(Phase::SteadyBefore, s).await;
        if r.outcome != StepOutcome::Ok {
            end = DrillEnd::NotStarted;
            why = match r.outcome {
                StepOutcome::Error | StepOutcome::TimedOut => format!(
                    "steady-state probe {} could not run before the method ({}); nothing was tested",
                    s.name, r.detail
                ),
                _ => format!(
                    "steady state not met before the method ({}: {}); nothing was tested",
                    s.name, r.detail
                ),
            };
            break;
        }
    }
    let tripped: Mutex<Option<String>> = Mutex::new(None);
    let timed_out = std::sync::atomic::AtomicBool::new(false);
    if end == DrillEnd::Completed {
        let watch = super::stop_watch::stop_watch(&run, &tripped, &method_cancel);
        let deadline = async {
            tokio::time::sleep(drill.timeout).await;
            timed_out.store(true, std::sync::atomic::Ordering::SeqCst);
            method_cancel.cancel();
        };
        let method = async {
            let r = super::kinds::method(&run).await;
            let r = match r {
                Ok(()) => run.steps(Phase::Method, &drill.method).await,
                e => e,
            };
            match r {
                Ok(()) => run
                    .steps(Phase::SteadyAfter, &drill.steady_state)
                    .await
                    .map_err(|e| (true, e)),
                Err(e) => Err((false, e)),
            }
        };
        let result = tokio::select! {
            r = method => r,
            _ = watch => Err((false, MethodStop::Cancelled)),
            _ = deadline => Err((false, MethodStop::Cancelled)),
        };
        method_cancel.cancel();
        if let Err((after, stop)) = result {
            failed = true;
            let trip = tripped.lock().ok().and_then(|t| t.clone());
            (end, why) = match (stop, trip) {
                (_, Some(t)) => (DrillEnd::Stopped, format!("stop condition tripped: {t}")),
                (MethodStop::Cancelled, None)
                    if timed_out.load(std::sync::atomic::Ordering::SeqCst) =>
                {
                    (
                        DrillEnd::TimedOut,
                        format!(
                            "the drill ran past its timeout of {}",
                            crate::core::format::duration_text(drill.timeout)
                        ),
                    )
                }
                (MethodStop::Cancelled, None) if abort.is_cancelled() => {
                    (DrillEnd::Aborted, "aborted by the operator".into())
                }
                (MethodStop::Cancelled, None) => (DrillEnd::Aborted, "stopped".into()),
                (MethodStop::Failed(f), None) if after => (
                    DrillEnd::MethodFailed,
                    format!("steady state not restored after the method: {f}"),
                ),
                (MethodStop::Failed(f), None) => {
                    (DrillEnd::MethodFailed, format!("method step {f}"))
                }
                (MethodStop::Inconclusive(f), None) => (
                    DrillEnd::NotStarted,
                    format!("nothing could be checked: {f}"),
                ),
                (MethodStop::Skipped(f), None) => (DrillEnd::Skipped, format!("skipped: {f}")),
            };
        }
    }
    // Rollbacks: with their own context, so an abort does not cut them.
    let mut rolled_back = false;
    let mut rollback_failed = false;
    let mut rollback_notes = Vec::new();
    if !matches!(end, DrillEnd::NotStarted | DrillEnd::Skipped)
        && (failed || drill.rollback_on_success)
    {
        rolled_back = true;
        let rb = Runner {
            rec,
            stage,
            drill,
            cx: StepCx::new(flags, CancellationToken::new()),
            measured: Mutex::new(Vec::new()),
            started,
        };
        let kind_ok = super::kinds::rollback(&rb).await;
        if !kind_ok {
            rollback_failed = true;
            rollback_notes.push("the kind's own rollback".to_string());
        }
        for s in &drill.rollbacks {
            let r = rb.step(Phase::Rollback, s).await;
            if r.outcome != StepOutcome::Ok {
                rollback_failed = true;
                rollback_notes.push(format!("{} {}", s.name, r.outcome.badge()));
            }
        }
        if let (Ok(mut a), Ok(b)) = (run.measured.lock(), rb.measured.lock()) {
            a.extend(b.iter().cloned());
        }
    }
    let measured = run.measured.lock().map(|m| m.clone()).unwrap_or_default();
    let objectives: Vec<ObjectiveResult> = drill
        .objectives
        .iter()
        .map(|o| {
            let m = measured
                .iter()
                .rev()
                .find(|(n, _)| n == &o.measure)
                .map(|(_, v)| *v);
            ObjectiveResult {
                objective: o.clone(),
                measured: m,
                verdict: o.judge(m),
            }
        })
        .collect();
    let (verdict, summary) = decide(end, &why, &objectives, rollback_failed, &rollback_notes);
    let finished = DrillFinished {
        stage: stage.to_string(),
        drill: drill.name.clone(),
        verdict,
        end,
        summary,
        objectives,
        rolled_back,
        rollback_failed,
    };
    rec.emit(Event::DrillFinished(finished.clone()));
    finished
}
