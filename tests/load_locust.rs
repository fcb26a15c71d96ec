//! The Locust engine with a real Locust (PyPI, `FLIGHTDECK_LOCUST`, installed
//! by `scripts/test`): a master and 2 workers on 127.0.0.1 against an axum
//! server in the test that counts what it receives. Each run sends a few
//! seconds of load; the tests run one at a time.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use flightdeck::core::load::WorkerPool;
use flightdeck::core::verdict::Verdict;
use flightdeck::load::locust::{Engine, LocustConfig, WorkerHost};
use flightdeck::load::{
    self, LoadConfig, LoadError, LoadPlan, LoadUpdate, Summary, Threshold, Window,
};
use tokio_util::sync::CancellationToken;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The Locust program, or `None` (with the reason printed) outside CI.
fn locust() -> Option<PathBuf> {
    match std::env::var_os("FLIGHTDECK_LOCUST").map(PathBuf::from) {
        Some(p) if p.is_file() => Some(p),
        other => {
            let msg = format!(
                "FLIGHTDECK_LOCUST ({other:?}) is not set to a locust program; scripts/test installs it into ~/.cache/flightdeck/locustvenv"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg}");
            }
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

#[derive(Clone, Default)]
struct Target {
    hits: Arc<AtomicU64>,
    slow: Arc<AtomicBool>,
}

async fn serve() -> (SocketAddr, Target) {
    let t = Target::default();
    let app = Router::new()
        .route(
            "/count",
            get(|State(t): State<Target>| async move {
                t.hits.fetch_add(1, Ordering::SeqCst);
                "ok"
            }),
        )
        .route(
            "/delay20",
            get(|State(t): State<Target>| async move {
                t.hits.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                "ok"
            }),
        )
        .route(
            "/slowable",
            get(|State(t): State<Target>| async move {
                t.hits.fetch_add(1, Ordering::SeqCst);
                let ms = if t.slow.load(Ordering::SeqCst) {
                    120
                } else {
                    2
                };
                tokio::time::sleep(Duration::from_millis(ms)).await;
                "ok"
            }),
        )
        .with_state(t.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, t)
}

fn cfg(addr: SocketAddr, path: &str, seconds: f64) -> LoadConfig {
    LoadConfig {
        target: format!("http://{addr}{path}"),
        connections: Some(4),
        duration_s: Some(seconds),
        timeout_ms: 5_000,
        engine: Engine::Locust,
        locust: LocustConfig {
            workers: 2,
            join_timeout_s: 20.0,
            ..LocustConfig::default()
        },
        ..LoadConfig::default()
    }
}

struct Run {
    summary: Summary,
    windows: Vec<Window>,
    pools: Vec<WorkerPool>,
}

async fn go(cfg: &LoadConfig) -> Result<Run, LoadError> {
    let plan = LoadPlan::from_config(cfg).expect("valid plan");
    let mut windows = Vec::new();
    let mut pools = Vec::new();
    let summary = load::run_configured(cfg, plan, CancellationToken::new(), |u| match u {
        LoadUpdate::Window(w) => windows.push(w),
        LoadUpdate::Workers(p) => pools.push(p),
        LoadUpdate::Started { .. } => {}
    })
    .await?;
    Ok(Run {
        summary,
        windows,
        pools,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reported_total_equals_what_the_server_counted() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, t) = serve().await;
    let r = go(&cfg(addr, "/count", 3.0)).await.expect("locust run");
    let counted = t.hits.load(Ordering::SeqCst);
    assert!(counted > 100, "too little load to judge: {counted}");
    assert_eq!(
        r.summary.requests, counted,
        "Locust reported {} requests, the server counted {counted}",
        r.summary.requests
    );
    assert_eq!(r.summary.errors, 0);
    assert_eq!(
        r.windows.iter().map(|w| w.requests).sum::<u64>(),
        counted,
        "the windows add up to the total"
    );
    assert!(r.windows.len() >= 3, "{} windows", r.windows.len());
    assert!(
        r.pools.iter().any(|p| p.joined() == 2 && p.expected == 2),
        "both workers joined: {:?}",
        r.pools.last()
    );
    assert!(
        r.summary.generator_faults.is_empty(),
        "{:?}",
        r.summary.generator_faults
    );
    let (verdict, _, line) = load::judge(&r.summary, &r.windows, &[], None);
    assert_eq!(verdict, Verdict::Pass, "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentiles_match_a_fixed_20ms_server_at_three_digits() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, _t) = serve().await;
    let r = go(&cfg(addr, "/delay20", 3.0)).await.expect("locust run");
    let l = &r.summary.latency;
    assert!(r.summary.requests > 50, "{}", r.summary.requests);
    assert!(
        l.p50_ms >= 20.0,
        "p50 {} below the server's delay",
        l.p50_ms
    );
    assert!(l.p50_ms < 30.0, "p50 {} far above 20ms", l.p50_ms);
    assert!(l.p99_ms >= l.p50_ms);
    // Three significant digits survive: Locust's own bucketing would give
    // whole milliseconds here.
    let fractional = [l.p50_ms, l.p95_ms, l.p99_ms]
        .iter()
        .any(|v| (v - v.round()).abs() > 0.0005);
    assert!(fractional, "percentiles look whole-ms rounded: {l:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_fail_when_the_server_slows_mid_run() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, t) = serve().await;
    let mut c = cfg(addr, "/slowable", 5.0);
    c.thresholds = vec!["p95 < 50ms".into()];
    let slow = t.slow.clone();
    let hits = t.hits.clone();
    // Slow the server once load has flowed for a while (by request count,
    // not by time).
    tokio::spawn(async move {
        while hits.load(Ordering::SeqCst) < 300 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slow.store(true, Ordering::SeqCst);
    });
    let r = go(&c).await.expect("locust run");
    let th = Threshold::parse_all("load.thresholds", &c.thresholds).unwrap();
    let (verdict, ev, line) = load::judge(&r.summary, &r.windows, &th, None);
    assert_eq!(verdict, Verdict::Fail, "{line} {ev:?}");
    assert!(r.windows.iter().any(|w| w.p95_ms < 50.0), "fast at first");
    assert!(r.windows.iter().any(|w| w.p95_ms >= 100.0), "slow later");
}

fn dying_worker(after_s: &str, tmp: &std::path::Path) -> Vec<String> {
    // A "remote" worker through a command template: it fetches the
    // locustfile from the master (`-f -`, into its own TMPDIR: Locust writes
    // it to a fixed name there) and is killed after a while.
    let tmpdir = format!("TMPDIR={}", tmp.display());
    [
        "env",
        tmpdir.as_str(),
        "timeout",
        "-s",
        "KILL",
        after_s,
        "{locust}",
        "-f",
        "-",
        "--worker",
        "--master-host",
        "{master_host}",
        "--master-port",
        "{master_port}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn worker(name: &str, command: Vec<String>) -> WorkerHost {
    WorkerHost {
        name: name.into(),
        command,
    }
}

fn steady_worker() -> Vec<String> {
    [
        "{locust}",
        "-f",
        "{locustfile}",
        "--worker",
        "--master-host",
        "{master_host}",
        "--master-port",
        "{master_port}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_run_makes_it_inconclusive_unless_allowed() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, _t) = serve().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut c = cfg(addr, "/count", 6.0);
    c.locust.hosts = vec![
        worker("gen-a", steady_worker()),
        worker("gen-b", dying_worker("6", tmp.path())),
    ];
    let r = go(&c).await.expect("locust run");
    let (verdict, _, line) = load::judge(&r.summary, &r.windows, &[], None);
    assert_eq!(verdict, Verdict::Inconclusive, "{line}");
    assert!(
        r.summary
            .generator_faults
            .iter()
            .any(|f| f.contains("gen-b") && f.contains("lost")),
        "{:?}",
        r.summary.generator_faults
    );
    assert!(
        r.pools.iter().any(|p| p.workers.iter().any(
            |w| w.label == "gen-b" && matches!(w.state.as_str(), "lost" | "exited" | "missing")
        )),
        "the pool shows the lost worker: {:?}",
        r.pools.last()
    );

    // With one loss allowed the same run is judged on its figures.
    c.locust.allow_fewer = 1;
    let r = go(&c).await.expect("locust run");
    assert!(
        r.summary.generator_faults.is_empty(),
        "{:?}",
        r.summary.generator_faults
    );
    let (verdict, _, line) = load::judge(&r.summary, &r.windows, &[], None);
    assert_eq!(verdict, Verdict::Pass, "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_never_joins_is_named_and_stopped() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, t) = serve().await;
    let mut c = cfg(addr, "/count", 3.0);
    c.locust.join_timeout_s = 3.0;
    let marker = "31.4159";
    c.locust.hosts = vec![
        worker("gen-a", steady_worker()),
        worker(
            "gen-never",
            vec![
                "sh".into(),
                "-c".into(),
                format!(
                    "echo 'ssh: connect to host gen-never: token=hunter2secret refused' >&2; exec sleep {marker}"
                ),
            ],
        ),
    ];
    let r = go(&c).await.expect("locust run");
    let (verdict, _, line) = load::judge(&r.summary, &r.windows, &[], None);
    assert_eq!(verdict, Verdict::Inconclusive, "{line}");
    assert!(line.contains("gen-never"), "{line}");
    assert!(line.contains("never joined"), "{line}");
    assert!(
        line.contains("connect to host"),
        "stderr tail shown: {line}"
    );
    assert!(
        !line.contains("hunter2secret"),
        "stderr tail redacted: {line}"
    );
    assert_eq!(
        t.hits.load(Ordering::SeqCst),
        0,
        "no load without the swarm"
    );
    // The worker command that never joined was stopped by its process group.
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(marker) && c.starts_with("sleep"))
        .collect();
    assert!(left.is_empty(), "still running: {left:?}");
}

#[test]
fn a_missing_locust_names_the_version_and_how_to_install() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "load",
            "http://127.0.0.1:9/",
            "--engine",
            "locust",
            "--workers",
            "2",
            "-z",
            "1s",
        ])
        .env("FLIGHTDECK_LOCUST", "/nonexistent/locust")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("2.47.0"), "{err}");
    assert!(err.contains("pip install"), "{err}");
}

/// Processes whose command line names the Locust run folder of process `pid`.
fn locust_processes_of(pid: u32) -> Vec<String> {
    let needle = format!("flightdeck-locust-{pid}-");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stop_key_ends_the_swarm_and_every_process_goes() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, t) = serve().await;
    let c = cfg(addr, "/count", 30.0);
    let plan = LoadPlan::from_config(&c).unwrap();
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let hits = t.hits.clone();
    // The operator presses the stop key once load flows.
    tokio::spawn(async move {
        while hits.load(Ordering::SeqCst) < 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.cancel();
    });
    let mut windows = Vec::new();
    let s = load::run_configured(&c, plan, cancel, |u| {
        if let LoadUpdate::Window(w) = u {
            windows.push(w)
        }
    })
    .await
    .expect("locust run");
    assert_eq!(s.stopped_early.as_deref(), Some("cancelled"));
    assert!(
        s.duration_s < 20.0,
        "stopped long before 30 s: {}",
        s.duration_s
    );
    assert_eq!(s.requests, t.hits.load(Ordering::SeqCst), "still exact");
    let left = locust_processes_of(std::process::id());
    assert!(left.is_empty(), "still running: {left:?}");
    let (verdict, _, line) = load::judge(&s, &windows, &[], None);
    assert_eq!(verdict, Verdict::Inconclusive, "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_flightdeck_stops_every_locust_process() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, t) = serve().await;
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "load",
            &format!("http://{addr}/count"),
            "--engine",
            "locust",
        ])
        .args(["--workers", "2", "-c", "4", "-z", "30s", "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    while t.hits.load(Ordering::SeqCst) < 200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !locust_processes_of(pid).is_empty(),
        "the swarm runs under flightdeck {pid}"
    );
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(
        out.status.code(),
        Some(3),
        "inconclusive after a stop: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json["flightdeck"]["requests"].as_u64(),
        Some(t.hits.load(Ordering::SeqCst)),
        "the summary still counts exactly"
    );
    let left = locust_processes_of(pid);
    assert!(left.is_empty(), "still running: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_paces_the_total_rate_across_workers() {
    let _g = SERIAL.lock().await;
    if locust().is_none() {
        return;
    }
    let (addr, t) = serve().await;
    let mut c = cfg(addr, "/count", 3.0);
    c.connections = None;
    c.rate = Some(200.0);
    let r = go(&c).await.expect("locust run");
    let counted = t.hits.load(Ordering::SeqCst);
    assert_eq!(r.summary.requests, counted, "exact in the open model too");
    // 200/s for 3 s across both workers, give or take the partial edges.
    assert!(
        (450..=750).contains(&counted),
        "about 600 requests expected, server counted {counted}"
    );
    assert_eq!(r.summary.target_rps, 200.0);
    assert!(r.windows.iter().any(|w| w.target_rps > 150.0));
}
