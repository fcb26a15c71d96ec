//! `flightdeck drill run`: the real binary over drill files, against a
//! real HTTP server on 127.0.0.1 and real commands: exit codes, JSON, the
//! steady state before and after, objectives, rollbacks, timeouts, and
//! config errors that name the drill, the step and the fix.

use std::process::{Command, Output};

use serde_json::Value;

fn drill(file: &std::path::Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["drill", "run"])
        .arg(file)
        .args(extra)
        .output()
        .expect("run flightdeck drill")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// A small service on 127.0.0.1: `/healthz` 200, `/version` JSON, and
/// `/flaky` 503.
fn server() -> (String, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            use axum::routing::get;
            let app = axum::Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .route(
                    "/version",
                    get(|| async {
                        axum::Json(serde_json::json!({"build": {"version": "2.14.0"}}))
                    }),
                )
                .route(
                    "/flaky",
                    get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy") }),
                );
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(format!("http://{}", l.local_addr().expect("addr")))
                .expect("send");
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(120),
                axum::serve(l, app).into_future(),
            )
            .await;
        });
    });
    (rx.recv().expect("server url"), h)
}

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).expect("write drill file");
    p
}

#[test]
fn a_drill_that_holds_passes_with_its_objectives_and_steps_in_json() {
    let (url, _h) = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("restarted");
    let f = write(
        &dir,
        "ok.toml",
        &format!(
            r#"
[[drill]]
name = "restart-api"
objectives = ["restart_time_s <= 5", "marker_exit == 0"]

[[drill.steady_state]]
name = "healthy"
probe = "http"
url = "{url}/healthz"
tolerance = [200, 204]

[[drill.method]]
name = "restart"
action = "command"
argv = ["touch", "{marker}"]
measure = "restart_time_s"

[[drill.method]]
name = "version"
probe = "http"
url = "{url}/version"
json_path = "build.version"
tolerance = {{ regex = "^2\\.14\\." }}

[[drill.method]]
name = "flaky is a known 503"
probe = "http"
url = "{url}/flaky"
tolerance = [200, 503]

[[drill.method]]
name = "marker"
probe = "command"
argv = ["test", "-f", "{marker}"]
record = "marker_exit"
tolerance = 0
"#,
            marker = marker.display()
        ),
    );
    let o = drill(&f, &["--output", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j = json(&o);
    assert_eq!(j["verdict"], "pass");
    let d = &j["drills"][0];
    assert_eq!(d["name"], "restart-api");
    assert_eq!(d["end"], "completed");
    let steps: Vec<(String, String, String)> = d["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["phase"].as_str().unwrap_or("").to_string(),
                s["name"].as_str().unwrap_or("").to_string(),
                s["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want = [
        ("steady_before", "healthy", "ok"),
        ("method", "restart", "ok"),
        ("method", "version", "ok"),
        ("method", "flaky is a known 503", "ok"),
        ("method", "marker", "ok"),
        ("steady_after", "healthy", "ok"),
    ];
    let got: Vec<(&str, &str, &str)> = steps
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, want);
    assert!(marker.is_file());
    let results = d["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert!(
        results.iter().all(|r| r["verdict"] == "pass"),
        "{results:?}"
    );
    // No rollback on success unless asked.
    assert_eq!(d["rolled_back"], false);
}

#[test]
fn a_target_down_before_the_method_is_inconclusive_and_nothing_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    // Port 9 on loopback: nothing listens.
    let f = write(
        &dir,
        "down.toml",
        &format!(
            r#"
[[drill]]
name = "down"
[[drill.steady_state]]
name = "healthy"
probe = "http"
url = "http://127.0.0.1:9/healthz"
timeout = "2s"
[[drill.method]]
name = "touch"
action = "command"
argv = ["touch", "{}"]
"#,
            marker.display()
        ),
    );
    let o = drill(&f, &["--output", "json"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let d = &json(&o)["drills"][0];
    assert_eq!(d["verdict"], "inconclusive");
    assert_eq!(d["end"], "not_started");
    assert!(
        d["summary"]
            .as_str()
            .unwrap_or("")
            .contains("could not run"),
        "{d}"
    );
    assert!(
        !marker.exists(),
        "the method ran although the steady state could not be checked"
    );
}

#[test]
fn a_missed_objective_fails_and_a_failed_method_runs_the_rollbacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let undone = dir.path().join("undone");
    let f = write(
        &dir,
        "fail.toml",
        &format!(
            r#"
[[drill]]
name = "slow"
objectives = ["sleep_s <= 0.05"]
[[drill.method]]
name = "sleep"
action = "command"
argv = ["sleep", "0.2"]
measure = "sleep_s"

[[drill]]
name = "broken"
[[drill.method]]
name = "false"
action = "command"
argv = ["false"]
[[drill.rollbacks]]
name = "undo"
action = "command"
argv = ["touch", "{}"]
"#,
            undone.display()
        ),
    );
    let o = drill(&f, &["--output", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let j = json(&o);
    let slow = &j["drills"][0];
    assert_eq!(slow["verdict"], "fail");
    assert!(
        slow["summary"]
            .as_str()
            .unwrap_or("")
            .contains("objective missed: sleep_s"),
        "{slow}"
    );
    let broken = &j["drills"][1];
    assert_eq!(broken["verdict"], "fail");
    assert_eq!(broken["end"], "method_failed");
    assert_eq!(broken["rolled_back"], true);
    assert!(undone.is_file(), "the rollback did not run");
    // --only runs one drill.
    let o = drill(&f, &["--only", "broken", "--output", "json"]);
    assert_eq!(json(&o)["drills"].as_array().map(Vec::len), Some(1));
    let o = drill(&f, &["--only", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no drill named `nope`"), "{}", text(&o));
}

#[test]
fn a_hanging_step_is_killed_and_a_hanging_rollback_is_reported_as_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        &dir,
        "hang.toml",
        r#"
[[drill]]
name = "hang"
[[drill.method]]
name = "hangs"
action = "command"
argv = ["sleep", "30"]
timeout = "300ms"
[[drill.rollbacks]]
name = "rollback hangs"
action = "command"
argv = ["sleep", "30"]
timeout = "300ms"
[[drill.rollbacks]]
name = "next rollback still runs"
action = "command"
argv = ["true"]
"#,
    );
    let started = std::time::Instant::now();
    let o = drill(&f, &["--output", "json"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let d = &json(&o)["drills"][0];
    assert_eq!(d["rollback_failed"], true);
    assert!(
        d["summary"]
            .as_str()
            .unwrap_or("")
            .contains("ROLLBACK FAILED"),
        "{d}"
    );
    let outcomes: Vec<&str> = d["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, ["timed_out", "timed_out", "ok"], "{d}");
}

#[test]
fn bad_drill_files_name_the_drill_the_step_and_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(
        &dir,
        "bad.toml",
        r#"
[[drill]]
name = "bad"
objectives = ["switch_time_s 5"]
[[drill.method]]
name = "typo"
action = "comand"
[[drill.method]]
name = "shape"
probe = "http"
url = "http://127.0.0.1:9/"
tolerance = { lo = 200 }
[[drill.method]]
name = "missing"
action = "command"
argv = ["flightdeck-no-such-program"]
[[drill.steady_state]]
name = "not a probe"
action = "wait"
duration = "1s"
"#,
    );
    let o = drill(&f, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    for want in [
        r#"drill "bad".objectives[0]"#,
        r#"drill "bad" method[0] "typo".action: unknown action kind `comand`"#,
        "use one of command, http, flag, wait",
        r#"drill "bad" method[1] "shape".tolerance: wrong shape"#,
        "{ min, max }",
        r#"drill "bad" method[2] "missing".argv: command `flightdeck-no-such-program` not found"#,
        r#"drill "bad" steady_state[0] "not a probe".action"#,
    ] {
        assert!(t.contains(want), "missing {want:?} in:\n{t}");
    }
}
