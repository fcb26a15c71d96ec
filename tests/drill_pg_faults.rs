//! The PostgreSQL backup and restore drill's fault paths and plug-in
//! path, on real PostgreSQL 15 clusters (127.0.0.1, as `postgres` when
//! root): a disk that fills during the backup, the `custom` method with
//! the operator's own argv (and one that restores the wrong thing), a
//! configured port already taken, and an external primary backed up with
//! `pg_basebackup` over a replication connection. Each failure names its
//! step, and nothing is left behind.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use flightdeck::core::disaster::Mark;
use flightdeck::core::verdict::Verdict;

mod pg_drill_support;
use pg_drill_support::*;

/// Whether this process runs as root (`/proc/self` belongs to the
/// effective user).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A small tmpfs, unmounted on every path (also when an assertion fails).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` when this root may not mount (a container without
    /// CAP_SYS_ADMIN): the caller says so and skips.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size},mode=0777"))
            .arg("tmpfs")
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// A script the server's account can run (in its own 0755 directory).
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\nset -eu\n{body}\n")).expect("write script");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

#[tokio::test]
async fn a_disk_full_during_the_backup_fails_naming_the_backup_step_and_leaves_nothing() {
    if !pg_available() {
        return;
    }
    if !is_root() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "mounting a small tmpfs needs root"
        );
        eprintln!("SKIPPED: mounting a small tmpfs for the full disk needs root");
        return;
    }
    let work = work_dir();
    // 8 MB: a base backup (about 40 MB with its WAL) cannot fit.
    let Some(disk) = Tmpfs::mount("8m") else {
        eprintln!(
            "SKIPPED: root here may not mount a tmpfs (a container without CAP_SYS_ADMIN); the full-disk path is not exercised"
        );
        return;
    };
    let d = run(&drill(
        "pg-restore-diskfull",
        "\"rto_s <= 120\"",
        &format!(
            "method = \"basebackup\"\nbackup_dir = \"{}\"",
            disk.path().display()
        ),
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(
        d.summary
            .contains("step backup FAIL: backup (pg_basebackup"),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains("No space left on device"),
        "{}",
        d.summary
    );
    // The primary was never struck: the backup failed first.
    assert!(!marks(&d).contains(&Mark::Disaster), "{}", explain(&d));
    assert_clean(work.path()).await;
    assert_clean(disk.path()).await;
}

#[tokio::test]
async fn a_custom_method_fills_its_placeholders_restores_and_verifies() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let scripts = work_dir();
    let backup = script(
        scripts.path(),
        "backup.sh",
        "bin=$1 host=$2 port=$3 user=$4 db=$5 out=$6\n\
         # The password, if any, comes in PGPASSWORD; the placeholders must be filled.\n\
         case \"$bin$host$port$user$db$out\" in *'{'*) echo \"unfilled: $*\" >&2; exit 3;; esac\n\
         \"$bin/pg_basebackup\" -h \"$host\" -p \"$port\" -U \"$user\" -D \"$out/base\" -X stream -c fast --no-sync\n\
         echo \"$db\" > \"$out/dbname\"",
    );
    let restore = script(
        scripts.path(),
        "restore.sh",
        "from=$1 data=$2\n\
         test \"$(cat \"$from/dbname\")\" = flightdeck_dr\n\
         cp -a \"$from/base\" \"$data\"",
    );
    let d = run(&drill(
        "pg-restore-custom",
        "\"rto_s <= 120\", \"lost_writes <= 1000\"",
        &format!(
            "method = \"custom\"\ndisaster = \"both\"\nbackup_command = [\"{}\", \"{{bin_dir}}\", \"{{host}}\", \"{{port}}\", \"{{user}}\", \"{{dbname}}\", \"{{backup_dir}}\"]\nrestore_command = [\"{}\", \"{{backup_dir}}\", \"{{data_dir}}\"]",
            backup.display(),
            restore.display()
        ),
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    // A base backup's RPO: the heartbeat after it is lost, not more.
    let lost = measured(&d, "lost_writes");
    assert!(lost > 0.0, "{}", explain(&d));
    assert!(lost < measured(&d, "heartbeat_acked"), "{}", explain(&d));
    assert!(measured(&d, "backup_bytes") > 1_000_000.0);
    let rec = d.recovery.as_ref().expect("recovery evidence");
    assert!(
        rec.integrity.len() >= 3 && rec.integrity.iter().all(|t| t.ok),
        "{:?}",
        rec.integrity
    );
    assert!(marks(&d).contains(&Mark::DataVerified));
    assert!(d.rto_s().is_some_and(|r| r > 0.0));
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn a_custom_restore_of_the_wrong_data_fails_integrity() {
    if !pg_available() {
        return;
    }
    let work = work_dir();
    let scripts = work_dir();
    let backup = script(scripts.path(), "backup.sh", "touch \"$1/nothing\"");
    // Restores a fresh, empty cluster holding the database by name but
    // none of its data: it starts and answers, and must still fail.
    let restore = script(
        scripts.path(),
        "restore.sh",
        "bin=$1 data=$2\n\
         \"$bin/initdb\" -D \"$data\" -U postgres -A trust >/dev/null\n\
         trap '\"$bin/pg_ctl\" -D \"$data\" -m immediate -w stop >/dev/null 2>&1 || true' EXIT\n\
         \"$bin/pg_ctl\" -D \"$data\" -o \"-c listen_addresses='' -k $data\" -w start >/dev/null\n\
         \"$bin/psql\" -h \"$data\" -U postgres -d postgres -qc 'CREATE DATABASE flightdeck_dr'",
    );
    let d = run(&drill(
        "pg-restore-wrong",
        "\"rto_s <= 120\"",
        &format!(
            "method = \"custom\"\nrun_after_backup = \"1s\"\nbackup_command = [\"{}\", \"{{backup_dir}}\"]\nrestore_command = [\"{}\", \"{{bin_dir}}\", \"{{data_dir}}\"]",
            backup.display(),
            restore.display()
        ),
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(d.summary.contains("wrong data"), "{}", d.summary);
    let rec = d.recovery.as_ref().expect("recovery evidence");
    let bad: Vec<&str> = rec
        .integrity
        .iter()
        .filter(|t| !t.ok)
        .map(|t| t.table.as_str())
        .collect();
    assert!(bad.contains(&"public.flightdeck_accounts"), "{bad:?}");
    assert!(bad.contains(&"public.flightdeck_orders"), "{bad:?}");
    assert!(!marks(&d).contains(&Mark::DataVerified));
    assert_eq!(d.rto_s(), None);
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn a_configured_port_already_taken_fails_naming_the_step_and_the_port() {
    if !pg_available() {
        return;
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-port",
        "",
        &format!("method = \"dump\"\nport = {port}"),
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Fail), "{}", explain(&d));
    assert!(
        d.summary.contains("step create and fill the primary FAIL"),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains(&format!("port {port} is in use")),
        "{}",
        d.summary
    );
    assert!(!marks(&d).contains(&Mark::BackupStarted));
    drop(taken);
    assert_clean(work.path()).await;
}

#[tokio::test]
async fn an_external_primary_is_base_backed_up_and_restored_without_harm() {
    if !pg_available() {
        return;
    }
    let primary = ExternalPrimary::start("planted-pw-5d20").await;
    // SAFETY of the test: a unique variable name, read by this test only.
    unsafe { std::env::set_var("FD_TEST_PG_PRIMARY_BASE_URL", &primary.url) };
    let work = work_dir();
    let d = run(&drill(
        "pg-restore-external-base",
        "\"lost_writes <= 1000\"",
        "cluster = \"external\"\nurl = { env = \"FD_TEST_PG_PRIMARY_BASE_URL\" }\nmethod = \"basebackup\"\nrun_after_backup = \"1s\"",
        work.path(),
    ))
    .await;
    assert_eq!(d.verdict, Some(Verdict::Pass), "{}", explain(&d));
    assert!(
        d.steps.iter().any(|s| s.name == "verify the backup"
            && s.detail.contains("pg_verifybackup")
            && s.outcome == Some(flightdeck::core::drill::StepOutcome::Ok)),
        "{}",
        explain(&d)
    );
    let items = d
        .recovery
        .as_ref()
        .expect("recovery evidence")
        .integrity
        .iter()
        .find(|t| t.table == "public.items")
        .cloned()
        .expect("items checked");
    assert!(items.ok && items.restored_rows == 500, "{items:?}");
    assert!(measured(&d, "lost_writes") > 0.0, "{}", explain(&d));
    // The primary still runs, unharmed, without the heartbeat table.
    let n: i64 = primary
        .shop
        .query_one("SELECT count(*) FROM items", &[])
        .await
        .expect("the primary still answers")
        .get(0);
    assert_eq!(n, 500);
    let hb: Option<String> = primary
        .shop
        .query_one("SELECT to_regclass('flightdeck_heartbeat')::text", &[])
        .await
        .expect("read")
        .get(0);
    assert_eq!(hb, None);
    let json = serde_json::to_string(&d).expect("json");
    assert!(!json.contains("planted-pw-5d20"), "the password leaked");
    assert_clean(work.path()).await;
}
