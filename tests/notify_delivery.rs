//! Notifications against real HTTP receivers on 127.0.0.1: a signed
//! webhook whose signature the receiver checks, a receiver that fails twice
//! then succeeds, one that answers 429 with Retry-After, one that never
//! answers, one that is gone (410), Slack and Teams bodies, a command sink,
//! and `notify resend` after a run gave up.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use flightdeck::config::HumanDuration;
use flightdeck::core::event::{EnvRisk, Event, FlagChangeKind, Outcome, StageKind, StagePlan};
use flightdeck::core::gate::Decision;
use flightdeck::core::notify::{NotifySeverity, NotifyTrigger, SinkKind};
use flightdeck::core::state::RunState;
use flightdeck::core::state::notify::Delivery;
use flightdeck::core::verdict::Verdict;
use flightdeck::notify::deliver::Sink;
use flightdeck::notify::{Notifier, SinkConfig};
use flightdeck::record::journal::{self, Journal};
use flightdeck::record::recorder::Recorder;
use flightdeck::secrets::{Provided, Secret, SecretRef};
use sha2::{Digest, Sha256};

/// One request as a receiver saw it.
#[derive(Clone, Debug)]
struct Seen {
    at: Instant,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A receiver that answers from a script (the last answer repeats) and
/// keeps every request.
#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Vec<(u16, Option<&'static str>)>>,
}

async fn answer(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let n = {
        let mut seen = r.seen.lock().expect("lock");
        seen.push(Seen {
            at: Instant::now(),
            headers,
            body: body.to_vec(),
        });
        seen.len() - 1
    };
    let (status, retry_after) = r.script[n.min(r.script.len() - 1)];
    let mut resp = StatusCode::from_u16(status)
        .expect("status")
        .into_response();
    if let Some(v) = retry_after {
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from_static(v));
    }
    resp
}

async fn receiver(script: Vec<(u16, Option<&'static str>)>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let r = Receiver {
        seen: Arc::default(),
        script: Arc::new(script),
    };
    let seen = r.seen.clone();
    let app = Router::new().route("/hook", post(answer)).with_state(r);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), seen)
}

/// A TCP listener that accepts and never answers (connections are held
/// until the test ends).
async fn silent() -> (String, Arc<Mutex<u32>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let count = Arc::new(Mutex::new(0u32));
    let c = count.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            *c.lock().expect("lock") += 1;
            held.push(s);
        }
    });
    (format!("http://{addr}/hook"), count)
}

/// HMAC-SHA256 written independently of the crate's, to check its signatures.
fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = key.to_vec();
    if k.len() > 64 {
        k = Sha256::digest(&k).to_vec();
    }
    k.resize(64, 0);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::digest([ipad, msg.to_vec()].concat());
    Sha256::digest([opad, inner.to_vec()].concat()).to_vec()
}

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

fn whsec() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(KEY)
    )
}

fn check_signature(s: &Seen) -> Result<String, String> {
    let h = |n: &str| {
        s.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or(format!("no {n}"))
    };
    let id = h("webhook-id")?;
    let ts = h("webhook-timestamp")?;
    let want = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(hmac(
            KEY,
            &[format!("{id}.{ts}.").as_bytes(), &s.body].concat()
        ))
    );
    if h("webhook-signature")? == want {
        Ok(id)
    } else {
        Err("bad signature".into())
    }
}

fn sink(name: &str, kind: SinkKind, url_ref: Option<&str>) -> SinkConfig {
    SinkConfig {
        name: name.into(),
        kind,
        url: url_ref.map(SecretRef::env),
        secret: (kind == SinkKind::Webhook).then(|| SecretRef::env("T_SECRET")),
        argv: Vec::new(),
        events: NotifyTrigger::ALL.to_vec(),
        min_severity: NotifySeverity::Info,
        timeout: HumanDuration::millis(400),
        max_attempts: 4,
        retry_base: HumanDuration::millis(50),
        enabled: true,
    }
}

async fn sinks(cfgs: &[SinkConfig], provided: &Provided) -> Vec<Sink> {
    let mut out = Vec::new();
    for c in cfgs {
        out.push(Sink::resolve(c, provided).await.expect("sink resolves"));
    }
    out
}

/// A short run: started, a rollback by alice, a NO-GO decision, finished.
fn run_events(rec: &Recorder) {
    rec.emit(Event::RunStarted {
        run_id: "r1".into(),
        service: "shop-api".into(),
        release: "2.0".into(),
        environment: "preprod".into(),
        risk: EnvRisk::Preprod,
        operator: "sam".into(),
        operator_identity: None,
        read_only: false,
        stages: vec![StagePlan {
            id: "canary".into(),
            kind: StageKind::Canary,
            weight: 1.0,
            hard: true,
        }],
        pass_score: 90.0,
        warn_score: 70.0,
    });
    rec.emit(Event::FlagChanged {
        change: Some(FlagChangeKind::Rollback),
        flag: "checkout-v2".into(),
        provider: "file".into(),
        from: Some(25.0),
        to: Some(0.0),
        enabled: true,
        actor: "alice".into(),
        reason: "rollback: operator key R".into(),
        elapsed_ms: 2.0,
    });
    rec.emit(Event::GateDecision(Decision {
        score: 0.0,
        band: Verdict::Fail,
        outcome: Outcome::NoGo,
        lost: Vec::new(),
        rationale: "hard gate failed: canary".into(),
    }));
    rec.emit(Event::RunFinished {
        outcome: Outcome::NoGo,
        reason: None,
    });
}

struct Run {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Run {
    fn state(&self) -> RunState {
        let back = journal::read(&self.path).expect("journal");
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        RunState::from_envelopes(&back.envelopes)
    }
}

/// Run the short run with these sinks; returns the journal and how long
/// the end-of-run flush took.
async fn notified_run(sinks: Vec<Sink>, flush: Duration) -> (Run, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let rec = Recorder::new(Some(Journal::create(&path).expect("journal")));
    let n = Notifier::start(
        sinks,
        &rec,
        "ssh -t host flightdeck attach".into(),
        Some(path.clone()),
        flush,
    );
    let t = Instant::now();
    run_events(&rec);
    // Emitting never waits for a delivery.
    assert!(
        t.elapsed() < Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
    rec.close();
    let t = Instant::now();
    n.finish().await;
    (Run { _dir: dir, path }, t.elapsed())
}

fn provided(urls: &[(&str, &str)]) -> Provided {
    let mut p = Provided::default();
    for (k, v) in urls {
        p.insert(k, Secret::new(*v));
    }
    p.insert("T_SECRET", Secret::new(whsec()));
    p
}

#[tokio::test]
async fn a_signed_webhook_that_fails_twice_then_succeeds_keeps_its_id_and_slack_and_teams_get_their_shapes()
 {
    let (hook, hook_seen) = receiver(vec![(500, None), (503, None), (204, None)]).await;
    let (slack, slack_seen) = receiver(vec![(200, None)]).await;
    let (teams, teams_seen) = receiver(vec![(202, None)]).await;
    let p = provided(&[("T_HOOK", &hook), ("T_SLACK", &slack), ("T_TEAMS", &teams)]);
    let mut hook_cfg = sink("hook", SinkKind::Webhook, Some("T_HOOK"));
    hook_cfg.events = vec![NotifyTrigger::Rollback];
    let mut slack_cfg = sink("slack", SinkKind::Slack, Some("T_SLACK"));
    slack_cfg.min_severity = NotifySeverity::Critical;
    let teams_cfg = sink("teams", SinkKind::Teams, Some("T_TEAMS"));
    let sinks = sinks(&[hook_cfg, slack_cfg, teams_cfg], &p).await;
    let (run, _) = notified_run(sinks, Duration::from_secs(10)).await;

    let seen = hook_seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "two failures, then the delivery");
    let ids: Vec<String> = seen
        .iter()
        .map(|s| check_signature(s).expect("every attempt is signed"))
        .collect();
    assert!(ids.iter().all(|i| i == &ids[0]), "same webhook-id: {ids:?}");
    let body: serde_json::Value = serde_json::from_slice(&seen[2].body).expect("json");
    assert_eq!(body["type"], "flightdeck.rollback");
    assert!(
        body["data"]["title"]
            .as_str()
            .is_some_and(|t| t.contains("by alice"))
    );
    assert_eq!(body["data"]["lines"][0], "why: rollback: operator key R");
    assert_eq!(body["data"]["attach"], "ssh -t host flightdeck attach r1");
    // A tampered body does not verify.
    let mut forged = seen[2].clone();
    forged.body.extend_from_slice(b" ");
    assert!(check_signature(&forged).is_err());

    let state = run.state();
    let hook_n: Vec<_> = state
        .notifications
        .iter()
        .filter(|n| n.sink == "hook")
        .collect();
    assert_eq!(hook_n.len(), 1, "the hook hears rollbacks only");
    assert_eq!(hook_n[0].id, ids[0]);
    assert_eq!(hook_n[0].attempts, 3);
    assert!(matches!(
        hook_n[0].delivery,
        Delivery::Sent {
            status: Some(204),
            ..
        }
    ));

    // Slack: critical only (the rollback and the NO-GO), within its limits.
    let slack = slack_seen.lock().expect("lock").clone();
    assert_eq!(slack.len(), 2);
    for s in &slack {
        let v: serde_json::Value = serde_json::from_slice(&s.body).expect("json");
        assert!(v["text"].is_string());
        let blocks = v["blocks"].as_array().expect("blocks");
        assert!(!blocks.is_empty() && blocks.len() <= 50);
        assert!(s.headers.get("webhook-signature").is_none());
    }
    // Teams: every trigger, an Adaptive Card each.
    let teams = teams_seen.lock().expect("lock").clone();
    assert_eq!(teams.len(), 3);
    let v: serde_json::Value = serde_json::from_slice(&teams[0].body).expect("json");
    assert_eq!(
        v["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert!(state.notifications.iter().all(|n| !n.undelivered()));
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_and_410_stops_the_sink_for_good() {
    let (busy, busy_seen) = receiver(vec![(429, Some("1")), (200, None)]).await;
    let (gone, gone_seen) = receiver(vec![(410, None), (200, None)]).await;
    let p = provided(&[("T_BUSY", &busy), ("T_GONE", &gone)]);
    let mut busy_cfg = sink("busy", SinkKind::Webhook, Some("T_BUSY"));
    busy_cfg.events = vec![NotifyTrigger::Rollback];
    let gone_cfg = sink("gone", SinkKind::Webhook, Some("T_GONE"));
    let sinks = sinks(&[busy_cfg, gone_cfg], &p).await;
    let (run, _) = notified_run(sinks, Duration::from_secs(10)).await;

    let busy = busy_seen.lock().expect("lock").clone();
    assert_eq!(busy.len(), 2);
    let gap = busy[1].at - busy[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After: 1 honoured: {gap:?}"
    );
    let state = run.state();
    let back = journal::read(&run.path).expect("journal");
    let waited = back.envelopes.iter().find_map(|e| match &e.event {
        Event::NotifyFailed {
            sink,
            status: Some(429),
            retry_in_ms,
            ..
        } if sink == "busy" => *retry_in_ms,
        _ => None,
    });
    assert_eq!(waited, Some(1000));

    // 410 on the first message: nothing more reaches that sink.
    assert_eq!(gone_seen.lock().expect("lock").len(), 1);
    let gone_n: Vec<_> = state
        .notifications
        .iter()
        .filter(|n| n.sink == "gone")
        .collect();
    assert_eq!(gone_n.len(), 3, "run_started, rollback, decision");
    assert!(gone_n.iter().all(|n| matches!(
        n.delivery,
        Delivery::GaveUp {
            status: Some(410),
            ..
        }
    )));
}

#[tokio::test]
async fn a_receiver_that_never_answers_never_blocks_the_run_and_the_flush_is_bounded() {
    let (url, connections) = silent().await;
    let p = provided(&[("T_SILENT", &url)]);
    let mut cfg = sink("silent", SinkKind::Webhook, Some("T_SILENT"));
    cfg.timeout = HumanDuration::millis(300);
    cfg.max_attempts = 20;
    cfg.retry_base = HumanDuration::millis(100);
    let sinks = sinks(&[cfg], &p).await;
    let (run, flush_took) = notified_run(sinks, Duration::from_secs(2)).await;
    assert!(
        flush_took < Duration::from_secs(4),
        "the flush is bounded: {flush_took:?}"
    );
    assert!(*connections.lock().expect("lock") >= 1);
    let state = run.state();
    assert_eq!(
        state.outcome,
        Some(Outcome::NoGo),
        "the verdict is the run's own"
    );
    assert_eq!(state.notifications.len(), 3);
    for n in &state.notifications {
        assert!(
            matches!(n.delivery, Delivery::GaveUp { .. }),
            "{} ends given up: {:?}",
            n.id,
            n.delivery
        );
    }
}

#[tokio::test]
async fn a_command_sink_reads_the_json_on_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("got.jsonl");
    let mut cfg = sink("cmd", SinkKind::Command, None);
    cfg.argv = vec![
        "sh".into(),
        "-c".into(),
        "cat >> \"$0\"; echo >> \"$0\"".into(),
        out.display().to_string(),
    ];
    cfg.events = vec![NotifyTrigger::Decision];
    let sinks = sinks(&[cfg], &Provided::default()).await;
    let (run, _) = notified_run(sinks, Duration::from_secs(5)).await;
    let got = std::fs::read_to_string(&out).expect("the command wrote what it read");
    let v: serde_json::Value = serde_json::from_str(got.trim()).expect("json");
    assert_eq!(v["type"], "flightdeck.decision");
    assert!(
        v["data"]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("NO-GO"))
    );
    assert!(run.state().notifications.iter().all(|n| !n.undelivered()));
}

#[tokio::test]
async fn resend_delivers_what_a_finished_run_gave_up_on_with_the_same_id() {
    let (down, _) = receiver(vec![(503, None)]).await;
    let p = provided(&[("T_URL", &down)]);
    let mut cfg = sink("ops", SinkKind::Webhook, Some("T_URL"));
    cfg.max_attempts = 2;
    cfg.events = vec![NotifyTrigger::Decision];
    let sinks = sinks(&[cfg.clone()], &p).await;
    let (run, _) = notified_run(sinks, Duration::from_secs(5)).await;
    let before = run.state();
    let lost = before.notifications[0].clone();
    assert!(lost.undelivered());

    // The sink is back: resend through a config whose URL resolves from the
    // environment of the `flightdeck` process.
    let (up, up_seen) = receiver(vec![(204, None)]).await;
    let cfg_file = run.path.with_file_name("flightdeck.toml");
    std::fs::write(
        &cfg_file,
        r#"[[notify]]
name = "ops"
kind = "webhook"
url = { env = "T_RESEND_URL" }
secret = { env = "T_RESEND_SECRET" }

[[stages]]
id = "gate"
kind = "gate"
"#,
    )
    .expect("config");
    let bin = env!("CARGO_BIN_EXE_flightdeck");
    let path = run.path.clone();
    let o = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(["notify", "resend", "--timeout", "20s", "-c"])
            .arg(&cfg_file)
            .arg(&path)
            .env("T_RESEND_URL", &up)
            .env("T_RESEND_SECRET", whsec())
            .output()
            .expect("resend")
    })
    .await
    .expect("join");
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        text.contains(&format!("sent     {} -> ops", lost.id)),
        "{text}"
    );
    let seen = up_seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(check_signature(&seen[0]).expect("signed"), lost.id);
    let after = run.state();
    assert!(after.notifications.iter().all(|n| !n.undelivered()));
    assert_eq!(after.outcome, before.outcome);
    // Nothing left: a second resend has nothing to do.
    let o = std::process::Command::new(bin)
        .args(["notify", "resend", "-c"])
        .arg(run.path.with_file_name("flightdeck.toml"))
        .arg(&run.path)
        .output()
        .expect("resend again");
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("nothing to resend"));
}
