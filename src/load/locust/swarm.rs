//! Starting the swarm: the master and the workers (local processes, or one
//! per host through its command template), each in its own process group,
//! and stopping them all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::binary::LocustBinary;
use super::config::LocustConfig;
use super::process::Proc;
use crate::load::error::LoadError;
use crate::load::plan::LoadPlan;

/// Grace for a process between SIGTERM and SIGKILL.
pub(super) const GRACE: Duration = Duration::from_secs(5);

/// A temporary folder for the locustfile and the report, removed at the end.
pub(super) struct RunDir(pub(super) PathBuf);

impl RunDir {
    pub(super) fn new() -> Result<RunDir, LoadError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("flightdeck-locust-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p)
            .map_err(|e| LoadError::Setup(format!("cannot create {}: {e}", p.display())))?;
        Ok(RunDir(p))
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file whose existence tells the master's shape to drain and end.
pub(super) fn stop_file(report: &Path) -> PathBuf {
    report.with_file_name("stop")
}

fn free_port(bind: &str) -> Result<u16, LoadError> {
    let l = std::net::TcpListener::bind((bind, 0))
        .map_err(|e| LoadError::Setup(format!("no free port on {bind}: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| LoadError::Setup(format!("no free port on {bind}: {e}")))
}

/// The started processes.
pub(super) struct Swarm {
    pub(super) master: Proc,
    pub(super) workers: Vec<Proc>,
}

impl Swarm {
    pub(super) fn start(
        bin: &LocustBinary,
        cfg: &LocustConfig,
        labels: &[String],
        file: &Path,
        report: &Path,
        plan: &LoadPlan,
        secrets: &[String],
    ) -> Result<Swarm, LoadError> {
        let port = free_port(&cfg.master_bind)?;
        let web_port = free_port("127.0.0.1")?;
        let locust = bin.path.display().to_string();
        let file_s = file.display().to_string();
        let stop_timeout = plan.timeout.as_secs_f64().clamp(1.0, 10.0).ceil() as u64;
        let s = |x: &str| x.to_string();
        let master_argv = vec![
            locust.clone(),
            s("-f"),
            file_s.clone(),
            s("--master"),
            s("--headless"),
            s("--expect-workers"),
            labels.len().to_string(),
            s("--master-bind-host"),
            cfg.master_bind.clone(),
            s("--master-bind-port"),
            port.to_string(),
            // The web UI/API is off in headless mode; should it start, it
            // listens on loopback only.
            s("--web-host"),
            s("127.0.0.1"),
            s("--web-port"),
            web_port.to_string(),
            s("--stop-timeout"),
            stop_timeout.to_string(),
            s("--only-summary"),
            s("--exit-code-on-error"),
            s("0"),
        ];
        let env = vec![
            (s("FLIGHTDECK_LOCUST_REPORT"), report.display().to_string()),
            (
                s("FLIGHTDECK_LOCUST_STOP"),
                stop_file(report).display().to_string(),
            ),
        ];
        let master = Proc::spawn("master", &master_argv, &env, secrets.to_vec())?;
        let master_host = if cfg.hosts.is_empty() {
            cfg.master_bind.clone()
        } else {
            cfg.master_host.clone()
        };
        let mut workers = Vec::new();
        for (i, label) in labels.iter().enumerate() {
            let argv: Vec<String> = match cfg.hosts.get(i) {
                Some(h) => h
                    .command
                    .iter()
                    .map(|a| {
                        a.replace("{master_host}", &master_host)
                            .replace("{master_port}", &port.to_string())
                            .replace("{label}", label)
                            .replace("{locust}", &locust)
                            .replace("{locustfile}", &file_s)
                    })
                    .collect(),
                None => vec![
                    locust.clone(),
                    s("-f"),
                    file_s.clone(),
                    s("--worker"),
                    s("--master-host"),
                    master_host.clone(),
                    s("--master-port"),
                    port.to_string(),
                ],
            };
            let env = vec![(s("FLIGHTDECK_LOCUST_WORKER"), label.clone())];
            workers.push(Proc::spawn(label, &argv, &env, secrets.to_vec())?);
        }
        Ok(Swarm { master, workers })
    }

    /// Every process: the master first (it tells its workers to quit), then
    /// the workers, each by its process group.
    pub(super) async fn stop_all(&mut self) {
        self.master.stop(GRACE).await;
        for w in &mut self.workers {
            w.stop(Duration::from_secs(2)).await;
        }
    }

    /// Process ids of everything started (for tests and the log).
    #[allow(dead_code)]
    fn pids(&self) -> Vec<i32> {
        std::iter::once(&self.master)
            .chain(&self.workers)
            .filter_map(Proc::pid)
            .collect()
    }
}
