//! The Load pane's title once the traffic has stopped: the final summary of
//! the load stage, marked final, never the figures of a last (possibly
//! idle) second, which read like a dead target. While traffic runs (the
//! load stage's, or a canary step's) the title stays live.

mod ui_support;

use flightdeck::core::event::{Envelope, Event};
use flightdeck::core::load::LoadModel;
use flightdeck::core::state::RunState;
use flightdeck::ui::panes::load::title_text;
use ui_support::*;

/// The release run (load finished with its summary), then a canary stage
/// whose traffic takes over the load view; its last second served nothing.
fn canary_traffic_after_the_load(canary_done: bool) -> Vec<Envelope> {
    let mut envs = release_finished_envelopes();
    let mut seq = envs.len() as u64;
    let mut push = |secs: i64, event: Event| {
        seq += 1;
        envs.push(envelope(seq, secs, event));
    };
    push(
        40,
        Event::StageStarted {
            stage: "canary".into(),
        },
    );
    push(
        40,
        Event::LoadStarted {
            stage: "canary".into(),
            model: LoadModel::Open,
            duration_s: 10.0,
            connections: 64,
            thresholds: Vec::new(),
        },
    );
    let mut idle = load_window(0);
    idle.requests = 0;
    idle.errors = 0;
    idle.achieved_rps = 0.0;
    (idle.p50_ms, idle.p95_ms, idle.p99_ms) = (0.0, 0.0, 0.0);
    idle.endpoints.clear();
    push(
        41,
        Event::LoadWindow {
            stage: "canary".into(),
            window: idle,
        },
    );
    if canary_done {
        push(
            42,
            serde_json::from_str(
                r#"{"type":"stage_finished","stage":"canary","verdict":"fail","summary":"rolled back","evidence":[]}"#,
            )
            .expect("event"),
        );
    }
    envs
}

fn title(envs: &[Envelope]) -> String {
    let state = RunState::from_envelopes(envs);
    let load = state.load.as_ref().expect("load view");
    title_text(&state, load)
}

#[test]
fn a_finished_load_stage_titles_its_final_summary() {
    let t = title(&release_finished_envelopes());
    assert!(
        t.starts_with("final: p50 12ms p95 44ms p99 97ms 2.0k rps err 0.07%"),
        "{t}"
    );
}

#[test]
fn after_the_traffic_stops_the_title_is_the_load_stages_summary_not_a_dead_second() {
    let t = title(&canary_traffic_after_the_load(true));
    assert!(
        t.starts_with("final (load): p50 12ms p95 44ms p99 97ms 2.0k rps err 0.07%"),
        "{t}"
    );
    assert!(!t.contains("0.0ms"), "{t}");

    let mut app = app_with(&canary_traffic_after_the_load(true), &opts());
    press(&mut app, "3");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("final (load): p50 12ms"), "{screen}");
}

#[test]
fn while_traffic_runs_the_title_is_live() {
    let t = title(&canary_traffic_after_the_load(false));
    assert!(t.starts_with("p50 0.0ms p95 0.0ms p99 0.0ms 0 rps"), "{t}");
    assert!(!t.contains("final"), "{t}");

    let live: Vec<Envelope> = release_envelopes();
    let t = title(&live);
    assert!(!t.contains("final"), "{t}");
    assert!(t.starts_with("p50 "), "{t}");
}
