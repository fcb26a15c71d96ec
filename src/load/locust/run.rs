//! One Locust run: write the locustfile, start the master and the workers,
//! wait for them to join, turn the reporter's lines into one [`Window`] per
//! second, watch the workers, and stop every process on every path.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::binary;
use super::config::LocustConfig;
use super::locustfile::LocustPlan;
use super::report::Report;
use super::swarm::{GRACE, RunDir, Swarm};
use crate::core::load::{LoadModel, Summary, Window, WorkerPool};
use crate::load::LoadUpdate;
use crate::load::error::LoadError;
use crate::load::plan::{LoadPlan, Model};
use crate::load::stats::WindowAcc;
use crate::load::totals::{Pacing, Totals};

/// How often the report file is read.
const TICK: Duration = Duration::from_millis(200);
/// A wall-clock second is closed this long after it ended: workers send a
/// second once it is over (within 0.2 s) and the master writes it at once.
const CLOSE_AFTER: f64 = 1.2;

fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Run `plan` on Locust: like [`crate::load::run`], `sink` gets
/// [`LoadUpdate::Started`], one [`LoadUpdate::Window`] per second and
/// [`LoadUpdate::Workers`] on every change of the worker pool.
pub async fn run(
    plan: LoadPlan,
    cfg: &LocustConfig,
    insecure: bool,
    cancel: CancellationToken,
    mut sink: impl FnMut(LoadUpdate),
) -> Result<Summary, LoadError> {
    let bin = binary::find().await?;
    // The allow-list holds for resolved addresses too, as in the built-in engine.
    crate::load::runner::resolve(&plan).await?;
    let dir = RunDir::new()?;
    let labels = cfg.labels();
    let lp = LocustPlan::from_plan(&plan, insecure, labels.len() as u32);
    let file = dir.0.join("locustfile.py");
    let report_path = dir.0.join("report.jsonl");
    std::fs::write(&file, lp.render())
        .and_then(|_| std::fs::write(&report_path, b""))
        .map_err(|e| LoadError::Setup(format!("cannot write {}: {e}", file.display())))?;
    let secrets: Vec<String> = lp
        .mix
        .iter()
        .flat_map(|m| m.headers.values().cloned())
        .collect();
    let mut swarm = Swarm::start(&bin, cfg, &labels, &file, &report_path, &plan, &secrets)?;
    let result = drive(
        &mut swarm,
        plan,
        cfg,
        (&labels, lp.users),
        &report_path,
        cancel,
        &mut sink,
    )
    .await;
    swarm.stop_all().await;
    result
}

/// Turns closed seconds into windows, numbering them from the first.
struct Windows {
    totals: Totals,
    names: Vec<String>,
    first: Option<i64>,
    next: i64,
    open_profile: Option<crate::load::schedule::RateProfile>,
    recent: VecDeque<Window>,
    keep: usize,
    abort_on: Vec<crate::load::threshold::Threshold>,
}

impl Windows {
    fn close(&mut self, sec: i64, acc: &WindowAcc, variants: &[String], last: bool) -> Window {
        let first = *self.first.get_or_insert(sec);
        let second = (sec - first).max(0) as u32;
        let (a, b) = (f64::from(second), f64::from(second) + 1.0);
        let pacing = match &self.open_profile {
            Some(p) => {
                let expected = p.expected_between(a, b);
                Pacing {
                    target_rps: expected,
                    scheduled: expected.round() as u64,
                    sent: acc.all.requests,
                    backlog: 0,
                    // The first and last seconds are partial.
                    open: second > 0 && !last,
                }
            }
            None => Pacing::default(),
        };
        self.next = sec + 1;
        self.totals
            .close_window(acc, &self.names, variants, second, 1.0, pacing)
    }
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    swarm: &mut Swarm,
    plan: LoadPlan,
    cfg: &LocustConfig,
    (labels, users): (&[String], u32),
    report_path: &std::path::Path,
    cancel: CancellationToken,
    sink: &mut impl FnMut(LoadUpdate),
) -> Result<Summary, LoadError> {
    let names = plan.endpoint_names.clone();
    let (model, profile) = match &plan.model {
        Model::Closed { .. } => (LoadModel::Closed, None),
        Model::Open { profile, .. } => (LoadModel::Open, Some(profile.clone())),
    };
    let duration = plan.duration.as_secs_f64();
    let mut report = Report::new(report_path, &names, labels);
    let mut windows = Windows {
        totals: Totals::new(names.len(), plan.max_lag_ms),
        names: names.clone(),
        first: None,
        next: i64::MIN,
        open_profile: profile.clone(),
        recent: VecDeque::new(),
        keep: plan
            .abort_on
            .iter()
            .filter_map(|t| t.over_s)
            .max()
            .unwrap_or(0) as usize,
        abort_on: plan.abort_on.clone(),
    };
    sink(LoadUpdate::Started {
        model,
        duration_s: duration,
        connections: users,
    });
    let t0 = Instant::now();
    let join_timeout = Duration::from_secs_f64(cfg.join_timeout_s);
    let mut faults: Vec<String> = Vec::new();
    let mut joined_at: Option<Instant> = None;
    let mut last_pool: Option<WorkerPool> = None;
    let mut lost: BTreeSet<String> = BTreeSet::new();
    let mut lost_notes: Vec<String> = Vec::new();
    let mut stopped_early: Option<String> = None;
    let mut stopping = false;
    let mut stop_at: Option<Instant> = None;
    let drain = Duration::from_secs_f64(plan.timeout.as_secs_f64().clamp(1.0, 5.0) + 1.0);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = cancel.cancelled(), if !stopping => {
                stopped_early = Some("cancelled".into());
            }
        }
        report.poll();
        // Worker processes that ended.
        for w in swarm.workers.iter_mut() {
            if w.exited().is_some() {
                report.mark_exited(&w.label, w.said("Got quit message from master"));
            }
        }
        let pool = report.pool();
        if last_pool.as_ref() != Some(&pool) {
            sink(LoadUpdate::Workers(pool.clone()));
            last_pool = Some(pool.clone());
        }
        let master_done = swarm.master.exited().is_some();
        if joined_at.is_none() {
            if report.missing().is_empty() {
                joined_at = Some(Instant::now());
            } else if master_done && stopped_early.is_none() {
                return Err(LoadError::Setup(format!(
                    "the Locust master exited before its workers joined; its output: {}",
                    swarm.master.tail(8).join(" | ")
                )));
            } else if t0.elapsed() >= join_timeout || stopped_early.is_some() {
                if stopped_early.is_none() {
                    faults.push(never_joined(swarm, &report, cfg));
                }
                break;
            }
        } else if !stopping
            && matches!(report.master_state.as_str(), "running" | "spawning")
            // Once the shape has ended, the master tells workers to quit.
            && !swarm.master.said("Shape test stopping")
        {
            for l in report.lost() {
                let quit_normally = swarm
                    .workers
                    .iter()
                    .any(|w| w.label == l && w.said("Got quit message from master"));
                if !quit_normally && lost.insert(l.clone()) {
                    let at = windows
                        .next
                        .saturating_sub(windows.first.unwrap_or(windows.next));
                    let tail = swarm
                        .workers
                        .iter()
                        .find(|w| w.label == l)
                        .map(|w| w.tail(3).join(" | "))
                        .filter(|t| !t.is_empty())
                        .map(|t| format!("; its output: {t}"))
                        .unwrap_or_default();
                    lost_notes.push(format!("worker {l} lost at {} s{tail}", at.max(0)));
                }
            }
        }
        // Close every second that is over.
        let now = epoch_now();
        let due: Vec<i64> = report
            .seconds
            .keys()
            .copied()
            .filter(|s| (*s as f64) + 1.0 + CLOSE_AFTER <= now)
            .collect();
        for sec in due {
            emit_gaps(&mut windows, sec, &report.variant_names, sink);
            if let Some(acc) = report.seconds.remove(&sec) {
                let w = windows.close(sec, &acc, &report.variant_names, false);
                if let Some(reason) = breach(&mut windows, &w) {
                    stopped_early.get_or_insert(reason);
                }
                sink(LoadUpdate::Window(w));
            }
        }
        if master_done {
            break;
        }
        if stopped_early.is_some() && !stopping {
            // Stop ends the swarm through the master: its shape sees the
            // stop file, drains and quits, telling every worker to quit.
            stopping = true;
            stop_at = Some(Instant::now());
            if std::fs::write(super::swarm::stop_file(report_path), b"stop").is_err() {
                swarm.master.terminate();
            }
        }
        if stop_at.is_some_and(|at| at.elapsed() > drain + GRACE) {
            swarm.master.terminate();
        }
        let backstop = join_timeout + plan.duration + plan.timeout + Duration::from_secs(20);
        if t0.elapsed() > backstop {
            faults.push(format!(
                "Locust did not end within {:.0} s (join {:.0} s + run {:.0} s + timeout); stopped",
                backstop.as_secs_f64(),
                cfg.join_timeout_s,
                duration
            ));
            break;
        }
    }
    // Whatever the master wrote last, then every second still open.
    if swarm.master.exited().is_none() && !faults.is_empty() {
        swarm.master.terminate();
    }
    let _ = tokio::time::timeout(GRACE, async {
        while swarm.master.exited().is_none() {
            tokio::time::sleep(TICK).await;
        }
    })
    .await;
    report.poll();
    let open: Vec<i64> = report.seconds.keys().copied().collect();
    let n_open = open.len();
    for (i, sec) in open.into_iter().enumerate() {
        emit_gaps(&mut windows, sec, &report.variant_names, sink);
        if let Some(acc) = report.seconds.remove(&sec) {
            let w = windows.close(sec, &acc, &report.variant_names, i + 1 == n_open);
            sink(LoadUpdate::Window(w));
        }
    }
    let pool = report.pool();
    if last_pool.as_ref() != Some(&pool) {
        sink(LoadUpdate::Workers(pool));
    }
    if lost.len() as u32 > cfg.allow_fewer {
        for n in &lost_notes {
            faults.push(format!(
                "{n} (load.locust.allow_fewer = {} of {} workers)",
                cfg.allow_fewer,
                labels.len()
            ));
        }
    }
    for l in report.cpu_warnings() {
        faults.push(format!(
            "worker {l} went above 90% CPU (Locust's warning): it could not keep up, so its latencies include its own queueing"
        ));
    }
    faults.extend(report.faults.iter().cloned());
    if report.unknown_names > 0 {
        faults.push(format!(
            "{} requests reported under names the plan does not know",
            report.unknown_names
        ));
    }
    let elapsed = joined_at.map(|j| j.elapsed().as_secs_f64()).unwrap_or(0.0);
    // The load ran for the planned length unless it was stopped; the
    // windows also span the partial first second and the drain.
    let span = (windows.next - windows.first.unwrap_or(windows.next)).max(0) as f64;
    let run_s = match (&stopped_early, stop_at) {
        (None, _) if span > 0.0 => duration,
        (Some(_), Some(at)) => joined_at.map_or(0.0, |j| (at - j).as_secs_f64().min(duration)),
        _ => span,
    };
    let target_rps = profile
        .as_ref()
        .map(|p| p.expected_between(0.0, p.duration_s()) / p.duration_s().max(1e-9))
        .unwrap_or(0.0);
    let mut summary = windows.totals.summary(
        model,
        &names,
        if run_s > 0.0 {
            run_s
        } else {
            elapsed.min(duration)
        },
        target_rps,
        0,
    );
    summary.stopped_early = stopped_early;
    summary.generator_faults = faults;
    Ok(summary)
}

/// Seconds in which no worker reported anything are still windows (of zero
/// requests), so that a stall shows.
fn emit_gaps(
    windows: &mut Windows,
    sec: i64,
    variants: &[String],
    sink: &mut impl FnMut(LoadUpdate),
) {
    if windows.first.is_none() {
        return;
    }
    let empty = WindowAcc::new(windows.names.len());
    while windows.next < sec {
        let s = windows.next;
        let w = windows.close(s, &empty, variants, false);
        sink(LoadUpdate::Window(w));
    }
}

/// A sliding-window threshold breached long enough to stop the run.
fn breach(windows: &mut Windows, w: &Window) -> Option<String> {
    if windows.keep == 0 {
        return None;
    }
    windows.recent.push_back(w.clone());
    if windows.recent.len() > windows.keep {
        windows.recent.pop_front();
    }
    let slice = windows.recent.make_contiguous();
    windows
        .abort_on
        .iter()
        .find_map(|t| t.sustained_breach(slice))
}

fn never_joined(swarm: &Swarm, report: &Report, cfg: &LocustConfig) -> String {
    let missing = report.missing();
    let mut parts = Vec::new();
    for m in &missing {
        let tail = swarm
            .workers
            .iter()
            .find(|w| &w.label == m)
            .map(|w| w.tail(5).join(" | "))
            .unwrap_or_default();
        if tail.is_empty() {
            parts.push(m.clone());
        } else {
            parts.push(format!("{m} (its output: {tail})"));
        }
    }
    format!(
        "{} of {} Locust workers never joined within {:.0} s (load.locust.join_timeout_s): {}",
        missing.len(),
        report.pool().expected,
        cfg.join_timeout_s,
        parts.join(", ")
    )
}
