//! The compact layout (80x24) while a canary is live and another pane is in
//! view: the canary strip under it carries the flag and its share with the
//! rollback key, the live guard, the countdown or hold with the keys that
//! act on it, and the latest judgement when there is room. Snapshots of a
//! live canary, a counting-down automatic rollback and a held one.

mod ui_support;

use flightdeck::core::event::{Envelope, Event, StageKind, StagePlan};
use flightdeck::ui::UiOptions;
use flightdeck::ui::panes::canary::strip::Strip;
use ratatui::layout::Rect;
use ui_support::*;

fn mono() -> UiOptions {
    UiOptions {
        theme: "mono".into(),
        ..opts()
    }
}

/// The canary fixtures inside a whole plan: the environment and the load
/// passed before the canary, the gate waits.
fn in_a_plan(mut envs: Vec<Envelope>) -> Vec<Envelope> {
    if let Event::RunStarted { stages, .. } = &mut envs[0].event {
        let plan = |id: &str, kind| StagePlan {
            id: id.into(),
            kind,
            weight: 1.0,
            hard: true,
        };
        *stages = vec![
            plan("env", StageKind::Environment),
            plan("load", StageKind::Load),
            stages[0].clone(),
            plan("gate", StageKind::Gate),
        ];
    }
    let mut before = Vec::new();
    for (stage, secs) in [("env", 0), ("load", 1)] {
        for (event, at) in [
            (
                format!(r#"{{"type":"stage_started","stage":"{stage}"}}"#),
                secs,
            ),
            (
                format!(
                    r#"{{"type":"stage_finished","stage":"{stage}","verdict":"pass","summary":"ok","evidence":[]}}"#
                ),
                secs + 1,
            ),
        ] {
            before.push(envelope(
                0,
                at,
                serde_json::from_str(&event).expect("event"),
            ));
        }
    }
    envs.splice(1..1, before);
    // Keep the journal's order: renumber after the inserts.
    for (i, e) in envs.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    envs
}

fn screen(envs: &[Envelope]) -> String {
    let app = canary_app(&in_a_plan(envs.to_vec()), &mono());
    let s = text(&render(&app, 80, 24));
    for line in s.lines() {
        assert!(line.chars().count() <= 80, "overflow: {line}");
    }
    s
}

#[test]
fn a_live_canary_shows_under_the_stages_at_80x24() {
    let s = screen(&canary_envelopes());
    insta::assert_snapshot!("compact_canary_live_80x24_mono", s);
    for part in [
        "[1 Stages]",
        " 4 Canary ",
        "checkout-v2 25%",
        "[R] rollback",
        "guard: 1/3 breaching windows, rollback in 2 windows",
        "judged step 1 at 5%: PASS",
    ] {
        assert!(s.contains(part), "missing {part}:\n{s}");
    }
}

#[test]
fn a_counting_down_rollback_shows_its_keys_at_80x24() {
    let s = screen(&canary_auto_envelopes(false));
    insta::assert_snapshot!("compact_canary_countdown_80x24_mono", s);
    for part in [
        "[1 Stages]",
        "guard: TRIPPED after 3 breaching windows",
        "AUTO-ROLLBACK in 1s — H holds, R rolls back now",
    ] {
        assert!(s.contains(part), "missing {part}:\n{s}");
    }
}

#[test]
fn a_held_rollback_shows_who_holds_it_at_80x24() {
    let s = screen(&canary_auto_envelopes(true));
    insta::assert_snapshot!("compact_canary_held_80x24_mono", s);
    for part in [
        "AUTO-ROLLBACK HELD by sam — R rolls back, H releases",
        "hold ends in 9:59",
    ] {
        assert!(s.contains(part), "missing {part}:\n{s}");
    }
}

#[test]
fn the_strip_leaves_when_the_canary_pane_is_in_view_or_the_canary_is_done() {
    let envs = in_a_plan(canary_envelopes());
    let mut app = canary_app(&envs, &mono());
    press(&mut app, "4");
    let s = text(&render(&app, 80, 24));
    assert_eq!(s.matches("Canary").count(), 1, "{s}");

    let mut done = envs.clone();
    let n = done.len() as u64;
    done.push(rollback_requested_envelope(n + 1));
    done.push(rollback_confirmed_envelope(n + 2));
    done.push(envelope(
        n + 3,
        17,
        serde_json::from_str(
            r#"{"type":"stage_finished","stage":"canary","verdict":"fail","summary":"rolled back","evidence":[]}"#,
        )
        .expect("event"),
    ));
    let app = canary_app(&done, &mono());
    let s = text(&render(&app, 80, 24));
    assert!(!s.contains("Canary"), "{s}");
}

#[test]
fn a_failed_rollback_keeps_the_strip_with_its_retry_key() {
    let mut envs = in_a_plan(canary_envelopes());
    let n = envs.len() as u64;
    envs.push(rollback_requested_envelope(n + 1));
    envs.push(rollback_failed_envelope(n + 2));
    let s = text(&render(&canary_app(&envs, &mono()), 80, 24));
    assert!(
        s.contains("ROLLBACK FAILED: flag file is read-only — press R to retry"),
        "{s}"
    );
}

#[test]
fn on_a_short_body_the_judgement_gives_way_first() {
    let app = canary_app(&in_a_plan(canary_auto_envelopes(true)), &mono());
    let body = |h| Rect::new(0, 2, 80, h);
    // Room for everything: guard, held line, its cause, the judgement.
    assert_eq!(Strip::new(&app, body(21)).map(|s| s.height()), Some(6));
    // Three rows inside the frame: the judgement goes, the rest stays.
    assert_eq!(Strip::new(&app, body(13)).map(|s| s.height()), Some(5));
    // Not even the essentials beside a usable pane: no strip.
    assert!(Strip::new(&app, body(11)).is_none());
}
