//! The orphan dialog: a run starts and finds an earlier run that crashed
//! with its flag moved (`canary.on_orphan = "ask"`). The dialog opens by
//! itself with the focus on Roll back, `R` rolls back with one key, `l`
//! leaves, Esc hides; read-only and replay sessions never ask.

mod ui_support;

use flightdeck::core::command::Command;
use flightdeck::core::event::Event;
use flightdeck::core::recovery::{Orphan, OrphanResolution, RecoveryAction};
use flightdeck::ui::{Effect, Overlay, UiOptions};
use ui_support::*;

const RUN: &str = "20260301-221500-ab12";

fn orphan() -> Orphan {
    Orphan {
        run_id: RUN.into(),
        flag: "checkout-v2".into(),
        provider: "file".into(),
        location: "/srv/flags/flags.json".into(),
        share: Some(25.0),
        enabled: true,
        pre_run: Some(0.0),
        last_event_at: t0() - chrono::Duration::hours(11),
        state_dir: ".flightdeck".into(),
    }
}

fn with_orphan(o: &UiOptions) -> flightdeck::ui::App {
    let mut envs = in_progress_envelopes();
    let seq = envs.len() as u64 + 1;
    envs.push(envelope(seq, 1, Event::OrphanFound { orphan: orphan() }));
    app_with(&envs, o)
}

fn resolved(seq: u64) -> flightdeck::core::event::Envelope {
    envelope(
        seq,
        3,
        Event::OrphanResolved {
            run_id: RUN.into(),
            actor: "sam".into(),
            resolution: OrphanResolution::Recovered {
                action: RecoveryAction::RolledBack,
            },
        },
    )
}

#[test]
fn the_dialog_opens_by_itself_with_rollback_focused() {
    let app = with_orphan(&opts());
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmOrphan {
            rollback_focused: true
        })
    );
    let screen = text(&render(&app, 80, 24));
    insta::assert_snapshot!("orphan_dialog_80x24", screen);
    assert!(screen.contains("[ Roll back ]"), "{screen}");
}

#[test]
fn r_rolls_back_with_one_key_and_the_dialog_closes() {
    let mut app = with_orphan(&opts());
    assert_eq!(
        press(&mut app, "R"),
        [Effect::Send(Command::ResolveOrphan {
            run_id: RUN.into(),
            rollback: true,
        })]
    );
    assert_eq!(app.overlay(), None);
    // The engine's answer settles it; the dialog does not come back.
    app.apply(&resolved(100));
    assert_eq!(app.overlay(), None);
    assert_eq!(app.state().pending_orphans().count(), 0);
}

#[test]
fn enter_takes_the_focus_and_l_leaves() {
    let mut app = with_orphan(&opts());
    assert_eq!(
        press(&mut app, "enter"),
        [Effect::Send(Command::ResolveOrphan {
            run_id: RUN.into(),
            rollback: true,
        })]
    );
    let mut app = with_orphan(&opts());
    assert_eq!(
        press(&mut app, "l"),
        [Effect::Send(Command::ResolveOrphan {
            run_id: RUN.into(),
            rollback: false,
        })]
    );
    let mut app = with_orphan(&opts());
    press(&mut app, "tab");
    assert_eq!(
        press(&mut app, "enter"),
        [Effect::Send(Command::ResolveOrphan {
            run_id: RUN.into(),
            rollback: false,
        })],
        "tab moves the focus to Leave"
    );
}

#[test]
fn esc_hides_the_question_and_names_the_command() {
    let mut app = with_orphan(&opts());
    assert!(press(&mut app, "esc").is_empty());
    assert_eq!(app.overlay(), None);
    let status = format!("{:?}", app.status());
    assert!(
        status.contains(
            "flightdeck recover --state-dir .flightdeck --run 20260301-221500-ab12 --rollback"
        ),
        "{status}"
    );
    // R is the canary's rollback again, not the orphan's.
    assert!(
        !press(&mut app, "R")
            .iter()
            .any(|e| matches!(e, Effect::Send(Command::ResolveOrphan { .. })))
    );
}

#[test]
fn read_only_and_replay_never_ask() {
    let ro = UiOptions {
        read_only: true,
        ..opts()
    };
    assert_eq!(with_orphan(&ro).overlay(), None);
    let replay = UiOptions {
        replay: true,
        ..opts()
    };
    assert_eq!(with_orphan(&replay).overlay(), None);
}
