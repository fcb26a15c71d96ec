//! Shared fixtures for the UI tests: a realistic run built from envelopes with
//! fixed timestamps, an app with a fixed clock, and rendering to text.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use flightdeck::canary::{Classification, Direction, GuardStatus, MetricJudgement, StepJudgement};
use flightdeck::config::ColorMode;
use flightdeck::core::event::{
    ActionKind, EnvRisk, Envelope, Event, FlagChangeKind, HealthCheck, LogLevel, Outcome,
    StageKind, StagePlan,
};
use flightdeck::core::gate::{Decision, PointsLost};
use flightdeck::core::load::LoadModel;
use flightdeck::core::state::RunState;
use flightdeck::core::verdict::{Evidence, Verdict};
use flightdeck::flags::FlagState;
use flightdeck::load::{EndpointSummary, EndpointWindow, Percentiles, Summary, Window};
use flightdeck::policy::{PolicyOutcome, PolicyResult};
use flightdeck::scan::{
    Acceptance, BaselineState, Finding, Location, Severity, Suppression, fingerprint_of,
};
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
                operator_identity: None,
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

/// One second of load: fixed numbers that wobble; window 17 is saturated.
pub fn load_window(i: u32) -> Window {
    let saturated = i == 17;
    let achieved = if saturated {
        1710.0
    } else {
        1990.0 - f64::from(i % 3) * 5.0
    };
    let requests = achieved as u64;
    let errors = if i.is_multiple_of(10) { 4 } else { 1 };
    let p99 = if saturated {
        190.0
    } else {
        80.0 + f64::from((i * 13) % 23)
    };
    let endpoint = |name: &str, share: f64, scale: f64| EndpointWindow {
        name: name.into(),
        requests: (achieved * share) as u64,
        errors: if name == "checkout" { errors } else { 0 },
        p50_ms: (11.0 + f64::from(i % 4) * 0.5) * scale,
        p95_ms: (38.0 + f64::from((i * 7) % 11)) * scale,
        p99_ms: p99 * scale,
    };
    Window {
        second: i,
        target_rps: 2000.0,
        achieved_rps: achieved,
        requests,
        errors,
        p50_ms: 11.0 + f64::from(i % 4) * 0.5,
        p95_ms: 38.0 + f64::from((i * 7) % 11),
        p99_ms: p99,
        max_ms: p99 + 20.0,
        p99_uncorrected_ms: p99 * 0.8,
        lag_p99_ms: if saturated {
            14.2
        } else {
            1.2 + f64::from(i % 5) * 0.3
        },
        backlog: if saturated { 120 } else { 0 },
        saturated,
        endpoints: vec![
            endpoint("catalog", 0.6, 0.9),
            endpoint("checkout", 0.25, 1.4),
            endpoint("search", 0.15, 1.1),
        ],
        variants: vec![],
    }
}

fn finding(
    (tool, rule, title): (&str, &str, &str),
    severity: Severity,
    (path, line): (&str, Option<u32>),
) -> Finding {
    Finding {
        tool: tool.into(),
        rule_id: rule.into(),
        title: title.into(),
        message: format!("{title} in {path}"),
        severity,
        severity_source: format!("SARIF level of {tool}"),
        location: Location {
            path: path.into(),
            line,
        },
        fingerprint: fingerprint_of(&[tool, rule, path]),
        baseline_state: None,
        suppression: Suppression::None,
        suppression_justification: None,
        known: false,
        acceptance: None,
        help: None,
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("valid date")
}

/// Eight findings covering every status: open new, known, waived by a risk
/// acceptance, expired acceptance, suppressed, suppression under review,
/// fixed (absent), and a low one that is new.
pub fn fixture_findings() -> Vec<Finding> {
    let mut cve = finding(
        (
            "Trivy",
            "CVE-2026-1234",
            "openssl: buffer overread in X.509",
        ),
        Severity::High,
        ("usr/lib/libssl.so.3", None),
    );
    cve.severity_source = "rule properties.security-severity 7.5".into();
    cve.help = Some("https://avd.aquasec.com.example/nvd/cve-2026-1234".into());
    cve.baseline_state = Some(BaselineState::New);
    let mut known = finding(
        ("Bandit", "B105", "hardcoded password string"),
        Severity::Medium,
        ("app/settings.py", Some(12)),
    );
    known.known = true;
    let mut accepted = finding(
        ("Checkov", "CKV_AWS_20", "S3 bucket allows public read"),
        Severity::Medium,
        ("infra/s3.tf", Some(4)),
    );
    accepted.acceptance = Some(Acceptance {
        approver: "alice".into(),
        justification: "public assets bucket by design".into(),
        expires: day("2026-06-30"),
    });
    let mut expired = finding(
        ("Checkov", "CKV_K8S_8", "liveness probe missing"),
        Severity::Low,
        ("deploy/api.yaml", Some(20)),
    );
    expired.acceptance = Some(Acceptance {
        approver: "bob".into(),
        justification: "probe lands with 2.15".into(),
        expires: day("2026-02-15"),
    });
    let mut suppressed = finding(
        ("Semgrep OSS", "python.lang.eval", "eval of dynamic content"),
        Severity::Medium,
        ("app/rules.py", Some(88)),
    );
    suppressed.suppression = Suppression::Accepted;
    suppressed.suppression_justification = Some("input is a constant table".into());
    let mut review = finding(
        ("flightdeck-secrets", "generic-api-key", "API key in config"),
        Severity::Medium,
        ("config/dev.env", Some(3)),
    );
    review.suppression = Suppression::UnderReview;
    let mut fixed = finding(
        ("Trivy", "CVE-2025-9999", "zlib: heap overflow in inflate"),
        Severity::Critical,
        ("usr/lib/libz.so.1", None),
    );
    fixed.baseline_state = Some(BaselineState::Absent);
    let healthcheck = finding(
        ("Checkov", "CKV_DOCKER_2", "no HEALTHCHECK in image"),
        Severity::Low,
        ("Dockerfile", Some(1)),
    );
    vec![
        known,
        accepted,
        cve,
        expired,
        suppressed,
        review,
        fixed,
        healthcheck,
    ]
}

/// A run with a finished scan (8 findings), a failed policy stage (one
/// deny, one warn, one pass) and a load stage running for 30 seconds.
pub fn release_envelopes() -> Vec<Envelope> {
    let mut out = Vec::new();
    let mut seq = 0;
    let mut push = |secs: i64, event: Event| {
        seq += 1;
        out.push(env(seq, secs, event));
    };
    let plan = |id: &str, kind: StageKind, hard: bool| StagePlan {
        id: id.into(),
        kind,
        weight: 1.0,
        hard,
    };
    push(
        0,
        Event::RunStarted {
            run_id: "9b2e4f7a1c3d5e60".into(),
            service: "shop-api".into(),
            release: "2.14.0-rc3".into(),
            environment: "preprod-eu".into(),
            risk: EnvRisk::Preprod,
            operator: "sam".into(),
            operator_identity: None,
            read_only: false,
            stages: vec![
                plan("scans", StageKind::Scan, false),
                plan("policy", StageKind::Policy, true),
                plan("load", StageKind::Load, false),
            ],
            pass_score: 90.0,
            warn_score: 70.0,
        },
    );
    push(
        1,
        Event::StageStarted {
            stage: "scans".into(),
        },
    );
    for f in fixture_findings() {
        push(
            2,
            Event::Finding {
                stage: "scans".into(),
                finding: f,
            },
        );
    }
    push(
        3,
        Event::StageFinished {
            stage: "scans".into(),
            verdict: Verdict::Fail,
            summary: "2 blocking: 1 high new, 1 expired acceptance".into(),
            evidence: vec![],
        },
    );
    push(
        4,
        Event::StageStarted {
            stage: "policy".into(),
        },
    );
    let policy = |rule: &str, outcome: PolicyOutcome, messages: &[&str]| Event::PolicyResult {
        stage: "policy".into(),
        result: PolicyResult {
            policy: "config/policies/release.rego (data.flightdeck.release)".into(),
            rule: rule.into(),
            outcome,
            messages: messages.iter().map(|m| m.to_string()).collect(),
        },
    };
    push(
        5,
        policy(
            "deny",
            PolicyOutcome::Deny,
            &["image tag `latest` is not pinned for api"],
        ),
    );
    push(
        5,
        policy(
            "warn",
            PolicyOutcome::Warn,
            &["replicas below 3 in preprod"],
        ),
    );
    push(5, policy("deny_k8s", PolicyOutcome::Pass, &[]));
    push(
        6,
        Event::StageFinished {
            stage: "policy".into(),
            verdict: Verdict::Fail,
            summary: "1 deny, 1 warn".into(),
            evidence: vec![],
        },
    );
    push(
        7,
        Event::StageStarted {
            stage: "load".into(),
        },
    );
    push(
        7,
        Event::LoadStarted {
            stage: "load".into(),
            model: LoadModel::Open,
            duration_s: 60.0,
            connections: 64,
            thresholds: vec![
                "p95 < 150ms".into(),
                "p99 < 500ms over 5s".into(),
                "error_rate < 1%".into(),
                "checkout: p95 < 200ms".into(),
            ],
        },
    );
    for i in 1..=30 {
        push(7 + i64::from(i), load_window_event(i));
    }
    out
}

/// A `LoadWindow` event for window `i` of the fixture load.
pub fn load_window_event(i: u32) -> Event {
    Event::LoadWindow {
        stage: "load".into(),
        window: load_window(i),
    }
}

/// An envelope with a sequence number and an offset in seconds from `t0`.
pub fn envelope(seq: u64, secs: i64, event: Event) -> Envelope {
    env(seq, secs, event)
}

/// The release run with the load finished: summary and evidence (the
/// checkout threshold passes, the search baseline regressed).
pub fn release_finished_envelopes() -> Vec<Envelope> {
    let mut out = release_envelopes();
    let seq = out.len() as u64;
    let summary = Summary {
        model: LoadModel::Open,
        duration_s: 30.0,
        requests: 59_000,
        errors: 40,
        requests_per_sec: 1966.7,
        target_rps: 2000.0,
        success_rate: 1.0 - 40.0 / 59_000.0,
        latency: Percentiles {
            p50_ms: 12.0,
            p95_ms: 44.0,
            p99_ms: 97.0,
            ..Percentiles::default()
        },
        windows: 30,
        saturated_windows: 1,
        longest_saturation_s: 1,
        endpoints: ["catalog", "checkout", "search"]
            .iter()
            .map(|n| EndpointSummary {
                name: n.to_string(),
                requests: 19_000,
                errors: 10,
                latency: Percentiles {
                    p50_ms: 12.0,
                    p95_ms: 50.0,
                    p99_ms: 110.0,
                    ..Percentiles::default()
                },
                uncorrected: Percentiles::default(),
            })
            .collect(),
        ..Summary::default()
    };
    out.push(env(
        seq + 1,
        38,
        Event::LoadSummary {
            stage: "load".into(),
            summary,
        },
    ));
    let ev = |label: &str, verdict: Verdict| Evidence {
        label: label.into(),
        value: "-".into(),
        threshold: None,
        verdict,
    };
    out.push(env(
        seq + 2,
        38,
        Event::StageFinished {
            stage: "load".into(),
            verdict: Verdict::Fail,
            summary: "search regressed".into(),
            evidence: vec![
                ev("threshold p95 < 150ms", Verdict::Pass),
                ev("threshold checkout: p95 < 200ms", Verdict::Pass),
                ev("baseline search", Verdict::Fail),
            ],
        },
    ));
    out
}

/// The canary fixture's flag.
pub const CANARY_FLAG: &str = "checkout-v2";

fn canary_metric(
    (name, critical): (&str, bool),
    (baseline, canary): (f64, f64),
    ci: (f64, f64),
    effect: f64,
    bound: Option<f64>,
) -> MetricJudgement {
    MetricJudgement {
        name: name.into(),
        source: Default::default(),
        direction: Direction::Increase,
        critical,
        weight: 1.0,
        baseline_n: 60,
        canary_n: 58,
        missing: 2,
        baseline_median: Some(baseline),
        canary_median: Some(canary),
        shift: Some((ci.0 + ci.1) / 2.0),
        ci: Some(ci),
        confidence: 0.98,
        p_value: Some(0.41),
        effect_size: Some(effect),
        effect_threshold: 1.2,
        bound,
        classification: Classification::Pass,
        verdict: Verdict::Pass,
        reason: format!("{name}: no significant increase"),
    }
}

fn flag_changed(from: f64, to: f64, reason: &str, actor: &str, ms: f64) -> Event {
    Event::FlagChanged {
        change: None,
        flag: CANARY_FLAG.into(),
        provider: "file".into(),
        from: Some(from),
        to: Some(to),
        enabled: true,
        actor: actor.into(),
        reason: reason.into(),
        elapsed_ms: ms,
    }
}

/// A run with a canary mid-rollout: steps 5/25/50/100, step 1 at 5% judged
/// PASS (score 100, two metrics), step 2 at 25% running, guard 1/3 breaching.
pub fn canary_envelopes() -> Vec<Envelope> {
    let mut out = Vec::new();
    let mut seq = 0;
    let mut push = |secs: i64, event: Event| {
        seq += 1;
        out.push(env(seq, secs, event));
    };
    push(
        0,
        Event::RunStarted {
            run_id: "c4a7e2b19d3f5a80".into(),
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
    );
    push(
        1,
        Event::StageStarted {
            stage: "canary".into(),
        },
    );
    push(
        1,
        Event::CanaryStarted {
            stage: "canary".into(),
            flag: CANARY_FLAG.into(),
            provider: "file".into(),
            steps: vec![5.0, 25.0, 50.0, 100.0],
            hold_s: 10,
            state: FlagState {
                flag: CANARY_FLAG.into(),
                provider: "file".into(),
                enabled: true,
                rollout_percent: Some(0.0),
                canary_variant: Some("canary".into()),
                variants: vec!["baseline".into(), "canary".into()],
                default_variant: Some("baseline".into()),
                summary: "ENABLED, fractional canary 0 / baseline 100".into(),
            },
        },
    );
    push(
        2,
        Event::CanaryStep {
            stage: "canary".into(),
            index: 0,
            percent: 5.0,
        },
    );
    push(2, flag_changed(0.0, 5.0, "step 1: 5%", "flightdeck", 2.1));
    push(
        12,
        Event::CanaryJudgement {
            stage: "canary".into(),
            index: 0,
            percent: 5.0,
            judgement: Box::new(StepJudgement {
                score: Some(100.0),
                verdict: Verdict::Pass,
                reason: "2 of 2 metrics pass".into(),
                metrics: vec![
                    canary_metric(
                        ("p95 latency", false),
                        (38.0, 41.5),
                        (-1.25, 4.5),
                        1.08,
                        Some(9.5),
                    ),
                    canary_metric(
                        ("error rate", true),
                        (0.001, 0.0015),
                        (-0.002, 0.003),
                        1.12,
                        Some(0.01),
                    ),
                ],
            }),
        },
    );
    push(
        13,
        Event::CanaryStep {
            stage: "canary".into(),
            index: 1,
            percent: 25.0,
        },
    );
    push(
        13,
        flag_changed(5.0, 25.0, "step 2: 25%", "flightdeck", 1.8),
    );
    push(
        16,
        Event::CanaryGuard {
            stage: "canary".into(),
            status: GuardStatus {
                tripped: false,
                consecutive: 1,
                remaining: 2,
                last_error_rate: Some(0.062),
                last_p99_ms: Some(88.0),
                reason: Some("error rate 6.2% > 5%".into()),
            },
        },
    );
    out
}

/// The operator pressed R: the engine journals the action (rollback pending).
pub fn rollback_requested_envelope(seq: u64) -> Envelope {
    env(
        seq,
        17,
        Event::OperatorAction {
            actor: "sam".into(),
            identity: None,
            action: ActionKind::Rollback,
            target: Some(CANARY_FLAG.into()),
            reason: Some("operator key R".into()),
        },
    )
}

/// The provider confirmed the rollback at 0% in 1.5 ms.
pub fn rollback_confirmed_envelope(seq: u64) -> Envelope {
    env(
        seq,
        17,
        flag_changed(25.0, 0.0, "rollback: operator key R", "sam", 1.5),
    )
}

/// The provider refused the rollback.
pub fn rollback_failed_envelope(seq: u64) -> Envelope {
    env(
        seq,
        17,
        Event::FlagChangeFailed {
            flag: CANARY_FLAG.into(),
            actor: "sam".into(),
            action: FlagChangeKind::Rollback,
            attempt: 1,
            error: "flag file is read-only".into(),
        },
    )
}

/// The canary run, then a confirmed operator rollback.
pub fn canary_rolled_back_envelopes() -> Vec<Envelope> {
    let mut out = canary_envelopes();
    let n = out.len() as u64;
    out.push(rollback_requested_envelope(n + 1));
    out.push(rollback_confirmed_envelope(n + 2));
    out
}

/// An app over the canary run, clock 18 s after the start.
pub fn canary_app(envs: &[Envelope], opts: &UiOptions) -> App {
    let mut app = app_with(envs, opts);
    app.now = t0() + Duration::seconds(18);
    app
}

/// An IaC report as the environment stage journals it: the plan of the
/// `plan-1.2.json` fixture, the drift of `refresh-only.json`, a small parity
/// report (two unintended differences, one intended) and a TTL that ends
/// 59 minutes after the fixed clock.
pub fn fixture_iac_report() -> flightdeck::environment::IacReport {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iac");
    let mut plan = flightdeck::iac::plan::read(&dir.join("plan-1.2.json")).expect("plan fixture");
    let mut drift =
        flightdeck::iac::drift::read(&dir.join("refresh-only.json")).expect("drift fixture");
    // Snapshots must not depend on where the repository is checked out.
    plan.file = "tests/fixtures/iac/plan-1.2.json".into();
    drift.file = "tests/fixtures/iac/refresh-only.json".into();
    let parity: flightdeck::iac::parity::ParityReport = serde_json::from_value(serde_json::json!({
        "preprod_file": "preprod.plan.json",
        "prod_file": "prod.state.json",
        "score": 66.7,
        "comparable": 6,
        "matching": 4,
        "resources_matched": 3,
        "only_in_preprod": [],
        "only_in_prod": [],
        "not_compared": 1,
        "differences": [
            {"address": "output.service", "attribute": "log_level",
             "preprod": "debug", "prod": "info", "intended": false},
            {"address": "aws_db_instance.main", "attribute": "multi_az",
             "preprod": "false", "prod": "true", "intended": false},
            {"address": "aws_instance.web", "attribute": "instance_type",
             "preprod": "t3.small", "prod": "m5.large", "intended": true,
             "reason": "preprod runs on smaller instances"}
        ]
    }))
    .expect("parity literal");
    flightdeck::environment::IacReport {
        provisioner: "terraform".into(),
        workspace: Some("default".into()),
        verdict: Verdict::Warn,
        summary: "plan applied; parity 66.7 below 90".into(),
        plan: Some(plan),
        drift: Some(drift),
        parity: Some(parity),
        var_parity: None,
        apply: None,
        endpoints: vec![],
        expires_at: Some(t0() + Duration::seconds(30 + 59 * 60 + 30)),
    }
}

/// The fixture run with an IaC report for the `env` stage, applied right
/// after the stage starts.
pub fn iac_envelopes() -> Vec<Envelope> {
    let mut envs = run_envelopes();
    envs.insert(
        2,
        env(
            0,
            2,
            Event::EnvIac {
                stage: "env".into(),
                report: Box::new(fixture_iac_report()),
            },
        ),
    );
    for (i, e) in envs.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    envs
}

/// A run whose `env` stage waits for approval to apply the fixture plan
/// (asked 2 s after the start, 10 minutes to answer).
pub fn approval_envelopes() -> Vec<Envelope> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iac");
    let mut plan = flightdeck::iac::plan::read(&dir.join("plan-1.2.json")).expect("plan fixture");
    plan.file = "tests/fixtures/iac/plan-1.2.json".into();
    let request = flightdeck::iac::approval::ApprovalRequest::new(
        "terraform",
        "/srv/preprod-eu/flightdeck.tfplan",
        &plan,
        std::time::Duration::from_secs(600),
        t0() + Duration::seconds(2),
    );
    let mut envs: Vec<Envelope> = run_envelopes().into_iter().take(3).collect();
    envs.push(env(
        4,
        2,
        Event::ApplyApprovalRequested {
            stage: "env".into(),
            request: Box::new(request),
        },
    ));
    envs
}

/// The approval's resolution, as the stage emits it.
pub fn approval_resolved_envelope(
    seq: u64,
    decision: flightdeck::iac::approval::ApprovalDecision,
) -> Envelope {
    env(
        seq,
        40,
        Event::ApplyApprovalResolved {
            stage: "env".into(),
            decision,
        },
    )
}

/// The canary run, then the live guard trips at 16 s and the automatic
/// rollback counts down 3 s; with `held`, sam holds it at 17 s (max 10 min).
pub fn canary_auto_envelopes(held: bool) -> Vec<Envelope> {
    let mut out = canary_envelopes();
    let mut seq = out.len() as u64;
    let mut push = |secs: i64, event: Event| {
        seq += 1;
        out.push(env(seq, secs, event));
    };
    let why = "second 6: error rate 20.0% > 5.0% for 3 consecutive windows";
    push(
        16,
        Event::CanaryGuard {
            stage: "canary".into(),
            status: GuardStatus {
                tripped: true,
                consecutive: 3,
                remaining: 0,
                last_error_rate: Some(0.2),
                last_p99_ms: Some(210.0),
                reason: Some(why.into()),
            },
        },
    );
    push(
        16,
        Event::CanaryAutoRollback {
            stage: "canary".into(),
            flag: CANARY_FLAG.into(),
            trigger: "live guard".into(),
            reason: format!("live guard at step 2 (25%): {why}"),
            delay_ms: 3_000,
            max_hold_ms: 600_000,
        },
    );
    if held {
        push(
            17,
            Event::OperatorAction {
                actor: "sam".into(),
                identity: None,
                action: ActionKind::Hold,
                target: Some(CANARY_FLAG.into()),
                reason: Some("operator key H; live guard: ...".into()),
            },
        );
    }
    out
}
