//! History in the control room: the header's score trend and risk, the
//! Stages pane's change-impact marks, each load endpoint's p95 trend with a
//! regression against the trend marked, and the Gate detail's trend and
//! risk parts. Snapshots and assertions over the fixture runs of
//! `ui_support` with a `history_context` and a `change_impact` added.

mod ui_support;

use flightdeck::core::event::{Envelope, Event, Outcome};
use flightdeck::core::history::{
    EndpointTrend, HistoryContext, ProductionResult, RiskAssessment, RiskFactor, RiskLevel,
    RiskPart, ScorePoint, TrendPoint,
};
use flightdeck::core::impact::{
    ChangeSet, ChangedFile, ImpactEffect, ImpactSelection, Intensification, RuleMatch, StageImpact,
};
use flightdeck::ui::UiOptions;
use ui_support::*;

fn trend(endpoint: &str, values: &[f64]) -> EndpointTrend {
    EndpointTrend {
        endpoint: endpoint.into(),
        points: values
            .iter()
            .enumerate()
            .map(|(i, v)| TrendPoint {
                run_id: format!("run-{i}"),
                release: format!("2.{i}.0"),
                value: *v,
            })
            .collect(),
    }
}

fn history(requires_signoff: bool) -> HistoryContext {
    let outcomes = [
        (82.0, Outcome::NoGo, Some(ProductionResult::Success)),
        (88.0, Outcome::Go, Some(ProductionResult::Incident)),
        (91.0, Outcome::Go, Some(ProductionResult::Success)),
        (95.0, Outcome::Go, None),
        (97.0, Outcome::Go, None),
    ];
    HistoryContext {
        scores: outcomes
            .iter()
            .enumerate()
            .map(|(i, (score, outcome, production))| ScorePoint {
                run_id: format!("run-{i}"),
                release: format!("2.{i}.0"),
                started_at: t0() - chrono::Duration::days(5 - i as i64),
                score: *score,
                outcome: *outcome,
                production: *production,
            })
            .collect(),
        capacity: Vec::new(),
        p95: vec![
            trend("all", &[40.0, 42.0, 41.0, 43.0, 40.0]),
            // checkout ran at ~30 ms; this run's 50 ms is far above it.
            trend("checkout", &[30.0, 31.0, 29.0, 30.0, 32.0]),
            // catalog swings around 50 ms; 50 ms is its usual.
            trend("catalog", &[48.0, 52.0, 50.0, 49.0, 51.0]),
        ],
        risk: Some(RiskAssessment {
            score: 62.5,
            level: RiskLevel::High,
            parts: vec![
                RiskPart {
                    factor: RiskFactor::RecentFailures,
                    points: 16.0,
                    max_points: 40.0,
                    sample: 5,
                    detail: "2 of the last 5 runs were NO-GO or went badly".into(),
                },
                RiskPart {
                    factor: RiskFactor::PathOutcomes,
                    points: 26.7,
                    max_points: 40.0,
                    sample: 3,
                    detail: "2 of 3 earlier releases touching these paths went badly".into(),
                },
                RiskPart {
                    factor: RiskFactor::ChangeSize,
                    points: 19.8,
                    max_points: 20.0,
                    sample: 980,
                    detail: "+900 -80 lines in 12 files".into(),
                },
            ],
            requires_signoff,
        }),
        tolerance_pct: 10.0,
        calibrations: Vec::new(),
    }
}

fn selection() -> ImpactSelection {
    let stage = |id: &str, effect, rules: &[&str], reason: &str, intensify| StageImpact {
        stage: id.into(),
        effect,
        rules: rules.iter().map(|r| r.to_string()).collect(),
        reason: reason.into(),
        intensify,
    };
    ImpactSelection {
        change: ChangeSet {
            range: "origin/main..HEAD".into(),
            base: "3f2a9c1b7d4e".into(),
            head: "8e1d0f4c2a7b".into(),
            files: vec![ChangedFile {
                path: "src/checkout/pay.rs".into(),
                renamed_from: None,
                added: 900,
                removed: 80,
                binary: false,
            }],
        },
        full_plan: false,
        reason: "rules matched: checkout".into(),
        matched: vec![RuleMatch {
            rule: "checkout".into(),
            reason: "checkout code changed".into(),
            files: 1,
        }],
        stages: vec![
            stage(
                "scans",
                ImpactEffect::Selected,
                &["checkout"],
                "checkout code changed",
                vec![],
            ),
            stage(
                "policy",
                ImpactEffect::Kept,
                &[],
                "hard gate: change impact never skips it (impact.allow_skip_hard = false)",
                vec![],
            ),
            stage(
                "load",
                ImpactEffect::Intensified,
                &["checkout"],
                "checkout code changed",
                vec![Intensification::LoadDuration { factor: 2.0 }],
            ),
            stage(
                "env",
                ImpactEffect::Selected,
                &["infra"],
                "infrastructure changed",
                vec![],
            ),
        ],
    }
}

/// The envelopes with history and the selection right after `run_started`.
fn with_history(envs: Vec<Envelope>, signoff: bool) -> Vec<Envelope> {
    let mut out = Vec::new();
    for (i, e) in envs.into_iter().enumerate() {
        let first = i == 0;
        let ts = e.ts;
        out.push(e);
        if first {
            for event in [
                Event::HistoryContext(Box::new(history(signoff))),
                Event::ChangeImpact(Box::new(selection())),
            ] {
                out.push(Envelope {
                    v: 1,
                    seq: 0,
                    ts,
                    event,
                });
            }
        }
    }
    for (i, e) in out.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    out
}

#[test]
fn the_header_shows_the_score_trend_and_the_risk() {
    let app = app_with(&with_history(run_envelopes(), false), &opts());
    let wide = text(&render(&app, 160, 32));
    let header = wide.lines().next().unwrap_or_default();
    // Five earlier scores, then this run's 100.
    assert!(header.contains("trend ▁▃▅▆▇█"), "{header}");
    assert!(header.contains("risk 62.5 HIGH"), "{header}");
    assert!(!header.contains("SIGN-OFF"), "{header}");
    let app = app_with(&with_history(run_envelopes(), true), &opts());
    let header = text(&render(&app, 160, 32));
    assert!(
        header
            .lines()
            .next()
            .unwrap_or_default()
            .contains("SIGN-OFF")
    );
    // ASCII markers for fonts without block characters.
    let ascii = UiOptions {
        ascii: true,
        ..opts()
    };
    let app = app_with(&with_history(run_envelopes(), false), &ascii);
    let header = text(&render(&app, 160, 32));
    assert!(
        header
            .lines()
            .next()
            .unwrap_or_default()
            .contains("trend _,~=*#"),
        "{header}"
    );
    // Without history, nothing changes.
    let plain = app_with(&run_envelopes(), &opts());
    let header = text(&render(&plain, 160, 32));
    assert!(
        !header.contains("trend") && !header.contains("risk "),
        "{header}"
    );
}

#[test]
fn history_screen_120x40() {
    let mut app = app_with(&with_history(release_finished_envelopes(), false), &opts());
    app.now = t0() + chrono::Duration::seconds(60);
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("history_full_120x40", screen);
    for part in [
        "impact",
        "selected checkout",
        "kept (hard)",
        "intensified checkout",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}

#[test]
fn load_endpoints_show_their_p95_trend_and_mark_a_regression() {
    let mut app = app_with(&with_history(release_finished_envelopes(), false), &opts());
    app.now = t0() + chrono::Duration::seconds(60);
    press(&mut app, "3");
    press(&mut app, "z");
    let buf = render(&app, 120, 40);
    let screen = text(&buf);
    insta::assert_snapshot!("history_load_zoomed_120x40", screen);
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("│{name} ")) || l.contains(&format!(" {name} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("checkout").contains("▲+67%"), "{}", row("checkout"));
    assert!(!row("catalog").contains('▲'), "{}", row("catalog"));
    assert!(screen.contains("p95 trend"), "{screen}");
    // The regression is in the failure colour, not only in a glyph.
    let (x, y) = find(&buf, "▲+67%").expect("mark");
    let theme = flightdeck::ui::Theme::resolve(
        "default",
        None,
        flightdeck::config::ColorMode::Truecolor,
        false,
    )
    .expect("theme");
    assert_eq!(
        buf[(x, y)].fg,
        theme
            .style(flightdeck::ui::theme::Item::Fail)
            .fg
            .unwrap_or_default()
    );
}

#[test]
fn the_gate_detail_shows_the_trend_and_the_risk_parts() {
    let mut app = app_with(&with_history(run_envelopes(), true), &opts());
    press(&mut app, "j");
    press(&mut app, "enter");
    let screen = text(&render(&app, 120, 40));
    insta::assert_snapshot!("history_gate_detail_120x40", screen);
    for part in [
        "trend (last 5 runs, then this one) ▁▃▅▆▇█  82 88 91 95 97",
        "risk 62.5 HIGH (informs; the evidence decides)  SIGN-OFF REQUIRED",
        "recent failures",
        "2 of 3 earlier releases touching these paths went badly",
    ] {
        assert!(screen.contains(part), "missing {part}:\n{screen}");
    }
}
