//! The demo's failover pair: two instances of the demo API, each a real
//! child process (`flightdeck demo-instance`, in its own process group, so
//! a drill's SIGKILL of the primary's group is a real disaster), behind a
//! front door on 127.0.0.1 with health-checked failover: it sends every
//! request to the primary while the primary answers, switches to the
//! secondary on a refused connection or a failed health check, and goes
//! back once the primary has passed three health checks in a row.
//!
//! The primary's pid is written to a pid file (`{demo.failover_primary_pid}`),
//! which a drill's `kill = { pid_file = ... }` reads; `POST
//! /admin/restart-primary` starts a new primary (a drill's rollback). Every
//! child is killed with its group and reaped when the pair is dropped; a
//! child also exits by itself when its stdin closes, so even a parent
//! killed outright leaves nothing behind.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::io::AsyncBufReadExt;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// The hidden subcommand that serves one instance.
pub const INSTANCE_SUBCOMMAND: &str = "demo-instance";
/// How often the door checks the primary's health.
pub const HEALTH_EVERY: Duration = Duration::from_millis(200);
/// Health checks in a row the primary must pass before the door goes back.
const FAILBACK_AFTER: u32 = 3;
/// Longest an instance may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// One running instance.
struct Instance {
    child: Child,
    url: String,
    /// Kept: the child's own id is gone once it is reaped.
    pid: Option<u32>,
}

impl Instance {
    async fn spawn(exe: &Path, version: &str) -> Result<Instance> {
        let mut cmd = Command::new(exe);
        cmd.args([INSTANCE_SUBCOMMAND, "--version-served", version])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn().with_context(|| {
            format!(
                "demo failover: cannot start {} {INSTANCE_SUBCOMMAND}",
                exe.display()
            )
        })?;
        let out = child.stdout.take().context("demo failover: no stdout")?;
        let mut lines = tokio::io::BufReader::new(out).lines();
        let line = tokio::time::timeout(START_TIMEOUT, lines.next_line()).await;
        let url = match line {
            Ok(Ok(Some(l))) => l.trim().strip_prefix("listening ").map(str::to_string),
            _ => None,
        };
        let Some(url) = url else {
            kill_group(child.id());
            let _ = child.wait().await;
            bail!(
                "demo failover: {} {INSTANCE_SUBCOMMAND} did not print its address within {}s",
                exe.display(),
                START_TIMEOUT.as_secs()
            );
        };
        let pid = child.id();
        Ok(Instance { child, url, pid })
    }

    fn pid(&self) -> Option<u32> {
        self.pid
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// Kill a child's whole process group (it leads its own), by its id.
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 1) {
        use nix::sys::signal::{Signal, killpg};
        let _ = killpg(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}

struct Door {
    exe: PathBuf,
    version: String,
    pid_file: PathBuf,
    primary: Mutex<Option<Instance>>,
    /// Children replaced by a restart, kept to be reaped at the end.
    retired: Mutex<Vec<Instance>>,
    secondary: Mutex<Option<Instance>>,
    on_primary: AtomicBool,
    client: reqwest::Client,
}

impl Door {
    fn url(&self, primary: bool) -> Option<String> {
        let slot = if primary {
            &self.primary
        } else {
            &self.secondary
        };
        slot.lock().ok()?.as_ref().map(|i| i.url.clone())
    }

    fn write_pid(&self) -> Result<()> {
        let pid = self
            .primary
            .lock()
            .ok()
            .and_then(|p| p.as_ref().and_then(Instance::pid))
            .context("demo failover: the primary has no pid")?;
        std::fs::write(&self.pid_file, format!("{pid}\n")).with_context(|| {
            format!(
                "demo failover: cannot write the pid file {}",
                self.pid_file.display()
            )
        })
    }

    fn stop_all(&self) {
        let mut all: Vec<Instance> = Vec::new();
        for slot in [&self.primary, &self.secondary] {
            if let Ok(mut s) = slot.lock() {
                all.extend(s.take());
            }
        }
        if let Ok(mut r) = self.retired.lock() {
            all.append(&mut r);
        }
        for mut i in all {
            // Only a child not yet reaped: a reaped pid may be reused.
            if i.alive() {
                kill_group(i.pid());
            }
            let _ = i.child.start_kill();
            // Reap it (bounded), so no zombie outlives the demo either.
            for _ in 0..100 {
                if !matches!(i.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

async fn forward(State(d): State<Arc<Door>>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let primary = d.on_primary.load(Ordering::SeqCst);
    let Some(base) = d.url(primary) else {
        return (StatusCode::BAD_GATEWAY, "no instance").into_response();
    };
    let sent = d
        .client
        .request(method, format!("{base}{path}"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    match sent {
        Ok(r) => {
            let status = r.status();
            let headers = r.headers().clone();
            let body = r.bytes().await.unwrap_or_default();
            let mut out = (status, body).into_response();
            for (k, v) in &headers {
                if k != "content-length" && k != "transfer-encoding" && k != "connection" {
                    out.headers_mut().insert(k.clone(), v.clone());
                }
            }
            out.headers_mut().insert(
                "x-instance",
                HeaderValue::from_static(if primary { "primary" } else { "secondary" }),
            );
            out
        }
        Err(_) => {
            // A refused connection to the primary: switch now; this request
            // fails (no retry), as with a load balancer without one.
            if primary {
                d.on_primary.store(false, Ordering::SeqCst);
                tracing::warn!(target: "flightdeck::demo", "failover door: primary unreachable, switched to the secondary");
            }
            (
                StatusCode::BAD_GATEWAY,
                if primary {
                    "primary unreachable: switched to the secondary"
                } else {
                    "secondary unreachable"
                },
            )
                .into_response()
        }
    }
}

async fn restart_primary(State(d): State<Arc<Door>>) -> Response {
    let alive = d
        .primary
        .lock()
        .ok()
        .and_then(|mut p| p.as_mut().map(Instance::alive))
        .unwrap_or(false);
    if alive {
        return axum::Json(
            serde_json::json!({ "restarted": false, "reason": "primary is running" }),
        )
        .into_response();
    }
    match Instance::spawn(&d.exe, &d.version).await {
        Ok(i) => {
            let pid = i.pid();
            let old = d.primary.lock().ok().and_then(|mut p| p.replace(i));
            if let (Some(old), Ok(mut r)) = (old, d.retired.lock()) {
                r.push(old);
            }
            if let Err(e) = d.write_pid() {
                return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")).into_response();
            }
            axum::Json(serde_json::json!({ "restarted": true, "pid": pid })).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")).into_response(),
    }
}

async fn state(State(d): State<Arc<Door>>) -> Response {
    let active = if d.on_primary.load(Ordering::SeqCst) {
        "primary"
    } else {
        "secondary"
    };
    axum::Json(serde_json::json!({ "active": active })).into_response()
}

/// Check the primary's health; switch away on a failure, back after
/// [`FAILBACK_AFTER`] passes in a row.
async fn health_loop(d: Arc<Door>) {
    let mut passes = 0u32;
    loop {
        tokio::time::sleep(HEALTH_EVERY).await;
        let ok = match d.url(true) {
            Some(u) => d
                .client
                .get(format!("{u}/healthz"))
                .timeout(Duration::from_millis(500))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success()),
            None => false,
        };
        if !ok {
            passes = 0;
            d.on_primary.store(false, Ordering::SeqCst);
            continue;
        }
        passes += 1;
        if passes >= FAILBACK_AFTER {
            d.on_primary.store(true, Ordering::SeqCst);
        }
    }
}

/// The running failover pair and its front door.
pub struct FailoverDemo {
    /// The front door.
    pub addr: SocketAddr,
    /// The pid file holding the primary's pid.
    pub pid_file: PathBuf,
    door: Arc<Door>,
    tasks: Vec<JoinHandle<()>>,
}

impl FailoverDemo {
    /// Start a primary serving `primary_version` and a secondary serving
    /// `secondary_version` (children of `exe`), and the door on a random
    /// 127.0.0.1 port; the pid file goes into `dir`.
    pub async fn start(
        exe: &Path,
        dir: &Path,
        primary_version: &str,
        secondary_version: &str,
    ) -> Result<FailoverDemo> {
        let pid_file = dir.join("failover-primary.pid");
        let door = Arc::new(Door {
            exe: exe.to_path_buf(),
            version: primary_version.to_string(),
            pid_file: pid_file.clone(),
            primary: Mutex::new(None),
            retired: Mutex::new(Vec::new()),
            secondary: Mutex::new(None),
            on_primary: AtomicBool::new(true),
            client: reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(8)
                .build()
                .context("demo failover: HTTP client")?,
        });
        // Whatever fails below, the children started so far are stopped.
        let mut pair = FailoverDemo {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pid_file,
            door: door.clone(),
            tasks: Vec::new(),
        };
        let p = Instance::spawn(exe, primary_version).await?;
        if let Ok(mut slot) = door.primary.lock() {
            *slot = Some(p);
        }
        let s = Instance::spawn(exe, secondary_version).await?;
        if let Ok(mut slot) = door.secondary.lock() {
            *slot = Some(s);
        }
        door.write_pid()?;
        let app = Router::new()
            .route("/admin/restart-primary", post(restart_primary))
            .route("/admin/state", get(state))
            .fallback(forward)
            .with_state(door.clone());
        let (addr, task) = super::listen::serve("failover door", app).await?;
        pair.addr = addr;
        pair.tasks.push(task);
        pair.tasks.push(tokio::spawn(health_loop(door)));
        Ok(pair)
    }

    /// `http://127.0.0.1:PORT` of the door.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Pids of every instance started so far (restarted ones too).
    pub fn pids(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for slot in [&self.door.primary, &self.door.secondary] {
            if let Ok(s) = slot.lock() {
                out.extend(s.as_ref().and_then(Instance::pid));
            }
        }
        if let Ok(r) = self.door.retired.lock() {
            out.extend(r.iter().filter_map(Instance::pid));
        }
        out
    }

    /// Replace `{demo.failover}` and `{demo.failover_primary_pid}`.
    pub fn fill(&self, s: &str) -> String {
        s.replace(
            "{demo.failover_primary_pid}",
            &self.pid_file.to_string_lossy(),
        )
        .replace("{demo.failover}", &self.url())
    }
}

impl Drop for FailoverDemo {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.door.stop_all();
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

/// The program whose `demo-instance` subcommand serves an instance:
/// `FLIGHTDECK_BIN`, else this program when it is `flightdeck`, else the
/// `flightdeck` beside it or one folder up (a test binary runs from
/// `target/debug/deps`, the program is in `target/debug`).
pub fn instance_exe() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("FLIGHTDECK_BIN").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe().context("demo failover: cannot find this program")?;
    if me.file_stem().is_some_and(|s| s == "flightdeck") {
        return Ok(me);
    }
    let name = format!("flightdeck{}", std::env::consts::EXE_SUFFIX);
    let dir = me
        .parent()
        .context("demo failover: this program has no folder")?;
    [dir.join(&name), dir.join("..").join(&name)]
        .into_iter()
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "demo failover: no flightdeck program beside {}; set FLIGHTDECK_BIN",
                me.display()
            )
        })
}

/// `flightdeck demo-instance`: serve one demo API instance on a random
/// 127.0.0.1 port, print `listening http://127.0.0.1:PORT`, and stop when stdin
/// closes (the parent went away).
pub async fn serve_instance(version: &str) -> Result<()> {
    use std::io::Write;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("demo instance: cannot listen on 127.0.0.1")?;
    let addr = listener.local_addr().context("demo instance: address")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening http://{addr}").context("demo instance: stdout")?;
        out.flush().context("demo instance: stdout")?;
    }
    let app = super::target::instance_router(version);
    let parent_gone = async {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        use tokio::io::AsyncReadExt;
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        r = axum::serve(listener, app) => r.context("demo instance: serve"),
        () = parent_gone => Ok(()),
    }
}
