//! The Prometheus and Alertmanager a live alerting drill starts: in a temp
//! dir of their own (removed when dropped), on 127.0.0.1 free ports, with
//! short intervals, logs kept in the temp dir, and stopped by PID (SIGTERM,
//! then SIGKILL to the process group) on every path.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use super::tools::Tool;

/// A temp dir removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `$TMPDIR/flightdeck-alerts-<uuid>`.
    pub fn new() -> anyhow::Result<TempDir> {
        let p = std::env::temp_dir().join(format!("flightdeck-alerts-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&p).with_context(|| format!("cannot create {}", p.display()))?;
        Ok(TempDir(p))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free port on 127.0.0.1 (bound, then released for the server).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("no free port on 127.0.0.1")?;
    Ok(l.local_addr().context("local address")?.port())
}

/// A server process we started.
pub struct Server {
    /// `prometheus` or `alertmanager`.
    pub name: &'static str,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    /// The last lines of its log, for an error message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }

    /// SIGTERM, up to 5 s to exit, then SIGKILL to its group.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
            if tokio::time::timeout(Duration::from_secs(5), child.wait())
                .await
                .is_err()
            {
                crate::drill::runbook::exec::kill_group(pid as u32);
                let _ = child.wait().await;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            if let Some(pid) = child.id() {
                crate::drill::runbook::exec::kill_group(pid);
            }
            let _ = child.start_kill();
        }
    }
}

fn spawn(
    tool: Tool,
    name: &'static str,
    args: Vec<String>,
    dir: &Path,
    port: u16,
) -> anyhow::Result<Server> {
    let bin = tool.find().map_err(anyhow::Error::msg)?;
    let log = dir.join(format!("{name}.log"));
    let out =
        std::fs::File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    let err = out.try_clone().context("log file")?;
    let child = Command::new(&bin)
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    Ok(Server {
        name,
        url: format!("http://127.0.0.1:{port}"),
        child: Some(child),
        log,
    })
}

/// Start Alertmanager with `config` (already rewritten to our receiver).
pub fn start_alertmanager(dir: &Path, config: &str) -> anyhow::Result<Server> {
    let port = free_port()?;
    let cfg = dir.join("alertmanager.yml");
    std::fs::write(&cfg, config).context("cannot write alertmanager.yml")?;
    let args = vec![
        format!("--config.file={}", cfg.display()),
        format!("--storage.path={}", dir.join("am-data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        // No gossip port: a drill's Alertmanager is alone.
        "--cluster.listen-address=".into(),
    ];
    spawn(Tool::Alertmanager, "alertmanager", args, dir, port)
}

/// Start Prometheus scraping `target` (host:port) at `metrics_path` every
/// second, evaluating `rules` every second, alerting to `alertmanager`.
pub fn start_prometheus(
    dir: &Path,
    rules: &[PathBuf],
    target: &str,
    metrics_path: &str,
    alertmanager: &str,
) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut rule_list = String::new();
    for r in rules {
        let abs =
            std::fs::canonicalize(r).with_context(|| format!("{}: cannot read", r.display()))?;
        rule_list.push_str(&format!("  - '{}'\n", abs.display()));
    }
    let am = alertmanager.trim_start_matches("http://");
    let yml = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n{rule_list}\
         alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n\
         scrape_configs:\n  - job_name: flightdeck-drill\n    metrics_path: '{metrics_path}'\n    \
         static_configs:\n      - targets: ['{target}']\n"
    );
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, yml).context("cannot write prometheus.yml")?;
    let args = vec![
        format!("--config.file={}", cfg.display()),
        format!("--storage.tsdb.path={}", dir.join("prom-data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    spawn(Tool::Prometheus, "prometheus", args, dir, port)
}

/// Wait until `GET url/-/ready` answers 200, at most `within`.
pub async fn wait_ready(
    client: &reqwest::Client,
    s: &mut Server,
    within: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    let url = format!("{}/-/ready", s.url);
    while tokio::time::Instant::now() < deadline {
        if let Some(child) = &mut s.child
            && let Ok(Some(status)) = child.try_wait()
        {
            bail!("{} exited ({status}) at start: {}", s.name, s.log_tail());
        }
        if client
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!(
        "{} not ready within {}s: {}",
        s.name,
        within.as_secs(),
        s.log_tail()
    )
}
