//! A real Prometheus for tests: found via FLIGHTDECK_PROMETHEUS or
//! `prometheus` on PATH (`.ci/run` installs the Debian package), started on a
//! free loopback port with a 1 s scrape interval, killed by its PID on drop.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn prometheus_bin() -> PathBuf {
    if let Ok(p) = std::env::var("FLIGHTDECK_PROMETHEUS")
        && !p.is_empty()
    {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no Prometheus: set FLIGHTDECK_PROMETHEUS or put `prometheus` on PATH; \
                 run `.ci/run` (it installs the Debian prometheus package)"
            )
        })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A Prometheus we started; killed by its PID when dropped.
pub struct Prom {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:9090`.
    pub url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prom {
    /// One scrape job, `demo`, over `targets` (host:port).
    pub fn start(targets: &[String]) -> Prom {
        Prom::start_jobs(&[("demo", targets.to_vec())])
    }

    /// One scrape job per (name, targets), every second; series carry
    /// `job="name"`, so several demos can share one Prometheus.
    pub fn start_jobs(jobs: &[(&str, Vec<String>)]) -> Prom {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("prometheus.yml");
        let mut yml = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n".to_string();
        for (name, targets) in jobs {
            let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
            yml.push_str(&format!(
                "  - job_name: {name}\n    static_configs:\n      - targets: [{}]\n",
                list.join(", ")
            ));
        }
        std::fs::write(&cfg, yml).expect("write config");
        let port = free_port();
        let log = dir.path().join("prometheus.log");
        let out = std::fs::File::create(&log).expect("log");
        let child = Command::new(prometheus_bin())
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("start prometheus");
        Prom {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    /// The last 20 lines of Prometheus's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Wait (bounded) until `up` has a value 1 for `n` targets.
    pub async fn wait_up(&self, http: &reqwest::Client, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let r = http
                .get(format!("{}/api/v1/query", self.url))
                .query(&[("query", "up")])
                .send()
                .await;
            if let Ok(r) = r
                && let Ok(v) = r.json::<serde_json::Value>().await
            {
                let up = v["data"]["result"]
                    .as_array()
                    .map(|a| a.iter().filter(|s| s["value"][1] == "1").count())
                    .unwrap_or(0);
                if up >= n {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus at {} did not scrape {n} targets within 40 s; log:\n{}",
                self.url,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for Prom {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
