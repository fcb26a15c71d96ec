//! Shared fixtures for the history tests: synthetic finished runs written
//! as real journals, and a throwaway PostgreSQL cluster on 127.0.0.1
//! (initdb in a temp dir, as the `postgres` account when root), stopped by
//! PID when dropped.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use flightdeck::core::event::{EnvRisk, Envelope, Event, Outcome, StageKind, StagePlan};
use flightdeck::core::gate::Decision;
use flightdeck::core::impact::{ChangeSet, ChangedFile, ImpactSelection};
use flightdeck::core::load::{EndpointSummary, Percentiles, Summary};
use flightdeck::core::verdict::{Evidence, Verdict};
use flightdeck::record::journal::{JOURNAL_FILE, Journal};

/// A synthetic run: enough to exercise every table the index fills.
#[derive(Clone, Debug)]
pub struct FakeRun {
    /// Run id (also its directory).
    pub id: String,
    /// Service.
    pub service: String,
    /// Release.
    pub release: String,
    /// Minutes after the fixture epoch it started.
    pub minute: i64,
    /// The gate's decision.
    pub decision: Outcome,
    /// The score.
    pub score: f64,
    /// (stage, label, verdict) of each check; stages are created from them.
    pub checks: Vec<(String, String, Verdict)>,
    /// (endpoint, p95 ms) of a load stage named `load`.
    pub load: Vec<(String, f64)>,
    /// Paths the run's change touched.
    pub paths: Vec<String>,
    /// Text that must never reach the index (a log line with a token).
    pub secret_log: Option<String>,
    /// The sustainable rate a capacity search of `load` found.
    pub capacity: Option<f64>,
}

impl FakeRun {
    /// A GO run with one passing check per stage.
    pub fn new(id: &str, minute: i64) -> FakeRun {
        FakeRun {
            id: id.into(),
            service: "shop-api".into(),
            release: format!("1.{minute}.0"),
            minute,
            decision: Outcome::Go,
            score: 100.0,
            checks: vec![
                ("env".into(), "api health".into(), Verdict::Pass),
                ("load".into(), "threshold p95 < 150ms".into(), Verdict::Pass),
            ],
            load: vec![("checkout".into(), 40.0)],
            paths: Vec::new(),
            secret_log: None,
            capacity: None,
        }
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("valid time")
}

/// Write the run's journal under `state_dir/runs/<id>/`. Returns its path.
pub fn write_run(state_dir: &Path, r: &FakeRun) -> PathBuf {
    let dir = state_dir.join("runs").join(&r.id);
    std::fs::create_dir_all(&dir).expect("run dir");
    let path = dir.join(JOURNAL_FILE);
    let mut j = Journal::create(&path).expect("journal");
    let start = t0() + chrono::Duration::minutes(r.minute);
    let mut stages: Vec<String> = Vec::new();
    for (s, _, _) in &r.checks {
        if !stages.contains(s) {
            stages.push(s.clone());
        }
    }
    let kind = |s: &str| match s {
        "load" => StageKind::Load,
        "scans" => StageKind::Scan,
        "canary" => StageKind::Canary,
        "policy" => StageKind::Policy,
        _ => StageKind::Environment,
    };
    let mut plan: Vec<StagePlan> = stages
        .iter()
        .map(|s| StagePlan {
            id: s.clone(),
            kind: kind(s),
            weight: 1.0,
            hard: true,
        })
        .collect();
    plan.push(StagePlan {
        id: "gate".into(),
        kind: StageKind::Gate,
        weight: 0.0,
        hard: false,
    });
    let mut events = vec![Event::RunStarted {
        run_id: r.id.clone(),
        service: r.service.clone(),
        release: r.release.clone(),
        environment: "preprod".into(),
        risk: EnvRisk::Preprod,
        operator: "sam".into(),
        operator_identity: None,
        read_only: false,
        stages: plan,
        pass_score: 90.0,
        warn_score: 70.0,
    }];
    if !r.paths.is_empty() {
        events.push(Event::ChangeImpact(Box::new(ImpactSelection {
            change: ChangeSet {
                range: "main..HEAD".into(),
                base: "aaaa".into(),
                head: "bbbb".into(),
                files: r
                    .paths
                    .iter()
                    .map(|p| ChangedFile {
                        path: p.clone(),
                        renamed_from: None,
                        added: 10,
                        removed: 2,
                        binary: false,
                    })
                    .collect(),
            },
            full_plan: true,
            reason: "no rule matched the change".into(),
            matched: Vec::new(),
            stages: Vec::new(),
        })));
    }
    if let Some(secret) = &r.secret_log {
        events.push(Event::Log {
            level: flightdeck::core::event::LogLevel::Info,
            stage: None,
            message: secret.clone(),
        });
    }
    for s in &stages {
        events.push(Event::StageStarted { stage: s.clone() });
        if let (true, Some(v)) = (s == "load", r.capacity) {
            events.push(Event::CapacityResult(
                flightdeck::core::capacity::ResultEvent {
                    stage: s.clone(),
                    result: flightdeck::core::capacity::CapacityResult {
                        sustainable_rps: Some(v),
                        required_rps: 100.0,
                        headroom: 1.3,
                        knee_rps: None,
                        headroom_achieved: Some(v / 100.0),
                        bounded_by_max_rate: false,
                        slo: vec!["p99 < 300ms".into()],
                        verdict: Verdict::Pass,
                        reason: "fixture".into(),
                        curve: Vec::new(),
                    },
                },
            ));
        }
        if s == "load" && !r.load.is_empty() {
            events.push(Event::LoadSummary {
                stage: s.clone(),
                summary: Summary {
                    duration_s: 10.0,
                    requests: 1000,
                    errors: 2,
                    requests_per_sec: 100.0,
                    latency: Percentiles {
                        p50_ms: 10.0,
                        p95_ms: r.load.iter().map(|l| l.1).fold(0.0, f64::max),
                        p99_ms: 90.0,
                        ..Percentiles::default()
                    },
                    endpoints: r
                        .load
                        .iter()
                        .map(|(n, p95)| EndpointSummary {
                            name: n.clone(),
                            requests: 500,
                            errors: 1,
                            latency: Percentiles {
                                p50_ms: p95 / 2.0,
                                p95_ms: *p95,
                                p99_ms: p95 * 1.5,
                                ..Percentiles::default()
                            },
                            uncorrected: Percentiles::default(),
                        })
                        .collect(),
                    ..Summary::default()
                },
            });
        }
        let evidence: Vec<Evidence> = r
            .checks
            .iter()
            .filter(|(st, _, _)| st == s)
            .map(|(_, label, v)| Evidence {
                label: label.clone(),
                value: "measured".into(),
                threshold: Some("bound".into()),
                verdict: *v,
            })
            .collect();
        let verdict = evidence
            .iter()
            .map(|e| e.verdict)
            .reduce(Verdict::worst)
            .unwrap_or(Verdict::Pass);
        events.push(Event::StageFinished {
            stage: s.clone(),
            verdict,
            summary: format!("{s} done"),
            evidence,
        });
    }
    events.push(Event::GateDecision(Decision {
        score: r.score,
        band: if r.score >= 90.0 {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        outcome: r.decision,
        lost: Vec::new(),
        rationale: "synthetic".into(),
    }));
    events.push(Event::RunFinished {
        outcome: r.decision,
        reason: None,
    });
    for (i, event) in events.into_iter().enumerate() {
        j.append(&Envelope {
            v: 1,
            seq: i as u64 + 1,
            ts: start + chrono::Duration::seconds(i as i64),
            event,
        })
        .expect("append");
    }
    path
}

/// A throwaway PostgreSQL cluster on 127.0.0.1; stopped by PID on drop.
pub struct PgCluster {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    data: PathBuf,
    /// Its port.
    pub port: u16,
    as_postgres: bool,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn pg_bin() -> PathBuf {
    if let Some(b) = std::env::var_os("FLIGHTDECK_PGBIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(b);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed: set FLIGHTDECK_PGBIN to its bin directory (scripts/test installs it and sets it)"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    /// initdb and start a cluster (a few seconds).
    pub fn start() -> PgCluster {
        let bin = pg_bin();
        let dir = tempfile::tempdir().expect("tempdir");
        let as_postgres = is_root();
        let root = dir.path().join("pg");
        std::fs::create_dir_all(&root).expect("pg dir");
        if as_postgres {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&root)
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown postgres {}", root.display());
        }
        let data = root.join("data");
        let port = free_port();
        let c = PgCluster {
            _dir: dir,
            bin,
            data,
            port,
            as_postgres,
        };
        let initdb = c.bin.join("initdb");
        c.run(&[
            initdb.to_str().expect("path"),
            "-D",
            c.data.to_str().expect("path"),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-locale",
            "-E",
            "UTF8",
        ]);
        let pg_ctl = c.bin.join("pg_ctl");
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off",
            root.display()
        );
        c.run(&[
            pg_ctl.to_str().expect("path"),
            "-D",
            c.data.to_str().expect("path"),
            "-l",
            root.join("log").to_str().expect("path"),
            "-o",
            &opts,
            "-w",
            "-t",
            "30",
            "start",
        ]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while postgres::Client::connect(&c.url("postgres"), postgres::NoTls).is_err() {
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not accept connections"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        c
    }

    fn run(&self, argv: &[&str]) {
        let out = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .args(argv)
                .output()
        } else {
            Command::new(argv[0]).args(&argv[1..]).output()
        }
        .expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{argv:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A URL for database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Create a fresh database; returns its URL.
    pub fn database(&self, name: &str) -> String {
        let mut c = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to postgres");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        self.url(name)
    }

    fn postmaster_pid(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.data.join("postmaster.pid")).ok()?;
        text.lines().next().map(|l| l.trim().to_string())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let pid = self.postmaster_pid();
        let pg_ctl = self.bin.join("pg_ctl");
        let argv = [
            pg_ctl.to_string_lossy().into_owned(),
            "-D".into(),
            self.data.to_string_lossy().into_owned(),
            "-m".into(),
            "immediate".into(),
            "-w".into(),
            "-t".into(),
            "10".into(),
            "stop".into(),
        ];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .args(&argv)
                .output()
        } else {
            Command::new(&argv[0]).args(&argv[1..]).output()
        };
        // Whatever pg_ctl did, the postmaster is gone after this (and only
        // if that PID is still a postgres process: never another's).
        if let Some(pid) = pid {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "postgres" {
                let _ = Command::new("kill").args(["-9", &pid]).output();
            }
        }
    }
}
