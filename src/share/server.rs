//! The run's socket: every live run listens on `<run dir>/attach.sock`
//! (the directory 0700 and the socket 0600, or 0750/0660 for
//! `share.group`). Each peer is identified by its uid from the kernel
//! (`SO_PEERCRED`), gets the journal from its start and then follows the
//! run live through a bounded subscription. A peer that falls behind is
//! caught up from the journal file; one that stays too slow, or sends
//! anything but the protocol's frames, is dropped, never the run.
//! Commands from operators go to the engine through the same channel as
//! the owner's keys, carrying the peer's identity; a viewer's are refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc::{self, UnboundedSender, WeakUnboundedSender};
use tokio::task::JoinHandle;

use crate::core::command::Command;
use crate::core::event::{Event, LogLevel};
use crate::core::share::{Peer, Role, RoleSource};
use crate::record::journal::{self, JOURNAL_FILE};
use crate::record::recorder::{Delivery, Recorder};
use crate::share::accounts::peer_actor;
use crate::share::config::Account;
use crate::share::protocol::{
    ClientMsg, FrameError, PROTOCOL_VERSION, RemoteCommand, SOCKET_FILE, ServerMsg, read_msg,
    version_mismatch, write_msg,
};

/// The message a viewer gets for a key that changes things.
pub const READ_ONLY: &str = "read-only: ask the operator for control";

/// Who may do what, and how patient the server is.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The run's own account: it attaches as an operator.
    pub owner_uid: Option<u32>,
    /// `share.operators`.
    pub operators: Vec<Account>,
    /// `share.group`'s gid: the directory and socket open to it.
    pub group: Option<u32>,
    /// `share.max_peers`.
    pub max_peers: usize,
    /// A write to a peer that takes longer drops the peer.
    pub write_timeout: Duration,
    /// Catch-ups from the journal a peer may need before it is dropped.
    pub max_resyncs: u32,
    /// Time allowed for the hello.
    pub hello_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            owner_uid: crate::identity::effective_uid(),
            operators: Vec::new(),
            group: None,
            max_peers: 32,
            write_timeout: Duration::from_secs(10),
            max_resyncs: 3,
            hello_timeout: Duration::from_secs(5),
        }
    }
}

struct Shared {
    rec: Recorder,
    /// Weak: attached peers must not keep the engine's channel open once
    /// the owner has left.
    commands: WeakUnboundedSender<Command>,
    opts: ServerOptions,
    journal: PathBuf,
    next_id: AtomicU64,
    peers: AtomicUsize,
}

/// The listening socket of a live run.
pub struct ShareServer {
    path: PathBuf,
    task: JoinHandle<()>,
}

/// Make the run directory private to the run's account, or to it and
/// `group`: 0700, or 0750 with the group.
pub fn secure_dir(dir: &Path, group: Option<u32>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if group.is_some() { 0o750 } else { 0o700 };
    if let Some(gid) = group {
        std::os::unix::fs::chown(dir, None, Some(gid))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
}

impl ShareServer {
    /// Listen on `<run_dir>/attach.sock` for the run recorded by `rec`,
    /// sending operators' commands to `commands`.
    pub fn start(
        run_dir: &Path,
        rec: &Recorder,
        commands: UnboundedSender<Command>,
        opts: ServerOptions,
    ) -> std::io::Result<ShareServer> {
        use std::os::unix::fs::PermissionsExt;
        secure_dir(run_dir, opts.group)?;
        let path = run_dir.join(SOCKET_FILE);
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)?;
        let mode = if opts.group.is_some() { 0o660 } else { 0o600 };
        if let Some(gid) = opts.group {
            std::os::unix::fs::chown(&path, None, Some(gid))?;
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        let shared = Arc::new(Shared {
            rec: rec.clone(),
            commands: commands.downgrade(),
            opts,
            journal: run_dir.join(JOURNAL_FILE),
            next_id: AtomicU64::new(1),
            peers: AtomicUsize::new(0),
        });
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Ok(ShareServer { path, task })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ShareServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Write one message within the write timeout; `Err` names why the peer
/// must go.
async fn send(w: &mut OwnedWriteHalf, msg: &ServerMsg, limit: Duration) -> Result<(), String> {
    match tokio::time::timeout(limit, write_msg(w, msg)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err("detached".into()),
        Err(_) => Err(format!(
            "too slow: a write waited more than {}",
            crate::core::format::duration_text(limit)
        )),
    }
}

/// The role of a new peer, and why.
fn role_for(opts: &ServerOptions, uid: u32, name: &str) -> (Role, RoleSource) {
    if opts.operators.iter().any(|a| a.matches(uid, Some(name))) {
        (Role::Operator, RoleSource::Config)
    } else if opts.owner_uid == Some(uid) {
        (Role::Operator, RoleSource::Owner)
    } else {
        (Role::Viewer, RoleSource::Default)
    }
}

/// Serve one connection from its hello to its end.
async fn serve(stream: UnixStream, sh: Arc<Shared>) {
    let cred = match stream.peer_cred() {
        Ok(c) => c,
        Err(_) => return,
    };
    let uid = cred.uid();
    let (mut rd, mut wr) = stream.into_split();
    let limit = sh.opts.write_timeout;
    let hello = tokio::time::timeout(sh.opts.hello_timeout, read_msg::<ClientMsg>(&mut rd)).await;
    let ssh = match hello {
        Ok(Ok(ClientMsg::Hello {
            version,
            ssh_connection,
        })) if version == PROTOCOL_VERSION => ssh_connection,
        Ok(Ok(ClientMsg::Hello { version, .. })) => {
            let _ = send(
                &mut wr,
                &ServerMsg::Refused {
                    reason: version_mismatch(version),
                },
                limit,
            )
            .await;
            return;
        }
        other => {
            let why = match other {
                Ok(Ok(_)) => "a command before its hello".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "no hello in time".to_string(),
            };
            let _ = send(
                &mut wr,
                &ServerMsg::Refused {
                    reason: format!("dropped: {why}"),
                },
                limit,
            )
            .await;
            sh.rec.log(
                LogLevel::Warn,
                None,
                format!("attach: dropped a connection from uid {uid}: {why}"),
            );
            return;
        }
    };
    if sh.peers.fetch_add(1, Ordering::SeqCst) >= sh.opts.max_peers {
        sh.peers.fetch_sub(1, Ordering::SeqCst);
        let reason = format!(
            "too many terminals attached (share.max_peers = {})",
            sh.opts.max_peers
        );
        let _ = send(&mut wr, &ServerMsg::Refused { reason }, limit).await;
        return;
    }
    let actor = peer_actor(uid, ssh.as_deref());
    let (role, because) = role_for(&sh.opts, uid, &actor.name);
    let peer = Peer {
        id: sh.next_id.fetch_add(1, Ordering::SeqCst),
        actor,
        pid: cred.pid().and_then(|p| u32::try_from(p).ok()),
        role,
        because,
    };
    let reason = follow(&sh, peer.clone(), rd, &mut wr).await;
    let _ = tokio::time::timeout(
        Duration::from_millis(200),
        write_msg(
            &mut wr,
            &ServerMsg::Bye {
                reason: reason.clone(),
            },
        ),
    )
    .await;
    sh.rec.emit(Event::PeerLeft {
        id: peer.id,
        name: peer.actor.name.clone(),
        reason,
    });
    sh.peers.fetch_sub(1, Ordering::SeqCst);
}

/// Send the journal up to `upto` (after `after`) from the file.
async fn catch_up(
    sh: &Shared,
    wr: &mut OwnedWriteHalf,
    after: u64,
    upto: u64,
) -> Result<u64, String> {
    let back = journal::read(&sh.journal).map_err(|e| format!("cannot read the journal: {e:#}"))?;
    let mut last = after;
    for env in back
        .envelopes
        .into_iter()
        .filter(|e| e.seq > after && e.seq <= upto)
    {
        last = env.seq;
        send(
            wr,
            &ServerMsg::Event { envelope: env },
            sh.opts.write_timeout,
        )
        .await?;
    }
    Ok(last.max(upto))
}

/// The peer's life once welcomed: the journal, then live events and the
/// answers to its commands. Returns why it ended.
async fn follow(
    sh: &Arc<Shared>,
    peer: Peer,
    mut rd: tokio::net::unix::OwnedReadHalf,
    wr: &mut OwnedWriteHalf,
) -> String {
    let limit = sh.opts.write_timeout;
    // Subscribe before joining, so that the peer sees its own arrival.
    let (state, mut sub) = sh.rec.subscribe();
    let upto = state.events_applied;
    let run_id = state
        .info
        .as_ref()
        .map(|i| i.run_id.clone())
        .unwrap_or_default();
    let welcome = ServerMsg::Welcome {
        version: PROTOCOL_VERSION,
        run_id,
        you: peer.clone(),
    };
    if let Err(e) = send(wr, &welcome, limit).await {
        return e;
    }
    sh.rec.emit(Event::PeerJoined { peer: peer.clone() });
    let mut last = match catch_up(sh, wr, 0, upto).await {
        Ok(l) => l,
        Err(e) => return e,
    };
    if let Err(e) = send(wr, &ServerMsg::Live, limit).await {
        return e;
    }
    let (ack_tx, mut acks) = mpsc::channel::<ServerMsg>(16);
    let reader = {
        let sh = sh.clone();
        let peer = peer.clone();
        tokio::spawn(async move { read_commands(&sh, &peer, &mut rd, ack_tx).await })
    };
    let mut reader = reader;
    let mut resyncs = 0;
    let reason = loop {
        tokio::select! {
            d = sub.recv() => match d {
                Some(Delivery::Event(env)) => {
                    last = env.seq;
                    if let Err(e) = send(wr, &ServerMsg::Event { envelope: env }, limit).await {
                        break e;
                    }
                }
                Some(Delivery::Resync(now)) => {
                    resyncs += 1;
                    if resyncs > sh.opts.max_resyncs {
                        break format!("too slow: fell behind the run {resyncs} times");
                    }
                    match catch_up(sh, wr, last, now.events_applied).await {
                        Ok(l) => last = l,
                        Err(e) => break e,
                    }
                }
                None => break "the run has ended".to_string(),
            },
            Some(ack) = acks.recv() => {
                if let Err(e) = send(wr, &ack, limit).await {
                    break e;
                }
            }
            ended = &mut reader => break ended.unwrap_or_else(|_| "detached".into()),
        }
    };
    reader.abort();
    reason
}

/// Read the peer's commands until it goes; returns why it went.
async fn read_commands(
    sh: &Shared,
    peer: &Peer,
    rd: &mut tokio::net::unix::OwnedReadHalf,
    acks: mpsc::Sender<ServerMsg>,
) -> String {
    loop {
        let msg = match read_msg::<ClientMsg>(rd).await {
            Ok(m) => m,
            Err(FrameError::Closed) => return "detached".into(),
            Err(e @ (FrameError::TooLarge(_) | FrameError::Malformed(_))) => {
                return format!("dropped: {e}");
            }
            Err(FrameError::Io(e)) => return format!("connection lost ({e})"),
        };
        let ack = match msg {
            ClientMsg::Hello { .. } => ServerMsg::Ack {
                ok: false,
                message: "already attached".into(),
            },
            ClientMsg::Command { command } => {
                let role = sh.rec.read(|s| s.role_of(peer.id));
                // Whether a person may sign is the gate's rule, not a role.
                let signoff = matches!(command, RemoteCommand::Signoff { .. });
                if role == Some(Role::Operator) || signoff {
                    let what = format!("{command:?}");
                    let cmd = command.into_command().by(peer.actor.clone());
                    let sent = sh.commands.upgrade().map(|tx| tx.send(cmd).is_ok());
                    match sent {
                        Some(true) => ServerMsg::Ack {
                            ok: true,
                            message: format!("sent to the run as {}: {what}", peer.actor.name),
                        },
                        _ => ServerMsg::Ack {
                            ok: false,
                            message: "the run no longer takes commands".into(),
                        },
                    }
                } else {
                    ServerMsg::Ack {
                        ok: false,
                        message: READ_ONLY.into(),
                    }
                }
            }
        };
        // A peer that never reads its answers loses them, not the run.
        let _ = acks.try_send(ack);
    }
}
