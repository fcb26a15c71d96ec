//! The load stage's verdict: thresholds, baseline comparison and the
//! generator's own health, folded into one [`Verdict`] with evidence.
//!
//! A saturated generator measured itself, not the target: latency and rate
//! criteria then make the verdict Inconclusive, never Pass. Errors are the
//! target's own doing, so an error-rate failure stays a failure.

use crate::core::verdict::{Evidence, Verdict};

use super::baseline::Comparison;
use super::threshold::{Metric, Status, Threshold};
use crate::core::load::{Summary, Window};

/// True when saturation was sustained: three seconds in a row, or at least a
/// fifth of the windows and more than one (one slow second in a short run on
/// a shared machine is a warning, not a lost measurement).
pub fn sustained_saturation(s: &Summary) -> bool {
    let windows = s.windows.max(1);
    s.longest_saturation_s >= 3
        || (s.saturated_windows * 5 >= windows && s.saturated_windows >= windows.min(2))
}

/// Judge a finished run. Returns the verdict, its evidence and one line for
/// the stage list and logs.
pub fn judge(
    summary: &Summary,
    windows: &[Window],
    thresholds: &[Threshold],
    comparison: Option<&Comparison>,
) -> (Verdict, Vec<Evidence>, String) {
    let mut ev = Vec::new();
    let mut verdict = Verdict::Pass;
    let push = |ev: &mut Vec<Evidence>,
                label: String,
                value: String,
                threshold: Option<String>,
                v: Verdict| {
        ev.push(Evidence {
            label,
            value,
            threshold,
            verdict: v,
        });
    };
    let headline = headline(summary);
    if summary.requests == 0 {
        push(
            &mut ev,
            "load".into(),
            "no request completed".into(),
            None,
            Verdict::Inconclusive,
        );
        let mut line = format!("no request completed ({})", error_kinds(summary));
        if let Some(tls) = &summary.tls_error {
            line = format!("{line}; {tls}");
        }
        for f in &summary.generator_faults {
            push(
                &mut ev,
                "generator".into(),
                f.clone(),
                None,
                Verdict::Inconclusive,
            );
            line = format!("{line}; {f}");
        }
        return (Verdict::Inconclusive, ev, line);
    }
    // A distributed engine's own faults (workers missing, lost, out of CPU)
    // mean the load measured was not the load planned.
    for f in &summary.generator_faults {
        push(
            &mut ev,
            "generator".into(),
            f.clone(),
            None,
            Verdict::Inconclusive,
        );
        verdict = verdict.worst(Verdict::Inconclusive);
    }
    let saturated = sustained_saturation(summary);
    let saturation_text = format!(
        "generator could not keep the rate: {} of {} windows saturated, send lag p99 {:.1}ms (max {:.1}ms), {} requests found no free connection, achieved {:.0}/s of target {:.0}/s",
        summary.saturated_windows,
        summary.windows,
        summary.lag.p99_ms,
        summary.lag.max_ms,
        summary.lag.backlog,
        summary.requests_per_sec,
        summary.target_rps
    );
    if saturated {
        push(
            &mut ev,
            "generator".into(),
            saturation_text.clone(),
            Some("lag p99 <= 10ms, >= 95% of scheduled sent".into()),
            Verdict::Inconclusive,
        );
        verdict = verdict.worst(Verdict::Inconclusive);
    } else if summary.saturated_windows > 0 {
        push(
            &mut ev,
            "generator".into(),
            format!(
                "{} of {} windows saturated (not sustained)",
                summary.saturated_windows, summary.windows
            ),
            None,
            Verdict::Warn,
        );
        verdict = verdict.worst(Verdict::Warn);
    }

    let mut has_error_threshold = false;
    for t in thresholds {
        has_error_threshold |= t.metric == Metric::ErrorRate;
        let r = t.evaluate_windows(summary, windows);
        let v = match r.status {
            Status::Pass => Verdict::Pass,
            Status::NoData => Verdict::Inconclusive,
            // Latency and rate measured by a saturated generator are its own.
            Status::Fail if saturated && t.metric != Metric::ErrorRate => Verdict::Inconclusive,
            Status::Fail => Verdict::Fail,
        };
        verdict = verdict.worst(v);
        push(
            &mut ev,
            format!("threshold {}", t.text),
            r.detail,
            Some(t.text.clone()),
            v,
        );
    }
    if !has_error_threshold {
        // Without an explicit criterion, some errors deserve a look; a run
        // where most requests failed measured nothing worth passing. Judged
        // even when nothing failed, so a pass always has a criterion met.
        let v = if summary.errors == 0 {
            Verdict::Pass
        } else if summary.success_rate < 0.5 {
            Verdict::Fail
        } else {
            Verdict::Warn
        };
        push(
            &mut ev,
            "errors".into(),
            match &summary.tls_error {
                _ if summary.errors == 0 => format!("none of {} failed", summary.requests),
                Some(tls) => format!(
                    "{} of {} failed ({}); {tls}",
                    summary.errors,
                    summary.requests,
                    error_kinds(summary)
                ),
                None => format!(
                    "{} of {} failed ({})",
                    summary.errors,
                    summary.requests,
                    error_kinds(summary)
                ),
            },
            Some("no error_rate threshold set; more than half failing fails".into()),
            v,
        );
        verdict = verdict.worst(v);
    }

    match comparison {
        None => {}
        Some(Comparison::NoBaseline { scenario }) => {
            push(
                &mut ev,
                "baseline".into(),
                format!("no baseline yet for \"{scenario}\"; judged on absolute thresholds only"),
                None,
                Verdict::Skipped,
            );
        }
        Some(
            c @ Comparison::Compared {
                scopes, warnings, ..
            },
        ) => {
            let regressions = c.regressions();
            // The setup cannot see what max_rise_pct asks for: said, and
            // left out of the verdict (it is about the setup, not the release).
            for w in warnings {
                push(
                    &mut ev,
                    "baseline sensitivity".into(),
                    w.clone(),
                    None,
                    Verdict::Warn,
                );
            }
            for s in scopes.iter().filter(|s| !s.regressed) {
                push(
                    &mut ev,
                    format!("baseline {}", s.scope),
                    s.detail.clone(),
                    None,
                    Verdict::Pass,
                );
            }
            for r in &regressions {
                let v = if saturated {
                    Verdict::Inconclusive
                } else {
                    Verdict::Fail
                };
                verdict = verdict.worst(v);
                push(
                    &mut ev,
                    format!("baseline {}", r.scope),
                    r.detail.clone(),
                    None,
                    v,
                );
            }
        }
    }

    match summary.stopped_early.as_deref() {
        Some("cancelled") => {
            push(
                &mut ev,
                "run".into(),
                "stopped by the operator before the end".into(),
                None,
                Verdict::Inconclusive,
            );
            verdict = verdict.worst(Verdict::Inconclusive);
        }
        Some(reason) => {
            push(
                &mut ev,
                "run".into(),
                format!("stopped early: {reason}"),
                None,
                Verdict::Fail,
            );
            verdict = verdict.worst(Verdict::Fail);
        }
        None => {}
    }

    // The line stands alone in reports and JSON: spell out the one badge
    // that is only a glyph.
    let badge = match verdict {
        Verdict::Inconclusive => "INCONCLUSIVE",
        v => v.badge(),
    };
    let line = match verdict {
        Verdict::Inconclusive if saturated => format!("{badge}: {saturation_text}"),
        Verdict::Fail | Verdict::Inconclusive | Verdict::Warn => {
            let why: Vec<&str> = ev
                .iter()
                .filter(|e| e.verdict == verdict)
                .map(|e| e.value.as_str())
                .collect();
            format!("{badge} {headline}; {}", why.join("; "))
        }
        _ => format!("{badge} {headline}"),
    };
    (verdict, ev, line)
}

/// Rate, latency and error share in one line: what was measured, the
/// verdict line's subject.
fn headline(s: &Summary) -> String {
    format!(
        "{:.0} req/s, p50 {:.1}ms, p95 {:.1}ms, p99 {:.1}ms (uncorrected p99 {:.1}ms), errors {:.2}%",
        s.requests_per_sec,
        s.latency.p50_ms,
        s.latency.p95_ms,
        s.latency.p99_ms,
        s.uncorrected.p99_ms,
        (1.0 - s.success_rate) * 100.0
    )
}

/// What the run measured, in one line, for the summary of a report. It is
/// information, not evidence: it carries no verdict (a run whose every
/// request failed measured its rate and latency all the same, and must not
/// read as a pass anywhere); the verdict comes from the judged lines.
pub fn summary_line(s: &Summary) -> String {
    format!(
        "{} requests in {:.1}s: {}",
        s.requests,
        s.duration_s,
        headline(s)
    )
}

fn error_kinds(s: &Summary) -> String {
    if s.error_kinds.is_empty() {
        return "no errors recorded".into();
    }
    s.error_kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::load::Percentiles;

    fn summary() -> Summary {
        Summary {
            requests: 1000,
            duration_s: 10.0,
            requests_per_sec: 100.0,
            target_rps: 100.0,
            success_rate: 1.0,
            windows: 10,
            latency: Percentiles {
                p50_ms: 10.0,
                p95_ms: 40.0,
                p99_ms: 80.0,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn th(t: &str) -> Threshold {
        Threshold::parse(t).unwrap()
    }

    #[test]
    fn passing_thresholds_pass_and_failing_ones_fail() {
        let (v, ev, line) = judge(&summary(), &[], &[th("p95 < 50ms")], None);
        assert_eq!(v, Verdict::Pass, "{ev:?}");
        assert!(line.starts_with("PASS 100 req/s"), "{line}");
        let (v, _, line) = judge(&summary(), &[], &[th("p95 < 30ms")], None);
        assert_eq!(v, Verdict::Fail);
        assert!(line.contains("p95 was 40.0ms (limit 30.0ms)"), "{line}");
    }

    #[test]
    fn saturation_is_inconclusive_never_pass() {
        let mut s = summary();
        s.saturated_windows = 4;
        s.lag.p99_ms = 250.0;
        let (v, _, line) = judge(&s, &[], &[th("p95 < 50ms")], None);
        assert_eq!(v, Verdict::Inconclusive);
        assert!(
            line.starts_with("INCONCLUSIVE: generator could not keep the rate")
                && line.contains("lag p99 250.0ms"),
            "{line}"
        );
        // A latency failure under saturation is the generator's, not the target's.
        assert_eq!(
            judge(&s, &[], &[th("p95 < 30ms")], None).0,
            Verdict::Inconclusive
        );
        // Errors are the target's.
        s.errors = 100;
        s.success_rate = 0.9;
        assert_eq!(
            judge(&s, &[], &[th("error_rate < 1%")], None).0,
            Verdict::Fail
        );
        // One saturated window of ten is only a warning.
        let mut s = summary();
        s.saturated_windows = 1;
        s.longest_saturation_s = 1;
        assert_eq!(judge(&s, &[], &[], None).0, Verdict::Warn);
        // Most requests failing fails even without an error threshold.
        let mut s = summary();
        s.errors = 600;
        s.success_rate = 0.4;
        assert_eq!(judge(&s, &[], &[], None).0, Verdict::Fail);
        s.errors = 10;
        s.success_rate = 0.99;
        assert_eq!(judge(&s, &[], &[], None).0, Verdict::Warn);
    }

    /// Issue 10: every request refused gave "PASS load: ... errors 100.00%"
    /// as the first line of evidence. The measurement is not a judged line;
    /// the stage is the worst of the judged ones.
    #[test]
    fn what_was_measured_is_no_evidence_and_never_passes() {
        let mut s = summary();
        s.errors = s.requests;
        s.success_rate = 0.0;
        s.error_kinds = [("connect".to_string(), s.requests)].into();
        let (v, ev, line) = judge(&s, &[], &[], None);
        assert_eq!(v, Verdict::Fail);
        assert!(ev.iter().all(|e| e.verdict != Verdict::Pass), "{ev:?}");
        assert!(ev.iter().all(|e| e.label != "load"), "{ev:?}");
        assert!(
            line.starts_with("FAIL ") && !line.contains("PASS"),
            "{line}"
        );
        assert_eq!(
            summary_line(&s),
            "1000 requests in 10.0s: 100 req/s, p50 10.0ms, p95 40.0ms, p99 80.0ms (uncorrected p99 0.0ms), errors 100.00%"
        );
        // a clean run passes on a judged line: the implicit error criterion
        let (v, ev, _) = judge(&summary(), &[], &[], None);
        assert_eq!(v, Verdict::Pass);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(
            (ev[0].label.as_str(), ev[0].value.as_str()),
            ("errors", "none of 1000 failed")
        );
        // the verdict is still the worst judged line
        let (v, ev, _) = judge(&summary(), &[], &[th("p95 < 50ms"), th("p99 < 50ms")], None);
        assert_eq!(v, Verdict::Fail);
        assert_eq!(
            ev.iter().map(|e| e.verdict).collect::<Vec<_>>(),
            [Verdict::Pass, Verdict::Fail, Verdict::Pass]
        );
    }

    #[test]
    fn nothing_measured_or_cancelled_is_inconclusive() {
        let s = Summary::default();
        assert_eq!(judge(&s, &[], &[], None).0, Verdict::Inconclusive);
        let mut s = summary();
        s.stopped_early = Some("cancelled".into());
        assert_eq!(judge(&s, &[], &[], None).0, Verdict::Inconclusive);
    }

    #[test]
    fn no_baseline_is_noted_but_not_judged() {
        let c = Comparison::NoBaseline {
            scenario: "smoke".into(),
        };
        let (v, ev, _) = judge(&summary(), &[], &[], Some(&c));
        assert_eq!(v, Verdict::Pass);
        assert!(
            ev.iter()
                .any(|e| e.verdict == Verdict::Skipped && e.value.contains("no baseline yet"))
        );
    }
}
