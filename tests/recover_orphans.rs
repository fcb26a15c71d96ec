//! Orphans settled by a new run's start (`canary.on_orphan`), through the
//! library: a crashed run is made by hand (its journal stops with the flag
//! file at 25%, its lock free, its config saved), then a run starts in the
//! same state directory. Rollback writes the flag file back and appends the
//! recovery to the crashed run's journal; ask and leave tell and touch
//! nothing; a flag moved by someone since, a flag already back, a live run
//! driving the same flag and a read-only run are each handled as such.

use std::path::{Path, PathBuf};

use flightdeck::canary::recover::{Recoverer, find, recover};
use flightdeck::canary::{OnOrphan, ProviderConfig};
use flightdeck::core::actor::Actor;
use flightdeck::core::command::Command;
use flightdeck::core::event::{EnvRisk, Event, FlagChangeKind, Outcome, StageKind, StagePlan};
use flightdeck::core::recovery::{OrphanResolution, RecoveryAction};
use flightdeck::core::state::RunState;
use flightdeck::engine::config::Config;
use flightdeck::engine::{self, AfterDecision, RunIdentity, StageConfig};
use flightdeck::flags::{FileProvider, FlagProvider};
use flightdeck::record::journal::{self, JOURNAL_FILE, Journal};
use flightdeck::record::recorder::Recorder;
use flightdeck::record::run_dir::{CONFIG_FILE, RunLock, runs_dir};

const CRASHED: &str = "20260301-221500-ab12";
const FLAG: &str = "checkout-v2";

fn flags_file(dir: &Path) -> PathBuf {
    let path = dir.join("flags.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/flags.json"),
        &path,
    )
    .expect("copy flags");
    path
}

fn config_for(state: &Path, flags: &Path) -> Config {
    let mut cfg = Config {
        state_dir: state.to_path_buf(),
        ..Config::default()
    };
    cfg.canary.flag = FLAG.into();
    cfg.canary.provider = ProviderConfig::File {
        path: flags.display().to_string(),
    };
    cfg.stages = vec![StageConfig {
        id: "gate".into(),
        kind: StageKind::Gate,
        weight: 1.0,
        hard: false,
        enabled: true,
        needs: None,
        resource: None,
    }];
    cfg
}

/// A run that started a canary on `flags`, stepped it to 25% and died:
/// its journal, its saved config, a free lock, and the flag file at 25%.
async fn crashed_run(state: &Path, flags: &Path, run: &str) -> PathBuf {
    let dir = runs_dir(state).join(run);
    std::fs::create_dir_all(&dir).expect("run dir");
    let cfg = config_for(state, flags);
    std::fs::write(
        dir.join(CONFIG_FILE),
        serde_json::to_string_pretty(&cfg).expect("config json"),
    )
    .expect("write config");
    drop(RunLock::hold(&dir).expect("lock"));
    let provider = FileProvider::new(flags, None);
    let before = provider.read(FLAG).await.expect("read");
    let after = provider.set_rollout(FLAG, 25.0).await.expect("set 25");
    let rec = Recorder::new(Some(
        Journal::create(&dir.join(JOURNAL_FILE)).expect("journal"),
    ));
    rec.emit(Event::RunStarted {
        run_id: run.into(),
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
            weight: 1.0,
            hard: true,
        }],
        pass_score: 90.0,
        warn_score: 70.0,
    });
    rec.emit(Event::StageStarted {
        stage: "canary".into(),
    });
    rec.emit(Event::CanaryStarted {
        stage: "canary".into(),
        flag: FLAG.into(),
        provider: "file".into(),
        steps: vec![5.0, 25.0, 50.0, 100.0],
        hold_s: 10,
        state: before,
    });
    rec.emit(Event::FlagChanged {
        change: Some(FlagChangeKind::Step),
        flag: FLAG.into(),
        provider: "file".into(),
        from: Some(0.0),
        to: after.rollout_percent,
        enabled: true,
        actor: "flightdeck".into(),
        reason: "step 2/4: 25%".into(),
        elapsed_ms: 1.0,
    });
    dir
}

async fn share(flags: &Path) -> Option<f64> {
    FileProvider::new(flags, None)
        .read(FLAG)
        .await
        .expect("read")
        .rollout_percent
}

fn replayed(dir: &Path) -> RunState {
    let back = journal::read(&dir.join(JOURNAL_FILE)).expect("read journal");
    RunState::from_envelopes(&back.envelopes)
}

/// Start a run (only a gate) in the state directory with this policy; its state.
async fn start_run(cfg: &Config) -> RunState {
    let id = RunIdentity {
        run_id: "20260302-100000-cdef".into(),
        operator: "tester".into(),
        approvals: Default::default(),
    };
    let rec = Recorder::new(None);
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel::<Command>();
    engine::run(cfg, &id, &rec, rx, AfterDecision::Return).await;
    rec.snapshot()
}

fn resolution(state: &RunState) -> Option<OrphanResolution> {
    state.orphans.first().and_then(|o| o.resolution.clone())
}

#[tokio::test]
async fn on_orphan_rollback_restores_the_flag_and_the_old_run_replays_as_recovered() {
    let t = tempfile::tempdir().expect("tempdir");
    let flags = flags_file(t.path());
    let dir = crashed_run(t.path(), &flags, CRASHED).await;
    let found = find(t.path(), None);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].share, found[0].pre_run), (Some(25.0), Some(0.0)));

    let mut cfg = config_for(t.path(), &flags);
    cfg.canary.on_orphan = Some(OnOrphan::Rollback);
    let state = start_run(&cfg).await;
    assert_eq!(
        resolution(&state),
        Some(OrphanResolution::Recovered {
            action: RecoveryAction::RolledBack
        })
    );
    assert_eq!(share(&flags).await, Some(0.0));

    let old = replayed(&dir);
    assert_eq!(old.outcome, Some(Outcome::Inconclusive));
    assert!(
        old.end_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("recovered after crash")),
        "{:?}",
        old.end_reason
    );
    let r = &old.recovery.as_ref().expect("recovered").recovery;
    assert_eq!(
        (r.actor.as_str(), r.from, r.to, r.by_run.as_deref()),
        (
            "flightdeck",
            Some(25.0),
            Some(0.0),
            Some("20260302-100000-cdef")
        )
    );
    assert!(r.reason.contains("on_orphan"), "{}", r.reason);
    assert_eq!(
        old.canary.as_ref().and_then(|c| c.percent),
        Some(0.0),
        "the rollback is in the old run's canary view"
    );
    // Recovered once: nothing left, and a second recovery refuses.
    assert!(find(t.path(), None).is_empty());
    let who = Recoverer {
        actor: &Actor::automatic("sam"),
        reason: "again",
        by_run: None,
    };
    assert!(recover(t.path(), CRASHED, &who).await.is_err());
}

#[tokio::test]
async fn ask_without_a_person_and_leave_tell_and_touch_nothing() {
    for policy in [OnOrphan::Ask, OnOrphan::Leave] {
        let t = tempfile::tempdir().expect("tempdir");
        let flags = flags_file(t.path());
        let dir = crashed_run(t.path(), &flags, CRASHED).await;
        let mut cfg = config_for(t.path(), &flags);
        cfg.canary.on_orphan = Some(policy);
        let state = start_run(&cfg).await;
        assert_eq!(state.orphans.len(), 1, "{policy:?}: told in the journal");
        assert!(
            state.logs.iter().any(|l| l.message.contains(&format!(
                "flightdeck recover --state-dir {}",
                t.path().display()
            ))),
            "{policy:?}: the line names the command"
        );
        let expected = match policy {
            OnOrphan::Leave => Some(OrphanResolution::Left),
            _ => None,
        };
        assert_eq!(resolution(&state), expected, "{policy:?}");
        assert_eq!(share(&flags).await, Some(25.0), "{policy:?}");
        assert_eq!(replayed(&dir).outcome, None, "{policy:?}: still unfinished");
        assert_eq!(find(t.path(), None).len(), 1, "{policy:?}: still an orphan");
    }
}

#[tokio::test]
async fn a_flag_moved_since_or_already_back_is_not_rolled_back() {
    for (now, action) in [
        (50.0, RecoveryAction::ChangedSince),
        (0.0, RecoveryAction::AlreadyBack),
    ] {
        let t = tempfile::tempdir().expect("tempdir");
        let flags = flags_file(t.path());
        let dir = crashed_run(t.path(), &flags, CRASHED).await;
        FileProvider::new(&flags, None)
            .set_rollout(FLAG, now)
            .await
            .expect("someone moves it");
        let who = Recoverer {
            actor: &Actor::automatic("sam"),
            reason: "test",
            by_run: None,
        };
        let r = recover(t.path(), CRASHED, &who).await.expect("recover");
        assert_eq!(r.action, action);
        assert_eq!(share(&flags).await, Some(now), "left as found");
        assert_eq!(replayed(&dir).outcome, Some(Outcome::Inconclusive));
    }
}

#[tokio::test]
async fn a_live_run_is_never_recovered_nor_a_flag_another_live_run_drives() {
    let t = tempfile::tempdir().expect("tempdir");
    let flags = flags_file(t.path());
    let dir = crashed_run(t.path(), &flags, CRASHED).await;
    let who = Recoverer {
        actor: &Actor::automatic("sam"),
        reason: "test",
        by_run: None,
    };
    // The run itself alive: not an orphan, and recover refuses.
    let held = RunLock::hold(&dir).expect("lock");
    assert!(find(t.path(), None).is_empty());
    let e = recover(t.path(), CRASHED, &who).await.expect_err("alive");
    assert!(e.to_string().contains("still running"), "{e}");
    drop(held);
    // Another live run drives the same flag now.
    let other = crashed_run(t.path(), &flags, "20260302-090000-ffff").await;
    let _other_lock = RunLock::hold(&other).expect("lock");
    let e = recover(t.path(), CRASHED, &who).await.expect_err("busy");
    assert!(e.to_string().contains("20260302-090000-ffff"), "{e}");
    assert_eq!(share(&flags).await, Some(25.0));
}

#[tokio::test]
async fn a_read_only_run_does_not_roll_back() {
    let t = tempfile::tempdir().expect("tempdir");
    let flags = flags_file(t.path());
    crashed_run(t.path(), &flags, CRASHED).await;
    let mut cfg = config_for(t.path(), &flags);
    cfg.canary.on_orphan = Some(OnOrphan::Rollback);
    cfg.run.read_only = true;
    let state = start_run(&cfg).await;
    assert!(
        matches!(resolution(&state), Some(OrphanResolution::Refused { .. })),
        "{:?}",
        state.orphans
    );
    assert_eq!(share(&flags).await, Some(25.0));
}
