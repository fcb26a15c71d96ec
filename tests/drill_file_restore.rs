//! The file-restore drill: a configuration file and a Terraform state are
//! backed up, corrupted, restored and verified by checksum (and the state
//! by serial and lineage); a restore command that brings back the wrong
//! content fails integrity and the drill.

use flightdeck::core::disaster::Mark;
use flightdeck::core::state::DrillView;
use flightdeck::core::verdict::Verdict;
use flightdeck::record::Recorder;
use tokio_util::sync::CancellationToken;

async fn run(dir: &std::path::Path, text: &str) -> DrillView {
    let file = dir.join("drills.toml");
    std::fs::write(&file, text).expect("write drills");
    let d = flightdeck::drill::load_file(&file).expect("valid drill file");
    let rec = Recorder::new(None);
    flightdeck::drill::run_drill(&rec, "drills", &d[0], None, &CancellationToken::new()).await;
    rec.snapshot().drills.remove(0)
}

fn explain(d: &DrillView) -> String {
    let mut s = format!("{:?} {:?}: {}\n", d.verdict, d.end, d.summary);
    for st in &d.steps {
        s.push_str(&format!(
            "  {:?} {} {:?} {}\n",
            st.phase, st.name, st.outcome, st.detail
        ));
    }
    s.push_str(&format!("  {:?}\n", d.measurements));
    s
}

const CONF: &str = "listen = 8080\nupstream = \"10.0.0.7\"\n";

#[tokio::test]
async fn a_file_is_backed_up_corrupted_restored_and_verified_on_a_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.conf"), CONF).unwrap();
    let d = run(
        dir.path(),
        r#"
[[drill]]
name = "conf-restore"
kind = "file_restore"
objectives = ["rto_s <= 10", "integrity_failures <= 0"]
[drill.params]
path = "app.conf"
corrupt = "truncate"
"#,
    )
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    let marks: Vec<Mark> = d.marks.iter().map(|m| m.mark).collect();
    assert_eq!(
        marks,
        [
            Mark::BackupStarted,
            Mark::BackupDone,
            Mark::Disaster,
            Mark::RestoreStarted,
            Mark::RestoreDone,
            Mark::DataVerified,
            Mark::ServiceHealthy
        ]
    );
    assert_eq!(d.measured("backup_bytes"), Some(CONF.len() as f64));
    assert!(d.rto_s().is_some());
    let r = d.recovery.as_ref().expect("evidence");
    assert!(r.integrity[0].ok);
    assert_eq!(r.integrity[0].expected_rows, CONF.len() as i64);
    // The drill worked on a copy: the real file is untouched.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.conf")).unwrap(),
        CONF
    );
}

#[tokio::test]
async fn a_restore_command_that_brings_back_the_wrong_content_fails_integrity() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.conf"), CONF).unwrap();
    std::fs::write(dir.path().join("stale.conf"), "listen = 80\n").unwrap();
    let stale = dir.path().join("stale.conf");
    let d = run(
        dir.path(),
        &format!(
            r#"
[[drill]]
name = "conf-restore"
kind = "file_restore"
objectives = ["rto_s <= 10"]
[drill.params]
path = "app.conf"
restore_command = ["cp", "{stale}", "{{path}}"]
"#,
            stale = stale.display()
        ),
    )
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(d.summary.contains("checksum differs"), "{}", explain(&d));
    let r = d.recovery.as_ref().expect("evidence");
    assert!(!r.integrity[0].ok);
    assert_eq!(r.integrity[0].restored_rows, 12);
    assert_eq!(d.measured("integrity_failures"), Some(1.0));
    // Never verified: RTO not measured.
    assert_eq!(d.rto_s(), None);
    assert!(!d.marks.iter().any(|m| m.mark == Mark::DataVerified));
}

const STATE: &str = r#"{
  "version": 4,
  "terraform_version": "1.0.3",
  "serial": 12,
  "lineage": "9d1c4e0a-5b7f-4a39-8e0c-1f2d3c4b5a69",
  "outputs": { "endpoint": { "value": "http://127.0.0.1:8080", "type": "string" } },
  "resources": []
}
"#;

#[tokio::test]
async fn a_terraform_state_is_restored_in_place_with_commands_and_verified_by_serial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("terraform.tfstate");
    std::fs::write(&state, STATE).unwrap();
    let vault = dir.path().join("vault.tfstate");
    let d = run(
        dir.path(),
        &format!(
            r#"
[[drill]]
name = "tfstate-restore"
kind = "file_restore"
objectives = ["rto_s <= 10", "backup_bytes >= 1"]
[drill.params]
path = "terraform.tfstate"
in_place = true
backup_command = ["cp", "{{path}}", "{vault}"]
restore_command = ["cp", "{vault}", "{{path}}"]
corrupt = "overwrite"
health_command = ["test", "-s", "{{path}}"]
"#,
            vault = vault.display()
        ),
    )
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    let r = d.recovery.as_ref().expect("evidence");
    assert!(
        r.integrity[0].note.contains("serial 12"),
        "{:?}",
        r.integrity
    );
    assert_eq!(std::fs::read_to_string(&state).unwrap(), STATE);
    let verify = d
        .steps
        .iter()
        .find(|s| s.name == "verify terraform.tfstate");
    assert!(
        verify.is_some_and(|s| s.detail.contains("lineage 9d1c4e0a")),
        "{}",
        explain(&d)
    );
}

#[tokio::test]
async fn a_failed_in_place_restore_puts_the_backup_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("terraform.tfstate");
    std::fs::write(&state, STATE).unwrap();
    let d = run(
        dir.path(),
        r#"
[[drill]]
name = "tfstate-restore"
kind = "file_restore"
[drill.params]
path = "terraform.tfstate"
in_place = true
restore_command = ["false"]
"#,
    )
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(
        d.summary.contains("restore terraform.tfstate"),
        "{}",
        explain(&d)
    );
    assert_eq!(std::fs::read_to_string(&state).unwrap(), STATE);
}

#[test]
fn the_shipped_state_restore_example_runs_as_it_stands() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let state = root.join("config/drills/state/terraform.tfstate");
    let before = std::fs::read(&state).expect("shipped state");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "drill",
            "run",
            "config/drills/state-restore.toml",
            "--output",
            "json",
        ])
        .current_dir(root)
        .output()
        .expect("run flightdeck");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let dr = doc["disaster_recovery"]
        .as_array()
        .expect("disaster_recovery");
    assert_eq!(dr.len(), 2, "{stdout}");
    assert_eq!(dr[1]["drill"], "tfstate-restore-commands");
    assert!(dr[1]["rto_s"].as_f64().is_some(), "{stdout}");
    assert_eq!(dr[1]["integrity"][0]["ok"], true);
    assert_eq!(dr[1]["objectives"][0]["verdict"], "pass");
    // The drill worked on copies: the shipped state is untouched.
    assert_eq!(std::fs::read(&state).expect("shipped state"), before);
}
