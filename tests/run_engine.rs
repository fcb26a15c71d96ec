//! The engine end to end through the library: the demo targets, the shipped
//! config, the journal, the gate, and reports from a replayed journal.

use std::collections::HashMap;
use std::path::Path;

use flightdeck::config::{HumanDuration, Sources};
use flightdeck::core::command::Command;
use flightdeck::core::event::{Event, Outcome};
use flightdeck::core::state::RunState;
use flightdeck::core::verdict::Verdict;
use flightdeck::demo::{DemoTargets, Scenario};
use flightdeck::engine::config::{self, Config};
use flightdeck::engine::{self, AfterDecision, RunIdentity};
use flightdeck::launch::{quicken, start_demo};
use flightdeck::record::journal::{self, Journal};
use flightdeck::record::recorder::Recorder;
use flightdeck::report;

/// The shipped config with the demo started, as `flightdeck demo` does it.
async fn demo(scenario: Scenario, dir: &Path) -> (Config, DemoTargets) {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flightdeck.toml");
    let mut cfg = config::load(&Sources {
        file: Some(f),
        text: None,
        env: HashMap::new(),
        overrides: Vec::new(),
    })
    .expect("shipped config is valid");
    cfg.state_dir = dir.to_path_buf();
    let t = start_demo(&mut cfg, scenario, dir).await.expect("demo");
    cfg.environment.health.retry_delay_ms = 10;
    // Short timings keep the tests quick.
    quicken(&mut cfg);
    (cfg, t)
}

fn id() -> RunIdentity {
    RunIdentity {
        run_id: "test-run".into(),
        operator: "tester".into(),
        approvals: Default::default(),
    }
}

async fn run_demo(scenario: Scenario, dir: &Path) -> (Outcome, Recorder) {
    let (cfg, _t) = demo(scenario, dir).await;
    let rec = Recorder::new(Some(
        Journal::create(&dir.join("journal.jsonl")).expect("journal"),
    ));
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel::<Command>();
    let outcome = engine::run(&cfg, &id(), &rec, rx, AfterDecision::Return).await;
    (outcome, rec)
}

#[tokio::test]
async fn healthy_demo_is_go_and_replay_gives_identical_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (outcome, rec) = run_demo(Scenario::Healthy, dir.path()).await;
    let state = rec.snapshot();
    assert_eq!(outcome, Outcome::Go, "{:#?}", state.stages);
    assert_eq!(
        state.stage("env").and_then(|s| s.verdict),
        Some(Verdict::Pass)
    );
    let d = state.decision.as_ref().expect("decision");
    // On a busy shared machine the load stage may honestly warn about a
    // saturated second; nothing else may lose points.
    assert!(d.lost.iter().all(|l| l.stage == "load"), "{:?}", d.lost);
    if d.lost.is_empty() {
        assert_eq!(d.score, 100.0);
        assert_eq!(
            state.stage("gate").and_then(|s| s.verdict),
            Some(Verdict::Pass)
        );
    }
    let load = state.load.as_ref().expect("load view");
    assert!(!load.windows.is_empty());
    let (stage, summary) = state.load_summary.as_ref().expect("load summary");
    assert_eq!(stage, "load");
    assert!(summary.requests > 0);
    assert_eq!(summary.errors, 0);
    assert_eq!(
        state.stage("scans").and_then(|s| s.verdict),
        Some(Verdict::Pass)
    );
    assert!(state.findings.len() >= 10, "{}", state.findings.len());
    assert!(!state.policies.is_empty());

    let live = dir.path().join("live");
    report::write_all(&state, &live).expect("reports");
    let back = journal::read(&dir.path().join("journal.jsonl")).expect("read journal");
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    let replayed = RunState::from_envelopes(&back.envelopes);
    assert_eq!(replayed, state, "the journal folds back to the same state");
    let again = dir.path().join("replayed");
    report::write_all(&replayed, &again).expect("reports");
    for name in report::REPORT_FILES {
        let a = std::fs::read_to_string(live.join(name)).expect("live report");
        let b = std::fs::read_to_string(again.join(name)).expect("replayed report");
        assert_eq!(a, b, "{name} differs after replay");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(live.join("report.json")).expect("json"))
            .expect("valid json");
    assert_eq!(json["outcome"], "go");
    assert_eq!(json["exit_code"], 0);
    let junit = std::fs::read_to_string(live.join("junit.xml")).expect("junit");
    // One test case per planned stage, none failed.
    let cases = format!("tests=\"{}\" failures=\"0\"", state.stages.len());
    assert!(state.stages.len() >= 8, "{:?}", state.stages);
    assert!(junit.contains(&cases), "{junit}");
}

#[tokio::test]
async fn degraded_canary_fails_the_hard_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (outcome, rec) = run_demo(Scenario::Unhealthy, dir.path()).await;
    let state = rec.snapshot();
    assert_eq!(outcome, Outcome::NoGo);
    let env = state.stage("env").expect("env");
    assert_eq!(env.verdict, Some(Verdict::Fail));
    assert!(
        env.summary.contains("api: HTTP 503 (expected 200)"),
        "{}",
        env.summary
    );
    let d = state.decision.as_ref().expect("decision");
    assert!(
        d.rationale.contains("hard gate failed: env"),
        "{}",
        d.rationale
    );
    let lost: Vec<&str> = d.lost.iter().map(|l| l.stage.as_str()).collect();
    assert!(
        lost.contains(&"env") && lost.contains(&"canary"),
        "{lost:?}"
    );
    // The canary answers 1 in 5 API requests with a 500: its traffic shows it.
    let errors = state
        .load
        .as_ref()
        .map(|l| l.windows.iter().map(|w| w.errors).sum::<u64>());
    assert!(errors.unwrap_or(0) > 0, "{errors:?}");
    // Three attempts (retries = 2) were journalled for the failing endpoint.
    let back = journal::read(&dir.path().join("journal.jsonl")).expect("journal");
    let api_attempts = back
        .envelopes
        .iter()
        .filter(|e| matches!(&e.event, Event::HealthCheck(h) if h.endpoint == "api"))
        .count();
    assert_eq!(api_attempts, 3);
}

#[tokio::test]
async fn abort_ends_the_run_inconclusive_and_journals_who() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut cfg, _t) = demo(Scenario::Healthy, dir.path()).await;
    // An endpoint that never answers keeps the stage busy until the abort.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    cfg.environment.endpoints[0].url = format!("http://{addr}/healthz");
    cfg.environment.health.timeout_ms = 10_000;
    let rec = Recorder::new(Some(
        Journal::create(&dir.path().join("journal.jsonl")).expect("journal"),
    ));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let run = {
        let rec = rec.clone();
        tokio::spawn(async move { engine::run(&cfg, &id(), &rec, rx, AfterDecision::Return).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    tx.send(Command::Abort {
        reason: "SIGTERM".into(),
    })
    .expect("send");
    let outcome = run.await.expect("engine task");
    drop(l);
    assert_eq!(outcome, Outcome::Inconclusive);
    let back = journal::read(&dir.path().join("journal.jsonl")).expect("journal");
    let state = RunState::from_envelopes(&back.envelopes);
    assert_eq!(state.actions[0].action.as_str(), "abort");
    assert_eq!(state.end_reason.as_deref(), Some("aborted: SIGTERM"));
    assert_eq!(
        state.stage("env").and_then(|s| s.verdict),
        Some(Verdict::Inconclusive)
    );
}

#[tokio::test]
async fn rerun_reopens_and_decides_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut cfg, t) = demo(Scenario::Unhealthy, dir.path()).await;
    // Only the environment stage: the rerun heals it alone.
    cfg.stages
        .retain(|s| matches!(s.id.as_str(), "env" | "gate"));
    let rec = Recorder::new(Some(
        Journal::create(&dir.path().join("journal.jsonl")).expect("journal"),
    ));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let run = {
        let (rec, cfg) = (rec.clone(), cfg.clone());
        tokio::spawn(async move {
            engine::run(&cfg, &id(), &rec, rx, AfterDecision::ServeCommands).await
        })
    };
    // Wait for the first decision, then heal the canary and rerun.
    for _ in 0..200 {
        if rec.snapshot().outcome.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(rec.snapshot().outcome, Some(Outcome::NoGo));
    if let Ok(mut b) = t.canary_behaviour.write() {
        *b = Default::default();
    }
    tx.send(Command::RerunStage {
        stage: "env".into(),
    })
    .expect("send");
    drop(tx);
    let outcome = run.await.expect("engine task");
    assert_eq!(outcome, Outcome::Go);
    let state = rec.snapshot();
    assert_eq!(state.stage("env").map(|s| s.runs), Some(2));
    assert_eq!(state.actions[0].action.as_str(), "rerun_stage");
    assert!(!state.decision_stale);
}

/// The healthy demo with only the canary stage and 30 s holds, started in
/// the background.
async fn healthy_canary(
    dir: &Path,
) -> (
    Config,
    DemoTargets,
    Recorder,
    tokio::sync::mpsc::UnboundedSender<Command>,
    tokio::task::JoinHandle<Outcome>,
) {
    let (mut cfg, t) = demo(Scenario::Healthy, dir).await;
    cfg.canary.hold_s = 30;
    cfg.stages
        .retain(|s| matches!(s.id.as_str(), "canary" | "gate"));
    let rec = Recorder::new(Some(
        Journal::create(&dir.join("journal.jsonl")).expect("journal"),
    ));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let run = {
        let (rec, cfg) = (rec.clone(), cfg.clone());
        tokio::spawn(async move { engine::run(&cfg, &id(), &rec, rx, AfterDecision::Return).await })
    };
    (cfg, t, rec, tx, run)
}

#[tokio::test]
async fn operator_rollback_acts_at_once_and_ends_the_canary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cfg, _t, rec, tx, run) = healthy_canary(dir.path()).await;
    // Wait until the canary takes traffic, then press R.
    for _ in 0..300 {
        if rec
            .snapshot()
            .canary
            .is_some_and(|c| c.percent == Some(5.0))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(rec.snapshot().canary.and_then(|c| c.percent), Some(5.0));
    tx.send(Command::Rollback {
        reason: "operator key R".into(),
    })
    .expect("send");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("the canary stops at once, not after its 30 s hold")
        .expect("engine task");
    assert_eq!(outcome, Outcome::NoGo);
    let state = rec.snapshot();
    let c = state.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    let rb = c.rollback.as_ref().expect("rollback");
    assert_eq!(rb.actor, "tester");
    assert!(rb.elapsed_ms.is_some());
    let st = state.stage("canary").expect("stage");
    assert!(
        st.summary.contains("rolled back by the operator"),
        "{}",
        st.summary
    );
    let flags = cfg_flag_file(&cfg);
    assert!(
        flags.contains("\"canary\",\n            0") || flags.contains("0"),
        "{flags}"
    );
    let e = flightdeck::flags::evaluate(
        &flags,
        "checkout-v2",
        &serde_json::json!({"targetingKey": "u1"}),
    )
    .expect("evaluate");
    assert_eq!(e.variant.as_deref(), Some("baseline"));
}

fn cfg_flag_file(cfg: &Config) -> String {
    match &cfg.canary.provider {
        flightdeck::canary::ProviderConfig::File { path } => {
            std::fs::read_to_string(path).expect("flag file")
        }
        other => panic!("unexpected provider {other:?}"),
    }
}

/// The degraded demo with only the canary stage, started in the background.
async fn degraded_canary(
    dir: &Path,
    delay: HumanDuration,
    max_hold: HumanDuration,
) -> (
    Config,
    DemoTargets,
    Recorder,
    tokio::sync::mpsc::UnboundedSender<Command>,
    tokio::task::JoinHandle<Outcome>,
) {
    let (mut cfg, t) = demo(Scenario::Degraded, dir).await;
    cfg.canary.auto_rollback_delay = delay;
    cfg.canary.max_hold = max_hold;
    cfg.stages
        .retain(|s| matches!(s.id.as_str(), "canary" | "gate"));
    let rec = Recorder::new(Some(
        Journal::create(&dir.join("journal.jsonl")).expect("journal"),
    ));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let run = {
        let (rec, cfg) = (rec.clone(), cfg.clone());
        tokio::spawn(async move { engine::run(&cfg, &id(), &rec, rx, AfterDecision::Return).await })
    };
    (cfg, t, rec, tx, run)
}

/// Wait (bounded) until the fold says `pred`.
async fn wait_state(rec: &Recorder, what: &str, secs: u64, pred: impl Fn(&RunState) -> bool) {
    let start = std::time::Instant::now();
    while !pred(&rec.snapshot()) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(secs),
            "timed out waiting for {what}: {:#?}",
            rec.snapshot()
                .logs
                .iter()
                .map(|l| &l.message)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn flag_percent(cfg: &Config) -> f64 {
    let flags = cfg_flag_file(cfg);
    let doc: serde_json::Value = serde_json::from_str(&flags).expect("flag file is JSON");
    let variants = doc["flags"]["checkout-v2"]["targeting"]["fractional"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    variants
        .iter()
        .find(|v| v[0] == "canary")
        .and_then(|v| v[1].as_f64())
        .unwrap_or_else(|| panic!("no canary share in {flags}"))
}

fn pending(s: &RunState) -> Option<flightdeck::core::state::canary::AutoRollbackView> {
    s.canary.as_ref().and_then(|c| c.pending_auto().cloned())
}

#[tokio::test]
async fn a_held_automatic_rollback_keeps_the_canary_until_released() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cfg, _t, rec, tx, run) =
        degraded_canary(dir.path(), HumanDuration::secs(1), HumanDuration::secs(600)).await;
    // The degrading canary trips the guard or fails its judgement: countdown.
    wait_state(&rec, "the automatic rollback countdown", 60, |s| {
        pending(s).is_some_and(|a| a.counting())
    })
    .await;
    tx.send(Command::Hold {
        reason: "operator key H".into(),
    })
    .expect("send");
    wait_state(&rec, "the hold", 5, |s| {
        pending(s).is_some_and(|a| a.held())
    })
    .await;
    let held_at = rec
        .snapshot()
        .canary
        .and_then(|c| c.percent)
        .expect("share");
    assert!(held_at > 0.0);
    // Well past the 1 s delay: still held, still at its share, no step taken.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let state = rec.snapshot();
    let c = state.canary.as_ref().expect("canary");
    assert!(c.pending_auto().is_some_and(|a| a.held()), "{:?}", c.auto);
    assert_eq!(c.percent, Some(held_at));
    assert!(c.rollback.is_none());
    assert_eq!(flag_percent(&cfg), held_at, "the flag file keeps the share");
    assert!(!run.is_finished());
    tx.send(Command::Release {
        reason: "operator key H".into(),
    })
    .expect("send");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("the released countdown rolls back")
        .expect("engine task");
    assert_eq!(outcome, Outcome::NoGo);
    let back = journal::read(&dir.path().join("journal.jsonl")).expect("journal");
    let state = RunState::from_envelopes(&back.envelopes);
    let c = state.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    assert_eq!(flag_percent(&cfg), 0.0);
    let a = c.auto.as_ref().expect("auto");
    let rb = c.rollback.as_ref().expect("rollback");
    assert_eq!(rb.actor, a.trigger, "the trigger rolls back");
    assert!(["live guard", "judge"].contains(&a.trigger.as_str()));
    assert_eq!(a.held_by, ["tester"]);
    let actions: Vec<(&str, &str)> = state
        .actions
        .iter()
        .map(|x| (x.actor.as_str(), x.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("tester", "hold"),
            ("tester", "release"),
            (a.trigger.as_str(), "rollback")
        ]
    );
    // The release restarted the full delay: the rollback came >= 1 s after it.
    let release = &state.actions[1];
    assert!(rb.requested_at - release.ts >= chrono::Duration::milliseconds(950));
    let st = state.stage("canary").expect("stage");
    assert_eq!(st.verdict, Some(Verdict::Fail));
    assert!(
        st.summary.starts_with("rolled back automatically"),
        "{}",
        st.summary
    );
}

#[tokio::test]
async fn a_hold_that_runs_out_rolls_back_with_hold_expired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cfg, _t, rec, tx, run) = degraded_canary(
        dir.path(),
        HumanDuration::secs(2),
        HumanDuration::millis(1_500),
    )
    .await;
    wait_state(&rec, "the automatic rollback countdown", 60, |s| {
        pending(s).is_some_and(|a| a.counting())
    })
    .await;
    tx.send(Command::Hold {
        reason: "operator key H".into(),
    })
    .expect("send");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("the hold runs out")
        .expect("engine task");
    assert_eq!(outcome, Outcome::NoGo);
    let state = rec.snapshot();
    let c = state.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    assert_eq!(flag_percent(&cfg), 0.0);
    let rb = c.rollback.as_ref().expect("rollback");
    assert!(rb.reason.starts_with("hold expired: "), "{}", rb.reason);
    let hold = state
        .actions
        .iter()
        .find(|a| a.action.as_str() == "hold")
        .expect("hold");
    let expired = state
        .actions
        .iter()
        .find(|a| a.action.as_str() == "hold_expired")
        .expect("hold_expired");
    let took = expired.ts - hold.ts;
    assert!(
        took >= chrono::Duration::milliseconds(1_450) && took < chrono::Duration::seconds(5),
        "{took}"
    );
    assert!(
        state
            .logs
            .iter()
            .any(|l| l.message.starts_with("hold on checkout-v2 expired")),
    );
}

#[tokio::test]
async fn hold_with_nothing_pending_says_so_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cfg, _t) = demo(Scenario::Healthy, dir.path()).await;
    let mut cfg = cfg;
    cfg.stages
        .retain(|s| matches!(s.id.as_str(), "canary" | "gate"));
    let rec = Recorder::new(None);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(Command::Hold {
        reason: "operator key H".into(),
    })
    .expect("send");
    drop(tx);
    engine::run(&cfg, &id(), &rec, rx, AfterDecision::Return).await;
    let state = rec.snapshot();
    assert!(state.actions.is_empty(), "{:?}", state.actions);
    assert!(
        state
            .logs
            .iter()
            .any(|l| l.message == "hold: nothing to hold (no automatic rollback is pending)")
    );
}

#[tokio::test]
async fn promoting_over_a_held_rollback_is_journalled_as_an_override() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cfg, _t, rec, tx, run) =
        degraded_canary(dir.path(), HumanDuration::secs(1), HumanDuration::secs(600)).await;
    wait_state(&rec, "the automatic rollback countdown", 60, |s| {
        pending(s).is_some_and(|a| a.counting())
    })
    .await;
    // Promote during the countdown is refused: an override must be deliberate.
    tx.send(Command::Promote).expect("send");
    tx.send(Command::Hold {
        reason: "operator key H".into(),
    })
    .expect("send");
    wait_state(&rec, "the hold", 5, |s| {
        pending(s).is_some_and(|a| a.held())
    })
    .await;
    tx.send(Command::Promote).expect("send");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("the promote ends the stage")
        .expect("engine task");
    let state = rec.snapshot();
    assert!(
        state.logs.iter().any(|l| l.message.starts_with(
            "promote refused: the automatic rollback of checkout-v2 is counting down"
        )),
        "{:#?}",
        state.logs
    );
    let c = state.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(100.0));
    assert_eq!(flag_percent(&cfg), 100.0);
    assert!(c.rollback.is_none());
    let promote = state
        .actions
        .iter()
        .find(|a| a.action.as_str() == "promote")
        .expect("promote journalled");
    assert_eq!(promote.actor, "tester");
    assert!(
        promote
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("override: automatic rollback held (")),
        "{promote:?}"
    );
    let st = state.stage("canary").expect("stage");
    assert_eq!(st.verdict, Some(Verdict::Warn));
    assert!(
        st.summary
            .starts_with("promoted to 100% by tester over a held automatic rollback"),
        "{}",
        st.summary
    );
    let d = state.decision.as_ref().expect("decision");
    assert_ne!(
        (outcome, d.band),
        (Outcome::Go, Verdict::Pass),
        "never a clean GO"
    );
    assert!(
        d.rationale
            .contains("operator override on canary: promoted by tester"),
        "{}",
        d.rationale
    );
}

#[tokio::test]
async fn promote_mid_stepping_ends_the_canary_at_100_and_never_steps_back_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cfg, _t, rec, tx, run) = healthy_canary(dir.path()).await;
    wait_state(&rec, "the first canary step", 30, |s| {
        s.canary.as_ref().is_some_and(|c| c.percent == Some(5.0))
    })
    .await;
    tx.send(Command::Promote).expect("send");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(15), run)
        .await
        .expect("the promote ends the stage, not its 30 s holds")
        .expect("engine task");
    let state = rec.snapshot();
    assert_eq!(flag_percent(&cfg), 100.0, "the flag stays promoted");
    let c = state.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(100.0));
    assert!(c.rollback.is_none());
    assert_eq!(
        state
            .actions
            .iter()
            .map(|a| a.action.as_str())
            .collect::<Vec<_>>(),
        ["promote"]
    );
    let st = state.stage("canary").expect("stage");
    assert_eq!(st.verdict, Some(Verdict::Warn), "{}", st.summary);
    assert_eq!(
        st.summary,
        "promoted to 100% by tester after 0 of 4 steps; the remaining steps were not judged"
    );
    // A warning is worth half the canary's points; with the canary as the
    // only weighted stage that is below the warn band.
    let d = state.decision.as_ref().expect("decision");
    assert_eq!(outcome, Outcome::NoGo, "{}", d.rationale);
    assert!(d.rationale.contains("score 50"), "{}", d.rationale);
}

/// Where each stage started and finished in the journal (sequence numbers).
fn spans(dir: &Path) -> HashMap<String, (u64, u64)> {
    let back = journal::read(&dir.join("journal.jsonl")).expect("journal");
    let mut out: HashMap<String, (u64, u64)> = HashMap::new();
    let mut last = 0;
    for e in &back.envelopes {
        assert!(e.seq > last, "the journal is one ordered stream");
        last = e.seq;
        match &e.event {
            Event::StageStarted { stage } => {
                out.entry(stage.clone()).or_default().0 = e.seq;
            }
            Event::StageFinished { stage, .. } => {
                out.entry(stage.clone()).or_default().1 = e.seq;
            }
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn the_demo_graph_runs_scans_beside_env_and_load_and_the_target_is_held_by_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, rec) = run_demo(Scenario::Healthy, dir.path()).await;
    let s = spans(dir.path());
    let (env, load, canary, scans, policy, gate) = (
        s["env"],
        s["load"],
        s["canary"],
        s["scans"],
        s["policy"],
        s["gate"],
    );
    // `needs = []`: the scans start with the run, before env has finished.
    assert!(scans.0 < env.1, "scans {scans:?} env {env:?}");
    // Without `needs`, a stage waits for the one written before it.
    assert!(load.0 > env.1 && canary.0 > load.1, "{s:?}");
    // Policy needs load and scans, and then runs beside the canary.
    assert!(policy.0 > load.1 && policy.0 > scans.1, "{s:?}");
    assert!(policy.0 < canary.1, "policy {policy:?} canary {canary:?}");
    // Load and canary both hold the target: they never overlap.
    assert!(canary.0 > load.1);
    // The gate waits for every stage.
    for (id, (_, end)) in &s {
        if id != "gate" {
            assert!(gate.0 > *end, "gate started before {id} finished: {s:?}");
        }
    }
    // A parallel run's journal folds into the same state as the live run.
    let back = journal::read(&dir.path().join("journal.jsonl")).expect("journal");
    let replayed = RunState::from_envelopes(&back.envelopes);
    assert_eq!(replayed, rec.snapshot());
}

#[tokio::test]
async fn two_operators_pressing_r_at_once_roll_back_once_and_both_hear_it_confirmed() {
    use flightdeck::core::actor::{Actor, NameSource, Via};
    let dir = tempfile::tempdir().expect("tempdir");
    let (_cfg, _t, rec, tx, run) = healthy_canary(dir.path()).await;
    for _ in 0..300 {
        if rec
            .snapshot()
            .canary
            .is_some_and(|c| c.percent == Some(5.0))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let person = |name: &str, uid: u32, via: Via| Actor {
        name: name.into(),
        uid: Some(uid),
        via,
        named_by: Some(NameSource::Account),
    };
    let alice = person(
        "alice",
        1001,
        Via::Ssh {
            client: "203.0.113.9".into(),
            port: Some(52311),
        },
    );
    let bob = person("bob", 1002, Via::Local);
    let r = || Command::Rollback {
        reason: "operator key R".into(),
    };
    tx.send(r().by(alice.clone())).expect("send");
    tx.send(r().by(bob.clone())).expect("send");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("the canary stops at once")
        .expect("engine task");
    assert_eq!(outcome, Outcome::NoGo);
    let back = journal::read(&dir.path().join("journal.jsonl")).expect("journal");
    let rollbacks: Vec<_> = back
        .envelopes
        .iter()
        .filter_map(|e| match &e.event {
            Event::OperatorAction {
                identity, action, ..
            } if action.as_str() == "rollback" => identity.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(
        rollbacks,
        vec![alice.clone()],
        "one rollback, alice's, with her identity"
    );
    let flag_changes = back
        .envelopes
        .iter()
        .filter(|e| {
            matches!(&e.event, Event::FlagChanged { actor, reason, .. }
                if actor == "alice" && reason.starts_with("rollback"))
        })
        .count();
    assert_eq!(flag_changes, 1);
    let state = RunState::from_envelopes(&back.envelopes);
    assert!(
        state.logs.iter().any(|l| l.message
            == "rollback asked by bob: checkout-v2 is already rolled back by alice (confirmed); nothing more to do"),
        "{:#?}",
        state.logs.iter().map(|l| &l.message).collect::<Vec<_>>()
    );
    let rb = state.canary.and_then(|c| c.rollback).expect("rollback");
    assert_eq!(rb.actor, "alice");
}
