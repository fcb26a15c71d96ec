//! A whole canary stage judged from a REAL Prometheus: the demo targets are
//! scraped every second, the judge's metrics are PromQL range queries over
//! each step's hold (error ratio from the counters, p95 from the latency
//! histogram), and the engine runs the stage as `flightdeck run` does. The
//! degraded canary fails on Prometheus's numbers and is rolled back; the
//! healthy one passes. Both runs share one Prometheus (one job each).

mod prom_support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use flightdeck::canary::{
    Classification, Direction, JudgeConfig, JudgeParams, MetricConfig, MetricSource, SampleSource,
};
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
use prom_support::Prom;

/// The shipped config with the demo started, quickened.
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
    quicken(&mut cfg);
    (cfg, t)
}

/// Two PromQL metrics of the `job` demo: the error ratio (critical) and the
/// p95 latency from the histogram.
fn promql_metrics(job: &str) -> Vec<MetricConfig> {
    let ratio = |v: &str| {
        format!(
            "sum(rate(demo_request_errors_total{{job=\"{job}\",variant=\"{v}\"}}[3s])) / \
             sum(rate(demo_requests_total{{job=\"{job}\",variant=\"{v}\"}}[3s]))"
        )
    };
    let p95 = |v: &str| {
        format!(
            "histogram_quantile(0.95, sum by (le) (rate(demo_request_duration_seconds_bucket{{job=\"{job}\",variant=\"{v}\"}}[3s])))"
        )
    };
    let params = JudgeParams {
        min_samples: 4,
        ..JudgeParams::default()
    };
    vec![
        MetricConfig {
            name: "error ratio (prometheus)".into(),
            source: MetricSource::Promql {
                baseline: ratio("baseline"),
                canary: ratio("canary"),
            },
            direction: Direction::Increase,
            critical: true,
            weight: 1.0,
            params: JudgeParams {
                min_abs_shift: 0.01,
                ..params.clone()
            },
        },
        MetricConfig {
            name: "p95 latency (prometheus)".into(),
            source: MetricSource::Promql {
                baseline: p95("baseline"),
                canary: p95("canary"),
            },
            direction: Direction::Increase,
            critical: false,
            weight: 1.0,
            // Seconds; bucket interpolation is coarse: only a real slowdown counts.
            params: JudgeParams {
                min_abs_shift: 0.02,
                effect_size_high: Some(1.5),
                ..params
            },
        },
    ]
}

/// Run the canary stage alone (one 50% step, held 8 s), judged from
/// Prometheus only: the live guard is off so the judge decides, and the
/// automatic rollback is immediate.
async fn run_canary(mut cfg: Config, prom_url: &str, job: &str, dir: &Path) -> (Outcome, RunState) {
    cfg.stages
        .retain(|s| matches!(s.id.as_str(), "canary" | "gate"));
    cfg.canary.steps = vec![50.0];
    cfg.canary.hold_s = 8;
    cfg.canary.guard.enabled = false;
    cfg.canary.auto_rollback_delay = HumanDuration::secs(0);
    cfg.canary.judge = JudgeConfig {
        metrics: promql_metrics(job),
        prometheus_url: Some(prom_url.to_string()),
        ..JudgeConfig::default()
    };
    assert!(
        cfg.canary.validate().is_empty(),
        "{:?}",
        cfg.canary.validate()
    );
    let journal_path = dir.join("journal.jsonl");
    let rec = Recorder::new(Some(Journal::create(&journal_path).expect("journal")));
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel::<Command>();
    let id = RunIdentity {
        run_id: format!("prom-{job}"),
        operator: "tester".into(),
        approvals: Default::default(),
    };
    let outcome = engine::run(&cfg, &id, &rec, rx, AfterDecision::Return).await;
    let back = journal::read(&journal_path).expect("read journal");
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    (outcome, RunState::from_envelopes(&back.envelopes))
}

/// The one judged step's metrics, checked to come from Prometheus with data.
fn judged_from_prometheus(state: &RunState) -> flightdeck::canary::StepJudgement {
    let c = state.canary.as_ref().expect("canary");
    assert_eq!(c.judged.len(), 1, "{:?}", state.logs);
    let j = c.judged[0].judgement.clone();
    for m in &j.metrics {
        assert_eq!(m.source, SampleSource::Prometheus, "{m:?}");
        assert!(m.baseline_n >= 4 && m.canary_n >= 4, "{m:?}");
    }
    j
}

fn report_json(state: &RunState, dir: &Path) -> serde_json::Value {
    report::write_all(state, dir).expect("reports");
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report"))
        .expect("valid json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_canary_stage_is_judged_from_prometheus() {
    let dirs = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let (bad_cfg, bad) = demo(Scenario::Degraded, dirs.0.path()).await;
    let (good_cfg, good) = demo(Scenario::Healthy, dirs.1.path()).await;
    let prom = Prom::start_jobs(&[
        (
            "degraded",
            vec![bad.baseline.to_string(), bad.canary.to_string()],
        ),
        (
            "healthy",
            vec![good.baseline.to_string(), good.canary.to_string()],
        ),
    ]);
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    prom.wait_up(&http, 4).await;

    let ((bad_outcome, bad_state), (good_outcome, good_state)) = tokio::join!(
        run_canary(bad_cfg, &prom.url, "degraded", dirs.0.path()),
        run_canary(good_cfg, &prom.url, "healthy", dirs.1.path()),
    );
    let log = |s: &RunState| {
        format!(
            "{:#?}\nPrometheus log:\n{}",
            s.logs.iter().map(|l| &l.message).collect::<Vec<_>>(),
            prom.log_tail()
        )
    };

    // Degraded: Prometheus's error ratio fails the step, the judge rolls back.
    let j = judged_from_prometheus(&bad_state);
    assert_eq!(j.verdict, Verdict::Fail, "{j:?}\n{}", log(&bad_state));
    let ratio = &j.metrics[0];
    assert_eq!(ratio.classification, Classification::High, "{ratio:?}");
    assert!(
        ratio.canary_median.is_some_and(|m| m > 0.1)
            && ratio.baseline_median.is_some_and(|m| m < 0.02),
        "{ratio:?}"
    );
    assert_eq!(bad_outcome, Outcome::NoGo);
    let c = bad_state.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(0.0));
    let rb = c.rollback.as_ref().expect("rolled back");
    assert_eq!(rb.actor, "judge");
    assert!(
        rb.reason
            .contains("fail: critical metric error ratio (prometheus) failed"),
        "{}",
        rb.reason
    );
    let json = report_json(&bad_state, &dirs.0.path().join("report"));
    assert_eq!(json["outcome"], "no_go");
    let stage = json["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "canary"))
        .expect("canary stage in report.json");
    assert_eq!(stage["verdict"], "fail");
    let metrics = &json["canary"]["judged"][0]["judgement"]["metrics"];
    assert_eq!(metrics[0]["source"], "prometheus", "{metrics}");
    assert!(metrics[0]["canary_n"].as_u64().is_some_and(|n| n > 0));

    // Healthy: the same queries pass and the canary stays at its step.
    let j = judged_from_prometheus(&good_state);
    assert_eq!(j.verdict, Verdict::Pass, "{j:?}\n{}", log(&good_state));
    assert_eq!(good_outcome, Outcome::Go);
    let c = good_state.canary.as_ref().expect("canary");
    assert_eq!(c.percent, Some(50.0));
    assert!(c.rollback.is_none());
    let json = report_json(&good_state, &dirs.1.path().join("report"));
    assert_eq!(json["outcome"], "go");
    assert_eq!(
        json["canary"]["judged"][0]["judgement"]["metrics"][1]["source"],
        "prometheus"
    );
    let judged_events = journal::read(&dirs.1.path().join("journal.jsonl"))
        .expect("journal")
        .envelopes
        .iter()
        .filter(|e| matches!(e.event, Event::CanaryJudgement { .. }))
        .count();
    assert_eq!(judged_events, 1);
}
