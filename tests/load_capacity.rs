//! The capacity search through the real binary against an in-process
//! server whose latency rises sharply above a known rate (a token bucket
//! that queues beyond 800 requests/s), and against a fast target the
//! generator cannot keep up with (inconclusive, never a figure).

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use tokio::time::Instant;

/// The rate above which the server queues.
const CAPACITY: f64 = 800.0;

/// Serve on 127.0.0.1 from a runtime on its own thread; `bucket` makes
/// every request wait its turn at CAPACITY per second.
fn serve(bucket: bool) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let next: Arc<Mutex<Instant>> = Arc::new(Mutex::new(Instant::now()));
            let app = Router::new()
                .route(
                    "/",
                    get(move |State(next): State<Arc<Mutex<Instant>>>| async move {
                        if bucket {
                            let slot = {
                                let mut n = next.lock().unwrap();
                                let now = Instant::now();
                                // One token per 1/CAPACITY s; an idle bucket
                                // does not bank tokens beyond 20 ms.
                                let slot = (*n).max(now - Duration::from_millis(20));
                                *n = slot + Duration::from_secs_f64(1.0 / CAPACITY);
                                slot
                            };
                            tokio::time::sleep_until(slot).await;
                        }
                        "ok"
                    }),
                )
                .with_state(next);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn capacity(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["load", "capacity"])
        .args(args)
        .args(["--output", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        v,
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn finds_the_rate_where_the_token_bucket_starts_queueing() {
    let addr = serve(true);
    let url = format!("http://{addr}/");
    let (code, v, all) = capacity(&[
        &url,
        "--slo",
        "p99 < 100ms",
        "--slo",
        "error_rate < 1%",
        "--required",
        "500",
        "--max-rate",
        "1600",
        "--start-rate",
        "300",
        "--step",
        "2s",
    ]);
    assert_eq!(code, 0, "{all}");
    // The figures, for `cargo test --test load_capacity -- --nocapture`.
    eprintln!(
        "sustainable {} knee {} steps {}",
        v["sustainable_rps"],
        v["knee_rps"],
        v["curve"].as_array().map_or(0, Vec::len)
    );
    let s = v["sustainable_rps"].as_f64().expect(&all);
    assert!(
        (CAPACITY * 0.9..=CAPACITY * 1.1).contains(&s),
        "sustainable {s}/s is not within 10% of {CAPACITY}/s:\n{all}"
    );
    assert_eq!(v["verdict"], "pass", "{all}");
    assert_eq!(v["required_rps"], 500.0);
    assert_eq!(v["headroom"], 1.3);
    let curve = v["curve"].as_array().unwrap();
    assert!(curve.len() >= 4, "{all}");
    for step in curve {
        assert!(step["rate_rps"].as_f64().unwrap() <= 1600.0);
        for k in ["p50_ms", "p95_ms", "p99_ms", "errors", "achieved_rps"] {
            assert!(step.get(k).is_some(), "{k} missing: {step}");
        }
    }
    assert!(
        curve.iter().any(|s| s["outcome"] == "breached"),
        "no step broke the SLO:\n{all}"
    );
    assert!(curve.iter().any(|s| s["phase"] == "bisect"), "{all}");
    if let Some(k) = v["knee_rps"].as_f64() {
        assert!(k <= s * 1.2, "knee {k} far above the sustainable {s}");
    }
}

#[test]
fn a_target_faster_than_the_generator_is_inconclusive() {
    let addr = serve(false);
    let url = format!("http://{addr}/");
    let (code, v, all) = capacity(&[
        &url,
        "--slo",
        "p99 < 50ms",
        "--required",
        "100",
        "--max-rate",
        "200000",
        "--start-rate",
        "150000",
        "--max-connections",
        "1",
        "--step",
        "2s",
    ]);
    assert_eq!(code, 3, "{all}");
    assert_eq!(v["verdict"], "inconclusive", "{all}");
    assert!(v["sustainable_rps"].is_null(), "{all}");
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("the generator, not the target, is the limit") && reason.contains("lag"),
        "{reason}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, all) = capacity(&[
        "http://127.0.0.1:9/",
        "--slo",
        "p99 <",
        "--required",
        "100",
        "--max-rate",
        "10",
    ]);
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("slo"), "{all}");
    let (code, _, all) = capacity(&[
        "http://load-target.invalid/",
        "--slo",
        "p99 < 1s",
        "--required",
        "100",
        "--max-rate",
        "10",
    ]);
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("allow_hosts"), "{all}");
}

/// `[load.capacity]` in a run: the load stage searches, journals each step,
/// and its evidence (in report.json) holds the verdict, the curve and the
/// learned mix's coverage.
#[test]
fn a_run_with_load_capacity_journals_the_curve_and_reports_it() {
    let addr = serve(true);
    let dir = tempfile::tempdir().unwrap();
    let mix = dir.path().join("mix.toml");
    std::fs::write(
        &mix,
        r#"[load.learned]
source = ["access.log"]
format = "combined"
requests = 1000
coverage = 0.9
templates_in_mix = 1
[[load.requests]]
name = "GET /"
method = "GET"
path = "/"
weight = 1
"#,
    )
    .unwrap();
    let cfg = dir.path().join("fd.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[load]
target = "http://{addr}"
mix_file = "{}"
[load.capacity]
required_rps = 400
slo = ["p99 < 100ms"]
max_rate = 1600
start_rps = 400
step_s = 2
bisect_steps = 1
[[stages]]
id = "load"
kind = "load"
[[stages]]
id = "gate"
kind = "gate"
"#,
            mix.display()
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let out = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["run", "--headless", "-c"])
        .arg(&cfg)
        .arg("--state-dir")
        .arg(&state)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    let run_dir = std::fs::read_dir(state.join("runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"capacity_step\""), "{journal}");
    assert!(journal.contains("\"capacity_result\""), "{journal}");
    let report = std::fs::read_to_string(run_dir.join("report.json")).unwrap();
    for needle in [
        "capacity step 1",
        "sustainable",
        "mix coverage",
        "90.0% of 1000 production requests",
    ] {
        assert!(
            report.contains(needle),
            "{needle} missing in report.json:\n{report}"
        );
    }
}
