//! End to end with real Locust: `flightdeck run` in a real terminal (tmux,
//! 120x40) with `[load] engine = "locust"`, a master and 2 workers on
//! 127.0.0.1 against a server in this test. The Load pane shows
//! "locust: 2/2 workers" and live windows while the load runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "tmux_support/mod.rs"]
mod tmux_support;
use tmux_support::Tmux;

fn locust() -> Option<PathBuf> {
    match std::env::var_os("FLIGHTDECK_LOCUST").map(PathBuf::from) {
        Some(p) if p.is_file() => Some(p),
        other => {
            let msg = format!(
                "FLIGHTDECK_LOCUST ({other:?}) is not set to a locust program; scripts/test installs it"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg}");
            }
            eprintln!("SKIPPED: {msg}");
            None
        }
    }
}

/// A small HTTP server on 127.0.0.1 in a thread of its own, for as long as
/// the test runs.
fn serve() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new().route(
                "/",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    "ok"
                }),
            );
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    addr
}

fn write_config(dir: &Path, addr: std::net::SocketAddr) -> PathBuf {
    let p = dir.join("flightdeck.toml");
    std::fs::write(
        &p,
        format!(
            r#"[load]
target = "http://{addr}/"
connections = 4
duration_s = 8
thresholds = ["p95 < 500ms"]
engine = "locust"

[load.locust]
workers = 2
join_timeout_s = 30

[[stages]]
id = "load"
kind = "load"

[[stages]]
id = "gate"
kind = "gate"
"#
        ),
    )
    .unwrap();
    p
}

#[test]
fn the_load_pane_shows_two_of_two_locust_workers_and_live_windows() {
    let Some(locust) = locust() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = serve();
    let cfg = write_config(dir.path(), addr);
    let d = dir.path().display();
    let script = format!(
        "FLIGHTDECK_LOCUST={locust} {bin} run -c {cfg} --state-dir {d}/state; echo $? > {d}/exit; sleep 60",
        locust = locust.display(),
        bin = env!("CARGO_BIN_EXE_flightdeck"),
        cfg = cfg.display(),
    );
    let t = Tmux::start("locust", (120, 40), &script);
    let live = t.wait_for("2/2 Locust workers with live windows", 60, |s| {
        s.contains("locust: 2/2 workers") && s.contains("running") && s.contains(" rps")
    });
    assert!(live.contains("local-1"), "{live}");
    assert!(live.contains("local-2"), "{live}");
    assert!(live.contains("p95"), "{live}");
    let done = t.wait_for("the decision", 60, |s| s.contains("GO"));
    assert!(done.contains("Load"), "{done}");
    t.cmd(&["send-keys", "-t", "t", "q"]);
    let start = Instant::now();
    while !dir.path().join("exit").exists() && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let code = std::fs::read_to_string(dir.path().join("exit")).unwrap_or_default();
    assert_eq!(code.trim(), "0", "exit code");
}
