//! The Load pane during and after a capacity search: latency against
//! offered rate with the SLO line and the required peak, the status line,
//! and the curve's table. Snapshots at 120x40 and 80x24.

mod ui_support;

use flightdeck::core::capacity::{CapacityResult, CapacityStep, StepOutcome, StepPhase};
use flightdeck::core::event::{Envelope, Event};
use flightdeck::core::load::LoadModel;
use flightdeck::core::verdict::Verdict;
use ui_support::*;

fn step(index: u32, rate: f64, p99: f64, outcome: StepOutcome, phase: StepPhase) -> CapacityStep {
    CapacityStep {
        index,
        phase: Some(phase),
        rate_rps: rate,
        achieved_rps: rate.min(820.0),
        requests: (rate * 2.0) as u64,
        errors: 0,
        error_rate: 0.0,
        p50_ms: p99 / 3.0,
        p95_ms: p99 * 0.8,
        p99_ms: p99,
        p99_uncorrected_ms: p99,
        lag_p99_ms: 0.4,
        outcome: Some(outcome),
        detail: String::new(),
    }
}

fn curve() -> Vec<CapacityStep> {
    use StepOutcome::*;
    use StepPhase::*;
    vec![
        step(1, 300.0, 2.1, WithinSlo, Ramp),
        step(2, 450.0, 2.4, WithinSlo, Ramp),
        step(3, 675.0, 3.0, WithinSlo, Ramp),
        step(4, 1012.5, 690.0, Breached, Ramp),
        step(5, 843.8, 160.0, Breached, Bisect),
        step(6, 759.4, 3.4, WithinSlo, Bisect),
        step(7, 801.6, 9.8, WithinSlo, Bisect),
    ]
}

/// The release run, then a load stage `cap` that ran a capacity search
/// (finished when `done`).
fn envelopes(done: bool) -> Vec<Envelope> {
    let mut envs = release_finished_envelopes();
    let mut seq = envs.len() as u64;
    let mut push = |secs: i64, event: Event| {
        seq += 1;
        envs.push(envelope(seq, secs, event));
    };
    push(
        40,
        Event::StageStarted {
            stage: "load".into(),
        },
    );
    push(
        40,
        Event::LoadStarted {
            stage: "load".into(),
            model: LoadModel::Open,
            duration_s: 200.0,
            connections: 512,
            thresholds: vec!["p99 < 100ms".into(), "error_rate < 1%".into()],
        },
    );
    let steps = curve();
    let shown = if done { steps.len() } else { 5 };
    for (i, s) in steps.iter().take(shown).enumerate() {
        push(
            41 + i as i64 * 10,
            Event::CapacityStep(flightdeck::core::capacity::StepEvent {
                stage: "load".into(),
                required_rps: 500.0,
                step: s.clone(),
            }),
        );
    }
    if done {
        push(
            120,
            Event::CapacityResult(flightdeck::core::capacity::ResultEvent {
                stage: "load".into(),
                result: CapacityResult {
                    sustainable_rps: Some(801.6),
                    knee_rps: Some(759.4),
                    required_rps: 500.0,
                    headroom: 1.3,
                    headroom_achieved: Some(1.6),
                    bounded_by_max_rate: false,
                    slo: vec!["p99 < 100ms".into(), "error_rate < 1%".into()],
                    verdict: Verdict::Pass,
                    reason: "sustains 802/s within the SLO, 1.60x the required 500/s (needs 1.30x)"
                        .into(),
                    curve: steps,
                },
            }),
        );
        push(
            121,
            serde_json::from_str(
                r#"{"type":"stage_finished","stage":"load","verdict":"pass","summary":"sustains 802/s","evidence":[]}"#,
            )
            .expect("event"),
        );
    }
    envs
}

fn screen(done: bool, w: u16, h: u16, o: &flightdeck::ui::UiOptions) -> String {
    let mut app = app_with(&envelopes(done), o);
    app.now = t0() + chrono::Duration::seconds(125);
    press(&mut app, "3");
    if w >= 120 {
        press(&mut app, "z");
    }
    text(&render(&app, w, h))
}

#[test]
fn capacity_curve_finished_120x40() {
    let s = screen(true, 120, 40, &opts());
    insta::assert_snapshot!("capacity_finished_120x40", s);
    for part in [
        "capacity PASS",
        "sustainable 802/s",
        "knee 759/s",
        "required 500/s x1.30",
        "SLO p99<100ms",
        "required",
        "offered",
        "breach",
    ] {
        assert!(s.contains(part), "missing {part}:\n{s}");
    }
}

#[test]
fn capacity_curve_live_80x24() {
    let s = screen(false, 80, 24, &opts());
    insta::assert_snapshot!("capacity_live_80x24", s);
    assert!(s.contains("capacity search"), "{s}");
    assert!(s.contains("step 5"), "{s}");
}

#[test]
fn capacity_curve_80x24_mono_ascii() {
    let o = flightdeck::ui::UiOptions {
        theme: "mono".into(),
        ascii: true,
        ..opts()
    };
    let s = screen(true, 80, 24, &o);
    insta::assert_snapshot!("capacity_finished_80x24_mono_ascii", s);
    assert!(s.contains("PASS"), "{s}");
    assert!(s.contains('|'), "required marker in ascii:\n{s}");
    assert!(s.is_ascii() || !s.contains('⣀'), "{s}");
}
