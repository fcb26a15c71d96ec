//! Shared fixtures for the UI tests: a realistic run built from envelopes with
//! fixed timestamps, an app with a fixed clock, and rendering to text.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use flightdeck::config::ColorMode;
use flightdeck::gate::{Decision, PointsLost};
use flightdeck::run::event::{
    EnvRisk, Envelope, Event, HealthCheck, LogLevel, Outcome, StageKind, StagePlan,
};
use flightdeck::run::state::RunState;
use flightdeck::run::verdict::{Evidence, Verdict};
use flightdeck::ui::{App, Effect, Key, UiOptions, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// When the fixture run starts.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("valid time")
}

fn env(seq: u64, secs: i64, event: Event) -> Envelope {
    Envelope {
        v: 1,
        seq,
        ts: t0() + Duration::seconds(secs),
        event,
    }
}

/// A response as seen by a health check: status, latency and version.
type Response<'a> = (Option<u16>, Option<f64>, Option<&'a str>);

fn health(
    endpoint: &str,
    (attempt, last): (u32, bool),
    (status, ms, version): Response<'_>,
    verdict: Verdict,
    reason: Option<&str>,
) -> Event {
    Event::HealthCheck(HealthCheck {
        stage: "env".into(),
        endpoint: endpoint.into(),
        url: format!("http://127.0.0.1:8080/{endpoint}/health"),
        attempt,
        last,
        status,
        latency_ms: ms,
        version: version.map(Into::into),
        verdict,
        reason: reason.map(Into::into),
    })
}

/// The envelopes of a small finished run: env (environment, hard) and gate.
pub fn run_envelopes() -> Vec<Envelope> {
    vec![
        env(
            1,
            0,
            Event::RunStarted {
                run_id: "7f3a1c2d9e8b4a61".into(),
                service: "shop-api".into(),
                release: "2.14.0-rc3".into(),
                environment: "preprod-eu".into(),
                risk: EnvRisk::Preprod,
                operator: "sam".into(),
                read_only: false,
                stages: vec![
                    StagePlan {
                        id: "env".into(),
                        kind: StageKind::Environment,
                        weight: 1.0,
                        hard: true,
                    },
                    StagePlan {
                        id: "gate".into(),
                        kind: StageKind::Gate,
                        weight: 0.0,
                        hard: false,
                    },
                ],
                pass_score: 90.0,
                warn_score: 70.0,
            },
        ),
        env(
            2,
            1,
            Event::StageStarted {
                stage: "env".into(),
            },
        ),
        env(
            3,
            2,
            Event::Log {
                level: LogLevel::Info,
                stage: Some("env".into()),
                message: "checking 3 endpoints".into(),
            },
        ),
        env(
            4,
            3,
            health(
                "api",
                (1, true),
                (Some(200), Some(12.4), Some("2.14.0-rc3")),
                Verdict::Pass,
                None,
            ),
        ),
        env(
            5,
            4,
            health(
                "db",
                (1, false),
                (Some(503), Some(3.0), None),
                Verdict::Fail,
                Some("status 503, want 200"),
            ),
        ),
        env(
            6,
            9,
            health(
                "db",
                (2, true),
                (Some(200), Some(31.0), Some("15.4")),
                Verdict::Pass,
                None,
            ),
        ),
        env(
            7,
            10,
            health(
                "cache",
                (1, true),
                (Some(200), Some(2.2), Some("7.2.4")),
                Verdict::Pass,
                None,
            ),
        ),
        env(
            8,
            41,
            Event::StageFinished {
                stage: "env".into(),
                verdict: Verdict::Pass,
                summary: "3 of 3 endpoints healthy".into(),
                evidence: vec![
                    Evidence {
                        label: "api health".into(),
                        value: "200 in 12 ms, version 2.14.0-rc3".into(),
                        threshold: Some("200 within 500 ms".into()),
                        verdict: Verdict::Pass,
                    },
                    Evidence {
                        label: "db health".into(),
                        value: "200 in 31 ms after 2 attempts".into(),
                        threshold: Some("200 within 500 ms".into()),
                        verdict: Verdict::Pass,
                    },
                    Evidence {
                        label: "cache health".into(),
                        value: "200 in 2 ms".into(),
                        threshold: None,
                        verdict: Verdict::Pass,
                    },
                ],
            },
        ),
        env(
            9,
            42,
            Event::StageStarted {
                stage: "gate".into(),
            },
        ),
        env(
            10,
            42,
            Event::StageFinished {
                stage: "gate".into(),
                verdict: Verdict::Pass,
                summary: "GO at score 100".into(),
                evidence: vec![],
            },
        ),
        env(
            11,
            42,
            Event::GateDecision(Decision {
                score: 100.0,
                band: Verdict::Pass,
                outcome: Outcome::Go,
                lost: Vec::<PointsLost>::new(),
                rationale: "score 100 >= pass threshold 90".into(),
            }),
        ),
        env(
            12,
            43,
            Event::Log {
                level: LogLevel::Info,
                stage: None,
                message: "decision: GO".into(),
            },
        ),
        env(
            13,
            43,
            Event::RunFinished {
                outcome: Outcome::Go,
                reason: None,
            },
        ),
    ]
}

/// The same run, still checking the environment (first `n` envelopes).
pub fn in_progress_envelopes() -> Vec<Envelope> {
    run_envelopes().into_iter().take(6).collect()
}

/// A finished run whose environment stage failed.
pub fn failed_envelopes() -> Vec<Envelope> {
    let mut envs: Vec<Envelope> = run_envelopes().into_iter().take(5).collect();
    envs.push(env(
        6,
        9,
        health(
            "db",
            (2, true),
            (None, None, None),
            Verdict::Fail,
            Some("connection refused"),
        ),
    ));
    envs.push(env(
        7,
        12,
        Event::StageFinished {
            stage: "env".into(),
            verdict: Verdict::Fail,
            summary: "db unhealthy".into(),
            evidence: vec![],
        },
    ));
    envs.push(env(
        8,
        13,
        Event::RunFinished {
            outcome: Outcome::NoGo,
            reason: None,
        },
    ));
    envs
}

/// Options with colour fixed, so `NO_COLOR` in the environment cannot change a test.
pub fn opts() -> UiOptions {
    UiOptions {
        color: ColorMode::Truecolor,
        ..UiOptions::default()
    }
}

/// An app over these envelopes with a fixed clock (30 s after the start).
pub fn app_with(envs: &[Envelope], opts: &UiOptions) -> App {
    let state = RunState::from_envelopes(envs);
    let mut app = App::with_no_color(opts, state, true, false).expect("app builds");
    app.now = t0() + Duration::seconds(30);
    app
}

/// Render the app on a test terminal of this size.
pub fn render(app: &App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| draw(f, app)).expect("draws");
    term.backend().buffer().clone()
}

/// The buffer as text, one line per row, trailing spaces trimmed.
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Press a key given as in the keymap (`q`, `R`, `shift-tab`, `esc`).
pub fn press(app: &mut App, key: &str) -> Vec<Effect> {
    let k = Key::parse(key).expect("valid key");
    app.handle_key(k.to_event())
}

/// Type text into a prompt, then press enter.
pub fn type_line(app: &mut App, text: &str) -> Vec<Effect> {
    for c in text.chars() {
        press(app, &c.to_string());
    }
    press(app, "enter")
}

/// Find the first cell position where `needle` starts.
pub fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = text(buf);
    for (y, line) in t.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return Some((x as u16, y as u16));
        }
    }
    None
}
