//! The Load pane when Locust sends the load: the generator line shows how
//! many workers joined and each worker's state and CPU (a lost worker in
//! text, not colour alone), at 120x40 and 80x24.

mod ui_support;

use flightdeck::core::event::{Envelope, Event};
use flightdeck::core::load::{WorkerInfo, WorkerPool};
use flightdeck::ui::App;
use ui_support::*;

fn pool(second: &str, cpu_warning: bool) -> WorkerPool {
    WorkerPool {
        engine: "locust".into(),
        expected: 2,
        workers: vec![
            WorkerInfo {
                label: "local-1".into(),
                state: "running".into(),
                cpu_pct: 34.0,
                cpu_warning: false,
            },
            WorkerInfo {
                label: "local-2".into(),
                state: second.into(),
                cpu_pct: 91.5,
                cpu_warning,
            },
        ],
    }
}

fn with_pool(p: WorkerPool) -> Vec<Envelope> {
    let mut envs = release_envelopes();
    let seq = envs.len() as u64 + 1;
    envs.push(envelope(
        seq,
        37,
        Event::LoadWorkers {
            stage: "load".into(),
            pool: p,
        },
    ));
    envs
}

fn app(envs: &[Envelope]) -> App {
    let mut app = app_with(envs, &opts());
    app.now = t0() + chrono::Duration::seconds(38);
    app
}

#[test]
fn locust_workers_zoomed_120x40() {
    let mut app = app(&with_pool(pool("running", false)));
    press(&mut app, "3");
    press(&mut app, "z");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("locust_workers_zoomed_120x40", screen);
    assert!(screen.contains("locust: 2/2 workers"), "{screen}");
    assert!(screen.contains("local-1 running 34%"), "{screen}");
    assert!(
        !screen.contains("lag p99"),
        "no send schedule to lag:\n{screen}"
    );
    // Live windows are drawn as for the built-in engine.
    assert!(screen.contains("p95 39ms"), "{screen}");
}

#[test]
fn a_lost_worker_and_a_cpu_warning_compact_80x24() {
    let mut app = app(&with_pool(pool("lost", true)));
    press(&mut app, "3");
    let screen = text(&render(&app, 80, 24));
    insta::assert_snapshot!("locust_worker_lost_80x24", screen);
    assert!(screen.contains("locust: 1/2 workers"), "{screen}");
    assert!(screen.contains("local-2 LOST"), "{screen}");
}
