//! The live alerting drill through the binary: a real Prometheus and a real
//! Alertmanager (Debian's `prometheus`, `prometheus-alertmanager`) on
//! 127.0.0.1, Flightdeck's webhook receiver, and the embedded demo's canary
//! told to error through its /admin/fault endpoint. An alert fires and
//! resolves with its times measured; a misrouted alert fails; an alert that
//! never fires fails its objective. Every server is gone afterwards.
//!
//! The binaries come from FLIGHTDECK_PROMETHEUS / FLIGHTDECK_ALERTMANAGER /
//! FLIGHTDECK_PROMTOOL / FLIGHTDECK_AMTOOL (exported by `scripts/test`) or
//! the PATH. Without them these tests fail when CI=true and are skipped with
//! a printed reason otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have_servers() -> bool {
    let tools = [
        ("FLIGHTDECK_PROMETHEUS", &["prometheus"][..]),
        (
            "FLIGHTDECK_ALERTMANAGER",
            &["prometheus-alertmanager", "alertmanager"][..],
        ),
        ("FLIGHTDECK_PROMTOOL", &["promtool"][..]),
        ("FLIGHTDECK_AMTOOL", &["amtool"][..]),
    ];
    let missing: Vec<&str> = tools
        .into_iter()
        .filter(|(var, names)| {
            let from_env = std::env::var_os(var).is_some_and(|v| Path::new(&v).is_file());
            let on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .any(|d| names.iter().any(|n| d.join(n).is_file()));
            !from_env && !on_path
        })
        .map(|(_, n)| n[0])
        .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{} missing: run scripts/test (installs the Debian packages prometheus and \
         prometheus-alertmanager) or set the FLIGHTDECK_* variables",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    false
}

/// Run the drill with its own TMPDIR, so that what it leaves there is its own.
fn drill(tmp: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "drill",
        "alerts",
        "--alertmanager-config",
        "config/drills/alertmanager.yml",
        "--live",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(&args)
        .current_dir(repo())
        .env("TMPDIR", tmp)
        .output()
        .expect("run flightdeck");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (o.status.code().unwrap_or(-1), v, format!("{out}\n{err}"))
}

fn measurement(v: &Value, name: &str) -> Option<f64> {
    v["measurements"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == name)?["value"]
        .as_f64()
}

fn step<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no step {name}: {v}"))
}

/// The drill removed its temp dir (servers, configs, data) from `tmp`.
fn assert_nothing_left(tmp: &Path) {
    let left: Vec<String> = std::fs::read_dir(tmp)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

#[test]
fn an_alert_fires_is_delivered_and_resolves_with_its_times() {
    if !have_servers() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, v, all) = drill(
        tmp.path(),
        &[
            "--rules",
            "config/drills/alert-rules.yml",
            "--alert",
            "CanaryHighErrorRate",
            "--expect-receiver",
            "oncall-pager",
        ],
    );
    assert_eq!(code, 0, "{all}");
    assert_eq!(v["verdict"], "pass", "{all}");
    assert_eq!(v["kind"], "alerts_live");
    for m in [
        "time_to_fire_s",
        "time_to_notify_s",
        "time_to_resolve_s",
        "time_to_resolve_notify_s",
    ] {
        let value = measurement(&v, m).unwrap_or_else(|| panic!("{m} not measured: {all}"));
        assert!(value > 0.0, "{m} = {value}");
        eprintln!("figure: {m} = {value:.2} s");
    }
    // Delivery comes after firing at Prometheus, which comes after the fault.
    assert!(measurement(&v, "time_to_notify_s") >= measurement(&v, "time_to_fire_s"));
    assert_eq!(step(&v, "clear fault")["outcome"], "pass");
    assert_eq!(
        step(&v, "stop prometheus and alertmanager")["outcome"],
        "pass"
    );
    assert_nothing_left(tmp.path());
}

#[test]
fn a_misrouted_alert_fails_and_names_the_receiver() {
    if !have_servers() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, v, all) = drill(
        tmp.path(),
        &[
            "--rules",
            "config/drills/alert-rules.yml",
            "--alert",
            "CanaryHighErrorRate",
            "--expect-receiver",
            "team-tickets",
        ],
    );
    assert_eq!(code, 1, "{all}");
    assert_eq!(v["verdict"], "fail");
    let s = step(&v, "webhook delivers it");
    assert_eq!(s["outcome"], "fail", "{all}");
    assert!(
        s["reason"]
            .as_str()
            .unwrap_or("")
            .contains("routed to receiver oncall-pager, expected team-tickets"),
        "{all}"
    );
    let f = &v["findings"][0];
    assert_eq!(f["expected"], "team-tickets");
    assert_eq!(f["got"], "oncall-pager");
    // The fault was still cleared, and the servers stopped.
    assert_eq!(step(&v, "clear fault")["outcome"], "pass");
    assert_nothing_left(tmp.path());
}

#[test]
fn an_alert_that_never_fires_fails_its_objective() {
    if !have_servers() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.yml");
    // Watches a metric the target does not have: it can never fire.
    std::fs::write(
        &rules,
        "groups:\n  - name: blind\n    rules:\n      - alert: WatchesTheWrongMetric\n        \
         expr: sum(rate(checkout_errors_total[5s])) > 0\n        labels:\n          severity: page\n",
    )
    .expect("write rules");
    let (code, v, all) = drill(
        dir.path(),
        &[
            "--rules",
            rules.to_str().expect("utf-8"),
            "--alert",
            "WatchesTheWrongMetric",
            "--fire-within",
            "8s",
        ],
    );
    assert_eq!(code, 1, "{all}");
    let s = step(&v, "WatchesTheWrongMetric fires at Prometheus");
    assert_eq!(s["outcome"], "fail", "{all}");
    assert!(
        s["reason"]
            .as_str()
            .unwrap_or("")
            .contains("did not fire within 8s"),
        "{all}"
    );
    assert_eq!(measurement(&v, "time_to_fire_s"), None);
    assert_eq!(step(&v, "clear fault")["outcome"], "pass");
}

#[test]
fn live_input_errors_are_usage_errors() {
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "drill",
            "alerts",
            "--rules",
            "config/drills/alert-rules.yml",
            "--alertmanager-config",
            "config/drills/alertmanager.yml",
            "--live",
            "--alert",
            "NoSuchAlert",
        ])
        .current_dir(repo())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--alert NoSuchAlert: no such alert"), "{err}");
    assert!(err.contains("CanaryHighErrorRate"), "{err}");
    let o = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "drill",
            "alerts",
            "--rules",
            "config/drills/alert-rules.yml",
            "--alertmanager-config",
            "config/drills/alertmanager.yml",
            "--live",
            "--alert",
            "CanaryHighErrorRate",
            "--target",
            "http://metrics.example:9100/metrics",
            "--fault-url",
            "http://target.example:8080/admin/fault",
        ])
        .current_dir(repo())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("127.0.0.1"), "{err}");
}

#[test]
fn an_interrupted_live_drill_stops_its_servers_and_is_inconclusive() {
    if !have_servers() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let child = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "drill",
            "alerts",
            "--rules",
            "config/drills/alert-rules.yml",
            "--alertmanager-config",
            "config/drills/alertmanager.yml",
            "--live",
            "--alert",
            "CanaryHighErrorRate",
            "--output",
            "json",
        ])
        .current_dir(repo())
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait (bounded) until Prometheus has been started.
    let started = (0..600).any(|_| {
        let found = std::fs::read_dir(tmp.path())
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .any(|e| e.path().join("prometheus.log").is_file())
            })
            .unwrap_or(false);
        if !found {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        found
    });
    assert!(started, "Prometheus never started");
    let pids: Vec<String> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    std::fs::read_to_string(e.path().join("cmdline"))
                        .is_ok_and(|c| c.contains(&*tmp.path().to_string_lossy()))
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let o = child.wait_with_output().expect("wait");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert!(
        step(&v, "aborted")["reason"]
            .as_str()
            .unwrap_or("")
            .contains("SIGINT"),
        "{out}"
    );
    assert_nothing_left(tmp.path());
    // The servers it had started are gone (or zombies awaiting init).
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(
            stat.is_empty() || stat.split_whitespace().nth(2) == Some("Z"),
            "process {pid} still runs: {stat}"
        );
    }
}
