//! The Data pane at 120x40 and 80x24, drawn from the fold of data events:
//! copied tables with their rate, transforms and parity, one table still
//! copying, and the leak-scan summary with one planted leak.

mod ui_support;

use flightdeck::core::data::{
    DataFinding, FindingKind, LeakScan, ParityLine, TableCopied, TableStarted,
};
use flightdeck::core::event::{EnvRisk, Envelope, Event, StageKind, StagePlan};
use flightdeck::core::state::RunState;
use flightdeck::core::verdict::Verdict;
use flightdeck::ui::Pane;
use flightdeck::ui::panes::data::{Frame8, render_view};
use flightdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ui_support::{app_with, envelope, opts, press, render, run_envelopes, text};

/// The data stage's events: three tables copied, one copying, a leak scan
/// with one leak and parity per table.
fn data_events() -> Vec<Event> {
    let mut events = vec![Event::StageStarted {
        stage: "data".into(),
    }];
    let tables = [
        (
            "public.customers",
            1000,
            vec![
                "email:fake",
                "first_name:fake",
                "last_name:fake",
                "phone:fake",
            ],
        ),
        (
            "public.orders",
            3000,
            vec!["customer_email:fake", "notes:template"],
        ),
        (
            "public.payments",
            2000,
            vec!["card_number:fake", "iban:fake", "client_ip:fake"],
        ),
        ("public.events_2025", 1400, vec![]),
    ];
    for (i, (t, n, tr)) in tables.iter().enumerate() {
        events.push(Event::DataTableStarted(
            flightdeck::core::data::TableStartedEvent {
                stage: "data".into(),
                table: TableStarted {
                    table: (*t).into(),
                    estimated_rows: *n,
                    transforms: tr.iter().map(|s| s.to_string()).collect(),
                },
            },
        ));
        if i < 3 {
            events.push(Event::DataTableCopied(
                flightdeck::core::data::TableCopiedEvent {
                    stage: "data".into(),
                    copied: TableCopied {
                        table: (*t).into(),
                        rows: *n,
                        bytes: n * 80,
                        seconds: 0.05,
                        rows_per_sec: *n as f64 / 0.05,
                    },
                },
            ));
        } else {
            events.push(Event::DataTableProgress(
                flightdeck::core::data::TableProgressEvent {
                    stage: "data".into(),
                    table: (*t).into(),
                    rows: 600,
                },
            ));
        }
    }
    events.push(Event::DataLeakScan(flightdeck::core::data::LeakScanEvent {
        stage: "data".into(),
        scan: LeakScan {
            source_values: 16800,
            rows: 9700,
            seconds: 0.3,
        },
    }));
    events.push(Event::DataFinding(flightdeck::core::data::FindingEvent {
        stage: "data".into(),
        finding: DataFinding {
            kind: FindingKind::Leak,
            table: "public.orders".into(),
            column: "notes".into(),
            row_key: "5".into(),
            detector: "source_value".into(),
            count: 600,
            accepted: false,
        },
    }));
    for (t, v) in [
        ("public.customers", Verdict::Pass),
        ("public.orders", Verdict::Pass),
        ("public.payments", Verdict::Fail),
    ] {
        events.push(Event::DataParity(flightdeck::core::data::ParityEvent {
            stage: "data".into(),
            line: ParityLine {
                table: t.into(),
                column: String::new(),
                metric: "rows".into(),
                source: 1.0,
                target: 1.0,
                tolerance: "±0%".into(),
                verdict: v,
            },
        }));
    }
    events
}

fn state() -> RunState {
    let mut s = RunState::default();
    for (i, e) in data_events().into_iter().enumerate() {
        s.apply(&envelope(i as u64 + 1, i as i64, e));
    }
    s
}

fn draw(w: u16, h: u16, ascii: bool) -> String {
    let s = state();
    let theme = Theme::builtin_default().expect("theme");
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| {
        render_view(
            f,
            f.area(),
            &s.data,
            &theme,
            &Frame8 {
                title: "8 Data",
                ascii,
                focused: true,
            },
        );
    })
    .expect("draw");
    text(term.backend().buffer())
}

#[test]
fn data_pane_120x40() {
    let t = draw(120, 40, false);
    assert!(t.contains("email:fake first_name:fake"));
    assert!(t.contains("leaks 1"));
    insta::assert_snapshot!("data_pane_120x40", t);
}

#[test]
fn data_pane_80x24_compact() {
    let t = draw(80, 24, true);
    assert!(!t.contains("email:fake"), "compact drops the transforms");
    assert!(t.contains("events_2025"));
    insta::assert_snapshot!("data_pane_80x24", t);
}

fn plan(id: &str, kind: StageKind) -> StagePlan {
    StagePlan {
        id: id.into(),
        kind,
        weight: 1.0,
        hard: true,
    }
}

/// A run whose plan has an environment and a data stage, with the data
/// stage's events.
fn data_run() -> Vec<Envelope> {
    let mut events = vec![Event::RunStarted {
        run_id: "7f3a1c2d9e8b4a61".into(),
        service: "shop-api".into(),
        release: "2.14.0-rc3".into(),
        environment: "preprod-eu".into(),
        risk: EnvRisk::Preprod,
        operator: "sam".into(),
        operator_identity: None,
        read_only: false,
        stages: vec![
            plan("env", StageKind::Environment),
            plan("data", StageKind::Data),
        ],
        pass_score: 90.0,
        warn_score: 70.0,
    }];
    events.extend(data_events());
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| envelope(i as u64 + 1, i as i64, e))
        .collect()
}

#[test]
fn a_plan_with_a_data_stage_shows_pane_8_in_the_screen_120x40() {
    let mut app = app_with(&data_run(), &opts());
    let t = text(&render(&app, 120, 40));
    assert!(t.contains(" 8 Data "), "{t}");
    press(&mut app, "8");
    assert_eq!(app.focus(), Pane::Data);
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("[8 Data]"), "{t}");
    assert!(t.contains("events_2025"), "{t}");
    insta::assert_snapshot!("data_screen_120x40", t);
}

#[test]
fn pane_8_at_80x24_is_the_compact_zoomed_pane() {
    let mut app = app_with(&data_run(), &opts());
    press(&mut app, "8");
    let t = text(&render(&app, 80, 24));
    assert!(t.contains("[8 Data]"), "{t}");
    assert!(
        !t.contains("email:fake"),
        "compact drops the transforms: {t}"
    );
    insta::assert_snapshot!("data_screen_80x24", t);
}

#[test]
fn zoom_gives_pane_8_the_whole_body() {
    let mut app = app_with(&data_run(), &opts());
    press(&mut app, "8");
    press(&mut app, "z");
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("email:fake first_name:fake"), "{t}");
    assert!(!t.contains("1 Stages"), "zoomed: {t}");
}

#[test]
fn focus_cycling_reaches_pane_8_when_planned() {
    let mut app = app_with(&data_run(), &opts());
    press(&mut app, "6");
    press(&mut app, "tab");
    assert_eq!(app.focus(), Pane::Data);
    press(&mut app, "tab");
    assert_eq!(app.focus(), Pane::Stages);
}

#[test]
fn without_a_data_stage_the_pane_is_not_shown_and_8_does_nothing() {
    let mut app = app_with(&run_envelopes(), &opts());
    press(&mut app, "8");
    assert_eq!(app.focus(), Pane::Stages);
    let t = text(&render(&app, 120, 40));
    assert!(!t.contains("8 Data"), "{t}");
    press(&mut app, "6");
    press(&mut app, "tab");
    assert_eq!(app.focus(), Pane::Stages);
}
