//! Fall-through: the global keys reach every view overlay without a copy in
//! any of them, questions and prompts hold their keys, and pane keys never
//! reach under an overlay.

use chrono::{TimeZone, Utc};

use super::KeyResult;
use crate::core::command::Command;
use crate::core::event::{EnvRisk, Envelope, Event, StageKind, StagePlan};
use crate::core::flags::FlagState;
use crate::core::state::RunState;
use crate::ui::UiOptions;
use crate::ui::app::{App, Effect, Prompt};
use crate::ui::keymap::{Action, Key};
use crate::ui::overlay::{self, Overlay};
use crate::ui::panes::Pane;
use crate::ui::requests::{HOLD_REASON, ROLLBACK_REASON};

const FLAG: &str = "checkout-v2";

/// A run in progress with a live canary; with `auto`, an automatic
/// rollback counts down, so hold has something to hold.
fn canary_app(auto: bool) -> App {
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("valid time");
    let mut events = vec![
        Event::RunStarted {
            run_id: "0f1e2d3c4b5a6978".into(),
            service: "shop-api".into(),
            release: "2.14.0-rc3".into(),
            environment: "preprod-eu".into(),
            risk: EnvRisk::Preprod,
            operator: "sam".into(),
            operator_identity: None,
            read_only: false,
            stages: vec![StagePlan {
                id: "canary".into(),
                kind: StageKind::Canary,
                weight: 2.0,
                hard: true,
            }],
            pass_score: 90.0,
            warn_score: 70.0,
        },
        Event::StageStarted {
            stage: "canary".into(),
        },
        Event::CanaryStarted {
            stage: "canary".into(),
            flag: FLAG.into(),
            provider: "file".into(),
            steps: vec![5.0, 25.0],
            hold_s: 10,
            state: FlagState {
                flag: FLAG.into(),
                provider: "file".into(),
                enabled: true,
                rollout_percent: Some(0.0),
                canary_variant: Some("canary".into()),
                variants: vec!["baseline".into(), "canary".into()],
                default_variant: Some("baseline".into()),
                summary: "ENABLED, fractional canary 0 / baseline 100".into(),
            },
        },
    ];
    if auto {
        events.push(Event::CanaryAutoRollback {
            stage: "canary".into(),
            flag: FLAG.into(),
            trigger: "live guard".into(),
            reason: "error rate 20% > 5%".into(),
            delay_ms: 30_000,
            max_hold_ms: 600_000,
        });
    }
    let envelopes: Vec<Envelope> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Envelope {
            v: 1,
            seq: i as u64 + 1,
            ts: t0 + chrono::Duration::seconds(i as i64),
            event,
        })
        .collect();
    let opts = UiOptions {
        color: crate::config::ColorMode::Truecolor,
        ..UiOptions::default()
    };
    let state = RunState::from_envelopes(&envelopes);
    let mut app = App::with_no_color(&opts, state, true, false).expect("app builds");
    app.now = t0 + chrono::Duration::seconds(5);
    app
}

fn press(app: &mut App, key: &str) -> Vec<Effect> {
    app.handle_key(Key::parse(key).expect("valid key").to_event())
}

fn rollback_sent() -> Vec<Effect> {
    vec![Effect::Send(Command::Rollback {
        reason: ROLLBACK_REASON.into(),
    })]
}

/// Every view overlay, one of each.
fn views() -> Vec<Overlay> {
    vec![
        Overlay::Help { scroll: 3 },
        Overlay::StageDetail {
            stage: "canary".into(),
        },
        Overlay::FindingDetail {
            stage: "scan".into(),
            fingerprint: "f00d".into(),
        },
        Overlay::PolicyDetail {
            stage: "policy".into(),
            policy: "release".into(),
            rule: "deny".into(),
        },
        Overlay::IacDetail {
            stage: "env".into(),
            scroll: 0,
        },
    ]
}

/// Every question, one of each.
fn questions() -> Vec<Overlay> {
    vec![
        Overlay::ConfirmQuit { yes_focused: false },
        Overlay::ConfirmRollback { yes_focused: true },
        Overlay::ConfirmPromote { yes_focused: false },
        Overlay::ConfirmApply { yes_focused: false },
    ]
}

#[test]
fn no_view_handler_copies_a_global_key() {
    for view in views() {
        for action in [Action::Quit, Action::Rollback, Action::Hold] {
            let mut app = canary_app(true);
            app.overlay = Some(view.clone());
            assert_eq!(
                overlay::view_key(&mut app, action),
                KeyResult::NotConsumed,
                "{view:?} handles {action:?} itself: leave it to input::global"
            );
            assert_eq!(app.overlay.as_ref(), Some(&view), "{view:?} changed");
        }
    }
}

#[test]
fn rollback_from_help_goes_through_the_global_handler() {
    let mut app = canary_app(false);
    press(&mut app, "?");
    assert!(matches!(app.overlay(), Some(Overlay::Help { .. })));
    assert_eq!(press(&mut app, "R"), rollback_sent());
    assert_eq!(app.overlay(), None, "rolling back leaves the help");
}

#[test]
fn rollback_from_a_stage_detail_closes_it_and_rolls_back() {
    let mut app = canary_app(false);
    press(&mut app, "1");
    press(&mut app, "enter");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::StageDetail {
            stage: "canary".into()
        })
    );
    assert_eq!(press(&mut app, "R"), rollback_sent());
    assert_eq!(app.overlay(), None);
}

#[test]
fn rollback_and_hold_work_from_every_view() {
    for view in views() {
        let mut app = canary_app(false);
        app.overlay = Some(view.clone());
        assert_eq!(press(&mut app, "R"), rollback_sent(), "from {view:?}");
        assert_eq!(app.overlay(), None, "{view:?} stays open");

        let mut app = canary_app(true);
        app.overlay = Some(view.clone());
        assert_eq!(
            press(&mut app, "H"),
            [Effect::Send(Command::Hold {
                reason: HOLD_REASON.into()
            })],
            "from {view:?}"
        );
    }
}

#[test]
fn quit_and_help_work_from_a_detail() {
    let mut app = canary_app(false);
    app.overlay = Some(Overlay::StageDetail {
        stage: "canary".into(),
    });
    assert!(press(&mut app, "?").is_empty());
    assert_eq!(app.overlay(), Some(&Overlay::Help { scroll: 0 }));
    press(&mut app, "esc");
    app.overlay = Some(Overlay::StageDetail {
        stage: "canary".into(),
    });
    assert!(press(&mut app, "q").is_empty(), "the run is in progress");
    assert_eq!(
        app.overlay(),
        Some(&Overlay::ConfirmQuit { yes_focused: false })
    );
}

#[test]
fn rollback_does_nothing_while_a_question_asks() {
    for question in questions() {
        let mut app = canary_app(true);
        app.overlay = Some(question.clone());
        let r = Key::parse("R").expect("R").to_event();
        assert_eq!(
            overlay::question_key(&mut app, r),
            KeyResult::Consumed(Vec::new()),
            "{question:?} lets R through"
        );
        for key in ["R", "H", "q", "?", "2"] {
            assert!(
                press(&mut app, key).is_empty(),
                "{key} acts behind {question:?}"
            );
            assert_eq!(app.overlay(), Some(&question), "{key} changed {question:?}");
        }
        assert_eq!(app.focus(), Pane::Stages);
    }
}

#[test]
fn pane_keys_do_not_reach_under_a_view() {
    let mut app = canary_app(false);
    press(&mut app, "?");
    for key in ["2", "tab", "z", "/", ":"] {
        assert!(press(&mut app, key).is_empty());
    }
    assert_eq!(app.focus(), Pane::Stages);
    assert!(!app.zoomed());
    assert_eq!(app.prompt(), None);
    assert!(matches!(app.overlay(), Some(Overlay::Help { .. })));
}

#[test]
fn prompts_take_global_keys_as_text() {
    let mut app = canary_app(false);
    press(&mut app, "/");
    assert_eq!(app.prompt(), Some(Prompt::Filter(Pane::Stages)));
    for key in ["R", "H", "q", "?"] {
        assert!(
            press(&mut app, key).is_empty(),
            "{key} acts from the prompt"
        );
    }
    assert_eq!(app.filter(Pane::Stages), "RHq?");
    assert_eq!(app.overlay(), None);
}
