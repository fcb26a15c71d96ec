//! The failover drill against two demo instances that are real child
//! processes (`flightdeck demo-instance`, each in its own process group)
//! behind the demo's health-checked front door: the primary's group gets a
//! real SIGKILL, the background load's failures are counted, the failover
//! time measured, the survivor's version and data verified, and no process
//! outlives the pair.

use std::path::Path;
use std::time::Duration;

use flightdeck::core::disaster::Mark;
use flightdeck::core::state::DrillView;
use flightdeck::core::verdict::Verdict;
use flightdeck::demo::failover::FailoverDemo;
use flightdeck::record::Recorder;
use tokio_util::sync::CancellationToken;

const EXE: &str = env!("CARGO_BIN_EXE_flightdeck");

const FAILOVER: &str = r#"
[[drill]]
name = "failover"
kind = "failover"
objectives = ["failover_time_s <= 5", "failed_requests <= 20", "rto_s <= 10"]
rollback_on_success = true
timeout = "1m"
[drill.params]
front_url = "{demo.failover}/api/products"
kill = { pid_file = "{demo.failover_primary_pid}" }
restart_url = "{demo.failover}/admin/restart-primary"
expect_version = "2.13.4"
version_url = "{demo.failover}/version"
version_field = "version"
data_url = "{demo.failover}/api/products"
instance_header = "x-instance"
consecutive = 5
load_rate = 40
"#;

async fn run(pair: &FailoverDemo, text: &str) -> DrillView {
    let doc: toml::Value = toml::from_str(&pair.fill(text)).expect("toml");
    let (d, errors) = flightdeck::drill::parse_drills(&serde_json::to_value(doc).expect("json"));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(flightdeck::drill::kinds::validate(&d[0]).is_empty());
    let rec = Recorder::new(None);
    flightdeck::drill::run_drill(&rec, "drills", &d[0], None, &CancellationToken::new()).await;
    rec.snapshot().drills.remove(0)
}

fn explain(d: &DrillView) -> String {
    let mut s = format!("{:?} {:?}: {}\n", d.verdict, d.end, d.summary);
    for st in &d.steps {
        s.push_str(&format!(
            "  {:?} {} {:?} {} ms {}\n",
            st.phase, st.name, st.outcome, st.elapsed_ms, st.detail
        ));
    }
    s.push_str(&format!("  {:?}\n  {:?}\n", d.measurements, d.marks));
    s
}

/// Whether `pid` is gone (or a zombie no one waits for any more).
fn gone(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.is_empty() || stat.contains(") Z ")
}

async fn wait_gone(pids: &[u32]) -> Vec<u32> {
    for _ in 0..100 {
        if pids.iter().all(|p| gone(*p)) {
            return Vec::new();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pids.iter().copied().filter(|p| !gone(*p)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_primary_group_fails_over_to_a_verified_survivor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = FailoverDemo::start(Path::new(EXE), dir.path(), "2.13.4", "2.13.4")
        .await
        .expect("failover pair");
    let primary: u32 = std::fs::read_to_string(&pair.pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    let d = run(&pair, FAILOVER).await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    // The primary really died (SIGKILL of its group).
    assert!(
        wait_gone(&[primary]).await.is_empty(),
        "primary {primary} survived"
    );
    let ft = d.measured("failover_time_s").expect("failover time");
    assert!(ft > 0.0 && ft <= 5.0, "{}", explain(&d));
    // The door fails the request that finds the primary gone (unless its
    // 200 ms health check switched first): the failover began with a failed
    // request or the switch, and the background load counted its failures.
    let failed = d.measured("failed_requests").expect("failed requests");
    let probes = d.measured("failed_probes").expect("failed probes");
    assert!(failed <= 20.0, "{}", explain(&d));
    let began = d
        .marks
        .iter()
        .find(|m| m.mark == Mark::RestoreStarted)
        .expect("restore started");
    if probes >= 1.0 {
        assert!(
            began.detail.contains("first failed request"),
            "{}",
            explain(&d)
        );
    } else {
        assert!(
            began.detail.contains("switched to secondary"),
            "{}",
            explain(&d)
        );
    }
    // Timeline: disaster, failover began, healthy, verified; RTO from it.
    let marks: Vec<Mark> = d.marks.iter().map(|m| m.mark).collect();
    for m in [
        Mark::Disaster,
        Mark::RestoreStarted,
        Mark::ServiceHealthy,
        Mark::DataVerified,
    ] {
        assert!(marks.contains(&m), "{m:?} missing: {}", explain(&d));
    }
    let rto = d.rto_s().expect("rto");
    assert!(rto >= ft, "RTO {rto} shorter than the failover {ft}");
    assert_eq!(d.measured("rto_s"), Some(rto));
    let r = d.recovery.as_ref().expect("evidence");
    assert!(r.integrity[0].ok, "{:?}", r.integrity);
    // rollback_on_success restarted a new primary with a new pid file.
    assert!(d.rolled_back && !d.rollback_failed, "{}", explain(&d));
    let restarted: u32 = std::fs::read_to_string(&pair.pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    assert_ne!(restarted, primary);
    let pids = pair.pids();
    assert!(pids.len() >= 3, "{pids:?}");
    drop(pair);
    let left = wait_gone(&pids).await;
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_survivor_serving_the_wrong_version_fails_the_drill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = FailoverDemo::start(Path::new(EXE), dir.path(), "2.13.4", "2.12.0")
        .await
        .expect("failover pair");
    let d = run(&pair, FAILOVER).await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(
        d.summary
            .contains("the survivor serves version 2.12.0, expected 2.13.4"),
        "{}",
        explain(&d)
    );
    // The service came back (a failover happened) but RTO is not measured:
    // the data was never verified.
    assert!(d.measured("failover_time_s").is_some(), "{}", explain(&d));
    assert_eq!(d.rto_s(), None);
    let pids = pair.pids();
    drop(pair);
    assert!(wait_gone(&pids).await.is_empty());
}

/// Children of `parent` running `demo-instance`.
fn instance_children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // pid (comm) state ppid ...: the fields after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == Some(parent) && String::from_utf8_lossy(&cmdline).contains("demo-instance") {
            out.push(pid);
        }
    }
    out
}

#[tokio::test]
async fn a_demo_killed_outright_leaves_no_instance_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut demo = std::process::Command::new(EXE)
        .args(["demo", "--headless", "--quick", "--state-dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the demo");
    let mut children = Vec::new();
    for _ in 0..300 {
        children = instance_children(demo.id());
        if children.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SIGKILL: no destructor runs; the children see their stdin close.
    let _ = demo.kill();
    let _ = demo.wait();
    assert!(
        children.len() >= 2,
        "the demo started no failover pair: {children:?}"
    );
    let left = wait_gone(&children).await;
    assert!(left.is_empty(), "instances outlived the demo: {left:?}");
}
