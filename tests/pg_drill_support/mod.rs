//! Helpers shared by the PostgreSQL drill tests: skip-or-fail when
//! PostgreSQL is absent, drills from TOML text, running one, explaining a
//! result, and checking that nothing was left behind.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use flightdeck::core::disaster::Mark;
use flightdeck::core::state::DrillView;
use flightdeck::record::Recorder;
use tokio_util::sync::CancellationToken;

pub fn pg_available() -> bool {
    match flightdeck::pg::BinDir::find(None) {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PostgreSQL is not installed: {e}"
            );
            eprintln!("SKIPPED: {e}");
            false
        }
    }
}

/// A work directory the server's account can pass through.
pub fn work_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    d
}

pub fn drill(name: &str, objectives: &str, params: &str, work: &Path) -> flightdeck::drill::Drill {
    let after = if params.contains("run_after_backup") {
        ""
    } else {
        "run_after_backup = \"2s\"\n"
    };
    let rows = if params.contains("rows =") {
        ""
    } else {
        "rows = 5000\n"
    };
    let text = format!(
        "[[drill]]\nname = \"{name}\"\nkind = \"pg_backup_restore\"\ntimeout = \"5m\"\nobjectives = [{objectives}]\n[drill.params]\n{rows}{after}work_dir = \"{}\"\n{params}\n",
        work.display()
    );
    let doc: toml::Value = toml::from_str(&text).expect("toml");
    let (mut d, errors) =
        flightdeck::drill::parse_drills(&serde_json::to_value(doc).expect("json"));
    assert!(errors.is_empty(), "{errors:?}");
    let e = flightdeck::drill::kinds::validate(&d[0]);
    assert!(e.is_empty(), "{e:?}");
    d.remove(0)
}

pub async fn run(d: &flightdeck::drill::Drill) -> DrillView {
    let rec = Recorder::new(None);
    flightdeck::drill::run_drill(&rec, "drills", d, None, &CancellationToken::new()).await;
    rec.snapshot().drills.remove(0)
}

pub fn measured(d: &DrillView, name: &str) -> f64 {
    d.measured(name)
        .unwrap_or_else(|| panic!("{name} not measured\n{}", explain(d)))
}

pub fn explain(d: &DrillView) -> String {
    let mut s = format!("{:?} {:?}: {}\n", d.verdict, d.end, d.summary);
    for st in &d.steps {
        s.push_str(&format!(
            "  {} {:?} {} ms {}\n",
            st.name, st.outcome, st.elapsed_ms, st.detail
        ));
    }
    s.push_str(&format!("  {:?}\n  {:?}\n", d.measurements, d.recovery));
    s
}

/// Live processes whose working directory or command line lies under
/// `dir` (the server's children change their titles but keep their cwd,
/// the data directory).
pub fn processes_under(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| flightdeck::pg::tool::alive(*pid))
        .filter(|pid| {
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"))
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            cwd.starts_with(&needle) || cmd.contains(&needle)
        })
        .collect()
}

/// Nothing the drill started is alive, and its workspace is gone.
pub async fn assert_clean(work: &Path) {
    let mut left = Vec::new();
    for _ in 0..100 {
        left = processes_under(work);
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(left.is_empty(), "processes left behind: {left:?}");
    let dirs: Vec<_> = std::fs::read_dir(work)
        .expect("work dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(dirs.is_empty(), "directories left behind: {dirs:?}");
}

pub fn marks(d: &DrillView) -> Vec<Mark> {
    d.marks.iter().map(|m| m.mark).collect()
}

/// A real primary the drill reaches only by URL (as an `external` one):
/// a throwaway cluster with a `shop` role (password `password`) owning a
/// `shop` database of 500 items. The workspace and cluster stop and go
/// when dropped.
pub struct ExternalPrimary {
    pub cluster: flightdeck::pg::Cluster,
    pub shop: tokio_postgres::Client,
    pub url: String,
    _ws: flightdeck::pg::Workspace,
}

impl ExternalPrimary {
    pub async fn start(password: &str) -> ExternalPrimary {
        use flightdeck::pg::{Account, BinDir, Cluster, Workspace, free_port};
        let cancel = CancellationToken::new();
        let ws =
            Workspace::create(BinDir::find(None).unwrap(), Account::detect().unwrap()).unwrap();
        let mut cluster = Cluster::init(&ws, "external", &cancel).await.unwrap();
        cluster
            .start(&ws, free_port().unwrap(), Duration::from_secs(60), &cancel)
            .await
            .unwrap();
        let admin = cluster.connect("postgres").await.unwrap();
        for sql in [
            format!("CREATE ROLE shop LOGIN SUPERUSER PASSWORD '{password}'"),
            "CREATE DATABASE shop OWNER shop".to_string(),
        ] {
            admin.batch_execute(&sql).await.unwrap();
        }
        let shop = cluster.connect("shop").await.unwrap();
        shop.batch_execute(
            "CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 500) i",
        )
        .await
        .unwrap();
        let url = format!(
            "postgres://shop:{password}@127.0.0.1:{}/shop",
            cluster.port()
        );
        ExternalPrimary {
            cluster,
            shop,
            url,
            _ws: ws,
        }
    }
}
