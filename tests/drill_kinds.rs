//! The drill kinds against the embedded demo's real targets on 127.0.0.1:
//! deployment and rollback over the rolling fleet, blue-green over the
//! front door (and the flaky switch caught), and the flag kill switch over
//! the demo app and its flag file. Each runs the load engine's constant
//! background load through its sequence.

use flightdeck::core::state::DrillView;
use flightdeck::core::verdict::Verdict;
use flightdeck::demo::{DemoTargets, Scenario};
use flightdeck::record::Recorder;
use tokio_util::sync::CancellationToken;

fn drills(toml_text: &str) -> Vec<flightdeck::drill::Drill> {
    let doc: toml::Value = toml::from_str(toml_text).expect("toml");
    let (d, errors) = flightdeck::drill::parse_drills(&serde_json::to_value(doc).expect("json"));
    assert!(errors.is_empty(), "{errors:?}");
    for x in &d {
        let e = flightdeck::drill::kinds::validate(x);
        assert!(e.is_empty(), "{e:?}");
    }
    d
}

async fn run(t: &DemoTargets, text: &str) -> DrillView {
    let d = drills(&t.fill(text));
    let rec = Recorder::new(None);
    flightdeck::drill::run_drill(&rec, "drills", &d[0], None, &CancellationToken::new()).await;
    rec.snapshot().drills.remove(0)
}

fn measured(d: &DrillView, name: &str) -> f64 {
    d.measured(name)
        .unwrap_or_else(|| panic!("{name} not measured: {:?}", d.measurements))
}

fn explain(d: &DrillView) -> String {
    let mut s = format!("{:?} {:?}: {}\n", d.verdict, d.end, d.summary);
    for st in &d.steps {
        s.push_str(&format!(
            "  {:?} {} {:?} {} ms {}\n",
            st.phase, st.name, st.outcome, st.elapsed_ms, st.detail
        ));
    }
    s.push_str(&format!("  {:?}\n", d.measurements));
    s
}

const DEPLOY: &str = r#"
[[drill]]
name = "deploy-rollback"
kind = "deployment_rollback"
objectives = ["deploy_time_s <= 10", "rollback_time_s <= 10", "failed_requests <= 0"]
[drill.params]
deploy_url = "{demo.deploy}/admin/deploy"
probe_urls = ["{demo.deploy}/version"]
from_version = "2.13.4"
to_version = "2.14.0-rc3"
load_url = "{demo.deploy}/api/products"
load_rate = 20
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_and_rollback_measures_both_and_the_window_where_both_answered() {
    let t = DemoTargets::start(Scenario::Healthy, None)
        .await
        .expect("demo");
    let d = run(&t, DEPLOY).await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    // The fleet rolls one instance every 300 ms: the deploy takes at least
    // the three steps, and both versions answered in between.
    assert!(measured(&d, "deploy_time_s") >= 0.6, "{}", explain(&d));
    assert!(measured(&d, "rollback_time_s") >= 0.6, "{}", explain(&d));
    assert!(measured(&d, "mixed_window_s") > 0.0, "{}", explain(&d));
    assert_eq!(measured(&d, "failed_requests"), 0.0);
    assert!(measured(&d, "background_requests") > 0.0, "{}", explain(&d));
    let names: Vec<&str> = d.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"deploy 2.14.0-rc3") && names.contains(&"roll back to 2.13.4"),
        "{names:?}"
    );
    // The fleet is back on N.
    let v: serde_json::Value = reqwest::get(format!("http://{}/admin/state", t.rollout.deploy))
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(
        v["instances"],
        serde_json::json!(["2.13.4", "2.13.4", "2.13.4"])
    );
}

const BLUE_GREEN: &str = r#"
[[drill]]
name = "blue-green"
kind = "blue_green"
objectives = ["failed_requests <= 0", "switch_time_s <= 5"]
[drill.params]
switch_url = "{demo.bluegreen}/admin/switch"
active_url = "{demo.bluegreen}/api/products"
preview_url = "{demo.bluegreen}/preview/api/products"
hold = "1s"
load_rate = 40
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_switches_without_dropping_requests() {
    let t = DemoTargets::start(Scenario::Healthy, None)
        .await
        .expect("demo");
    let d = run(&t, BLUE_GREEN).await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    assert_eq!(measured(&d, "failed_requests"), 0.0);
    assert!(measured(&d, "switch_time_s") < 5.0);
    assert!(d.measured("p99_blip_ms").is_some(), "{}", explain(&d));
    assert!(
        d.steps
            .iter()
            .any(|s| s.name == "pre-promotion: green answers" && s.outcome.is_some())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_switch_is_caught_by_the_failed_requests_objective() {
    let t = DemoTargets::start(Scenario::FlakySwitch, None)
        .await
        .expect("demo");
    let d = run(&t, BLUE_GREEN).await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(measured(&d, "failed_requests") > 0.0, "{}", explain(&d));
    assert!(
        d.summary.contains("objective missed: failed_requests"),
        "{}",
        explain(&d)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_is_timed_at_the_target_not_at_the_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assets = flightdeck::demo::assets::materialise(dir.path()).expect("assets");
    let flags = assets.join("flags.json");
    let t = DemoTargets::start(Scenario::Healthy, Some(flags.clone()))
        .await
        .expect("demo");
    let text = format!(
        r#"
[[drill]]
name = "kill-switch"
kind = "kill_switch"
objectives = ["kill_time_s <= 2"]
[drill.params]
flag = "checkout-v2"
flags_file = "{}"
probe_url = "{{demo.app}}/api/products"
"#,
        flags.display()
    );
    let d = run(&t, &text).await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    assert!(measured(&d, "kill_time_s") >= 0.0);
    assert!(d.measured("kill_ack_s").is_some());
    assert!(d.measured("on_time_s").is_some());
    // The flag is off again: the app serves only the baseline.
    let r = reqwest::Client::new()
        .get(format!("http://{}/api/products", t.app))
        .header("x-user-id", "someone")
        .send()
        .await
        .expect("get");
    assert_eq!(r.headers()["x-variant"], "baseline");
}
