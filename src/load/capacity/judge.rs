//! Judging one step of a capacity search, and finding the knee.

use crate::core::capacity::{CapacityStep, StepOutcome};
use crate::core::load::{Summary, Window};
use crate::load::judge::sustained_saturation;
use crate::load::threshold::{Metric, Status, Threshold};

/// Windows with fewer requests than this are not used to judge noise.
const MIN_WINDOW_REQUESTS: u64 = 10;

/// Judge a held step: its outcome and the SLO lines.
pub fn judge_step(
    rate: f64,
    summary: &Summary,
    windows: &[Window],
    slo: &[Threshold],
    max_error_rate: f64,
) -> CapacityStep {
    let error_rate = if summary.requests == 0 {
        0.0
    } else {
        summary.errors as f64 / summary.requests as f64
    };
    let mut step = CapacityStep {
        rate_rps: rate,
        achieved_rps: summary.requests_per_sec,
        requests: summary.requests,
        errors: summary.errors,
        error_rate,
        p50_ms: summary.latency.p50_ms,
        p95_ms: summary.latency.p95_ms,
        p99_ms: summary.latency.p99_ms,
        p99_uncorrected_ms: summary.uncorrected.p99_ms,
        lag_p99_ms: summary.lag.p99_ms,
        ..CapacityStep::default()
    };
    let results: Vec<_> = slo
        .iter()
        .map(|t| t.evaluate_windows(summary, windows))
        .collect();
    step.detail = results
        .iter()
        .map(|r| r.detail.clone())
        .collect::<Vec<_>>()
        .join("; ");
    if summary.requests == 0 {
        step.outcome = Some(StepOutcome::Unsafe);
        step.detail = "no request completed".into();
        return step;
    }
    if error_rate > max_error_rate {
        step.outcome = Some(StepOutcome::Unsafe);
        step.detail = format!(
            "error rate {:.1}% above the safety bound {:.1}%: search stopped; {}",
            error_rate * 100.0,
            max_error_rate * 100.0,
            step.detail
        );
        return step;
    }
    let breached = results.iter().any(|r| r.status == Status::Fail);
    let saturated = sustained_saturation(summary)
        || (summary.target_rps > 0.0
            && summary.requests_per_sec < 0.8 * summary.target_rps
            && summary.lag.p99_ms > 100.0);
    // Did the target itself answer in time? Its own time is the latency
    // from the actual send; the generator's queueing is the difference.
    let target_in_time = slo
        .iter()
        .filter(|t| t.endpoint.is_none() && is_latency(t.metric))
        .all(|t| summary.uncorrected.p99_ms.min(summary.uncorrected.max_ms) <= t.value);
    // Lateness matters when it could change the judgement: the rate fell
    // short, or the lag is a sizeable part of the latency bound.
    let smallest_bound = slo
        .iter()
        .filter(|t| is_latency(t.metric))
        .map(|t| t.value)
        .fold(f64::INFINITY, f64::min);
    let material = summary.requests_per_sec < 0.9 * rate
        || summary.lag.p99_ms > (smallest_bound / 2.0).min(100.0);
    if saturated && material && (target_in_time || !breached) {
        step.outcome = Some(StepOutcome::GeneratorLimited);
        step.detail = format!(
            "the generator, not the target, is the limit: send lag p99 {:.1}ms, achieved {:.0}/s of {:.0}/s, the target's own p99 {:.1}ms; {}",
            summary.lag.p99_ms,
            summary.requests_per_sec,
            rate,
            summary.uncorrected.p99_ms,
            step.detail
        );
        return step;
    }
    if noisy(windows, slo) {
        step.outcome = Some(StepOutcome::Noisy);
        step.detail = format!(
            "windows disagree (a breach, then within the SLO again); {}",
            step.detail
        );
        return step;
    }
    step.outcome = Some(if breached {
        StepOutcome::Breached
    } else {
        StepOutcome::WithinSlo
    });
    step
}

fn is_latency(m: Metric) -> bool {
    !matches!(m, Metric::ErrorRate | Metric::Rps)
}

/// Too noisy to judge: a window breaches a latency SLO and a later one is
/// within it again. A queue that builds up breaches from some window on and
/// stays breached; that is a real breach, not noise.
fn noisy(windows: &[Window], slo: &[Threshold]) -> bool {
    // The last window is the partial tail (drain): not judged.
    let judged: Vec<&Window> = windows
        .iter()
        .take(windows.len().saturating_sub(1))
        .filter(|w| w.requests >= MIN_WINDOW_REQUESTS)
        .collect();
    slo.iter().filter(|t| is_latency(t.metric)).any(|t| {
        let mut breached_before = false;
        for w in &judged {
            let Some(v) = t.window_value(w) else { continue };
            let ok = t.holds(v);
            if ok && breached_before {
                return true;
            }
            breached_before |= !ok;
        }
        false
    })
}

/// The knee: where latency starts to rise faster than linearly, by the
/// Kneedle method on the judged steps' log p99 against rate (both
/// normalised, the rate with the largest gap above the latency). `None` with fewer
/// than three rates or a curve that is not convex.
pub fn knee(curve: &[CapacityStep]) -> Option<f64> {
    let mut pts: Vec<(f64, f64)> = curve
        .iter()
        .filter(|s| {
            matches!(
                s.outcome,
                Some(StepOutcome::WithinSlo | StepOutcome::Breached)
            )
        })
        // Latency on a log scale: a queue makes it jump by orders of
        // magnitude, and the knee is where the rise starts, not where it
        // is steepest.
        .map(|s| (s.rate_rps, s.p99_ms.max(0.001).ln()))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts.dedup_by(|a, b| (a.0 - b.0).abs() < 1e-9);
    if pts.len() < 3 {
        return None;
    }
    let (x0, x1) = (pts[0].0, pts[pts.len() - 1].0);
    let (y0, y1) = pts.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let (best, gap) = pts
        .iter()
        .map(|(x, y)| (*x, (x - x0) / (x1 - x0) - (y - y0) / (y1 - y0)))
        .fold((x0, f64::MIN), |acc, p| if p.1 > acc.1 { p } else { acc });
    (gap >= 0.1).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(rate: f64, p99: f64) -> CapacityStep {
        CapacityStep {
            rate_rps: rate,
            p99_ms: p99,
            outcome: Some(StepOutcome::WithinSlo),
            ..CapacityStep::default()
        }
    }

    #[test]
    fn the_knee_is_where_latency_leaves_the_line() {
        let curve = [
            step(100.0, 2.0),
            step(200.0, 2.2),
            step(400.0, 2.5),
            step(800.0, 3.0),
            step(900.0, 40.0),
            step(1000.0, 400.0),
        ];
        assert_eq!(knee(&curve), Some(800.0));
        // A straight line has no knee.
        let line: Vec<_> = (1..6)
            .map(|i| step(f64::from(i) * 100.0, f64::from(i)))
            .collect();
        assert_eq!(knee(&line), None);
        assert_eq!(knee(&curve[..2]), None);
    }
}
