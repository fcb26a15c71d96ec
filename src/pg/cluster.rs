//! A throwaway cluster on 127.0.0.1: `initdb` in a [`Workspace`] (a temp
//! directory owned by the account the tools run as), the server started
//! directly (`postgres -D ...`, not `pg_ctl`) as our own child, so that
//! its whole process tree is known by PID and can be killed at once
//! (verified on PostgreSQL 15: every server child calls `setsid()`, so
//! killing the postmaster's process group alone leaves the checkpointer,
//! the archiver and the backends running), with its socket directory
//! inside the workspace. Ready means a real connection answered `SELECT 1`,
//! not a log line. Dropped, a cluster kills its group; a workspace removes
//! its directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::stale;
use super::tool::{self, Group};
use super::{Account, BinDir, PgError};

/// Longest `initdb` may take.
const INITDB_TIMEOUT: Duration = Duration::from_secs(120);

/// A temp directory for clusters, backups and archives, removed on drop.
#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    account: Account,
    bin: BinDir,
}

impl Workspace {
    /// Make `$TMPDIR/flightdeck-pg-<id>`, owned by the account.
    pub fn create(bin: BinDir, account: Account) -> Result<Workspace, PgError> {
        Workspace::create_in(&std::env::temp_dir(), bin, account)
    }

    /// Make `PARENT/flightdeck-pg-<id>` (a disk with room for the backups),
    /// owned by the account; `PARENT` must let the account through. The
    /// workspaces in `PARENT` left by a process that died go first, with
    /// their servers (see [`super::stale`]).
    pub fn create_in(parent: &Path, bin: BinDir, account: Account) -> Result<Workspace, PgError> {
        stale::reap(parent);
        let root = parent.join(format!("{}{}", stale::PREFIX, uuid::Uuid::new_v4()));
        std::fs::create_dir(&root).map_err(|e| {
            PgError::Failed(format!("create the workspace {}: {e}", root.display()))
        })?;
        let ws = Workspace { root, account, bin };
        stale::claim(&ws.root)?;
        ws.account.own(&ws.root)?;
        Ok(ws)
    }

    /// Make (or reuse) `ROOT/name`, owned by the account.
    pub fn dir(&self, name: &str) -> Result<PathBuf, PgError> {
        let d = self.root.join(name);
        std::fs::create_dir_all(&d)
            .map_err(|e| PgError::Failed(format!("create {}: {e}", d.display())))?;
        self.account.own(&d)?;
        Ok(d)
    }

    /// The root directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Who the tools run as.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The binaries.
    pub fn bin(&self) -> &BinDir {
        &self.bin
    }

    /// A command for `tool` from the bin directory, run as the account.
    pub fn command(&self, tool: &str, step: &str) -> Result<tokio::process::Command, PgError> {
        let p = self.bin.tool(tool, step)?;
        Ok(self.account.command(&p))
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// One cluster: its data directory and, while it runs, its server group.
#[derive(Debug)]
pub struct Cluster {
    name: String,
    home: PathBuf,
    data: PathBuf,
    port: u16,
    server: Option<Group>,
}

impl Cluster {
    /// `initdb` a fresh cluster in `WORKSPACE/name/data` (superuser
    /// `postgres`, trust on loopback: it is throwaway and listens on
    /// 127.0.0.1 only).
    pub async fn init(
        ws: &Workspace,
        name: &str,
        cancel: &CancellationToken,
    ) -> Result<Cluster, PgError> {
        let c = Cluster::at(ws, name)?;
        let mut cmd = ws.command("initdb", &format!("initdb the {name} cluster"))?;
        cmd.arg("-D").arg(&c.data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-locale",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        tool::run(
            cmd,
            &format!("initdb the {name} cluster"),
            INITDB_TIMEOUT,
            cancel,
        )
        .await?;
        Ok(c)
    }

    /// A cluster whose data directory `WORKSPACE/name/data` is filled by
    /// the caller (a restored copy).
    pub fn at(ws: &Workspace, name: &str) -> Result<Cluster, PgError> {
        let home = ws.dir(name)?;
        Ok(Cluster {
            name: name.to_string(),
            data: home.join("data"),
            home,
            port: 0,
            server: None,
        })
    }

    /// Its name (`source`, `restored`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Its home (socket directory, log).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The server log.
    pub fn log_path(&self) -> PathBuf {
        self.home.join("server.log")
    }

    /// The port it listens on (0 before it started).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Append settings to `postgresql.auto.conf`, read last, so they win
    /// over `postgresql.conf` and over `ALTER SYSTEM` settings a restored
    /// copy inherited from its primary.
    pub fn configure(&self, lines: &[String]) -> Result<(), PgError> {
        use std::io::Write;
        let path = self.data.join("postgresql.auto.conf");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| {
                PgError::Failed(format!(
                    "configure the {} cluster: open {}: {e}",
                    self.name,
                    path.display()
                ))
            })?;
        let text = format!("\n# flightdeck\n{}\n", lines.join("\n"));
        f.write_all(text.as_bytes()).map_err(|e| {
            PgError::Failed(format!(
                "configure the {} cluster: write {}: {e}",
                self.name,
                path.display()
            ))
        })
    }

    /// Start the server on 127.0.0.1:`port` and wait (at most `timeout`)
    /// until a real connection answers `SELECT 1`.
    pub async fn start(
        &mut self,
        ws: &Workspace,
        port: u16,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), PgError> {
        let step = format!("start the {} cluster on 127.0.0.1:{port}", self.name);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            return Err(PgError::Failed(format!(
                "{step}: port {port} is in use (choose another port, or leave it unset for a free one)"
            )));
        }
        let mut cmd = ws.command("postgres", &step)?;
        cmd.arg("-D")
            .arg(&self.data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(&self.home);
        self.server = Some(Group::spawn(cmd, &step, &self.log_path())?);
        self.port = port;
        self.wait_ready(&step, timeout, cancel).await
    }

    async fn wait_ready(
        &mut self,
        step: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), PgError> {
        let deadline = Instant::now() + timeout;
        loop {
            if cancel.is_cancelled() {
                return Err(PgError::Cancelled);
            }
            if let Ok(c) = self.connect("postgres").await
                && c.simple_query("SELECT 1").await.is_ok()
            {
                return Ok(());
            }
            if self.server.as_mut().is_none_or(Group::exited) {
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                let why = if log.contains("Address already in use") {
                    format!("port {} is in use", self.port)
                } else {
                    format!("the server exited: {}", tool::tail(&log))
                };
                return Err(PgError::Failed(format!("{step}: {why}")));
            }
            if Instant::now() >= deadline {
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                return Err(PgError::Failed(format!(
                    "{step}: no connection answered within {} s: {}",
                    timeout.as_secs(),
                    tool::tail(&log)
                )));
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = cancel.cancelled() => return Err(PgError::Cancelled),
            }
        }
    }

    /// A URL for database `db` (no password: trust on loopback).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Connect to `db` (5 s connect timeout); the connection is driven by
    /// a background task that ends with it.
    pub async fn connect(&self, db: &str) -> Result<tokio_postgres::Client, PgError> {
        connect(&self.url(db)).await
    }

    /// The postmaster's PID, from `postmaster.pid`.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Processes of the server (the tree we started) alive now.
    pub fn members(&self) -> Vec<u32> {
        self.server.as_ref().map(Group::members).unwrap_or_default()
    }

    /// SIGKILL the whole server at once (frozen first: see [`Group`]):
    /// the disaster, and the end of every path.
    pub async fn kill(&mut self) {
        if let Some(g) = self.server.as_mut() {
            g.kill().await;
        }
    }

    /// SIGKILL the postmaster alone: its children notice its death only
    /// later, and may write (archive a segment) meanwhile. Returns its PID.
    pub fn kill_postmaster(&mut self) -> Option<u32> {
        let pid = self.postmaster_pid()?;
        // Its children are orphaned by this: remember them to kill later.
        if let Some(g) = self.server.as_mut() {
            g.remember();
        }
        // Only a member of our own server group: never another process
        // that happens to hold a stale PID.
        if !self.members().contains(&pid) {
            return None;
        }
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(pid).ok()?),
            nix::sys::signal::Signal::SIGKILL,
        );
        Some(pid)
    }

    /// A clean stop: SIGINT (fast shutdown) to the postmaster, then the
    /// group is killed whatever happened, at most `timeout` later.
    pub async fn stop(&mut self, timeout: Duration) {
        if let Some(pid) = self.postmaster_pid().filter(|p| self.members().contains(p))
            && let Ok(pid) = i32::try_from(pid)
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGINT,
            );
            let deadline = Instant::now() + timeout;
            while Instant::now() < deadline && self.server.as_mut().is_some_and(|g| !g.exited()) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        self.kill().await;
    }
}

/// Connect with a 5 s timeout; the connection task ends with the client.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, PgError> {
    use std::str::FromStr;
    let mut cfg = tokio_postgres::Config::from_str(url)
        .map_err(|_| PgError::Failed("the connection string does not parse".into()))?;
    cfg.connect_timeout(Duration::from_secs(5));
    let (client, conn) = cfg
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| PgError::Failed(format!("connect: {}", crate::pg::db_text(&e))))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}
