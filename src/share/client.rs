//! The attaching side of the socket: connect, say hello (with this
//! session's `SSH_CONNECTION`), and read the run's journal and live events
//! into a mirror recorder, which the same TUI (or the headless reporter)
//! follows as it would a local run.

use std::path::{Path, PathBuf};

use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

use crate::core::share::Peer;
use crate::record::recorder::Recorder;
use crate::share::protocol::{
    ClientMsg, FrameError, PROTOCOL_VERSION, RemoteCommand, ServerMsg, read_msg, write_msg,
};

/// Why attaching failed.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// No socket: the run never listened, or it has ended.
    #[error("{0}: no socket (the run has ended, or it does not share)")]
    NoSocket(PathBuf),
    /// A socket nobody listens on: the run has ended.
    #[error("{0}: nobody listens (the run has ended)")]
    NotLive(PathBuf),
    /// The socket exists but this account may not use it.
    #[error(
        "{0}: permission denied (ask the run's owner to set share.group to a group you are in)"
    )]
    Denied(PathBuf),
    /// The run refused the hello.
    #[error("the run refused: {0}")]
    Refused(String),
    /// The run said something this build does not understand.
    #[error("attach protocol: {0}")]
    Protocol(String),
}

/// An attached session.
pub struct Attached {
    /// Who the run says this session is (connection number, identity, role).
    pub you: Peer,
    /// The run's id.
    pub run_id: String,
    /// The run's messages.
    pub incoming: OwnedReadHalf,
    /// Where commands go.
    pub outgoing: OwnedWriteHalf,
}

/// Connect to a run's socket and say hello.
pub async fn connect(socket: &Path) -> Result<Attached, AttachError> {
    if !socket.exists() {
        return Err(AttachError::NoSocket(socket.to_path_buf()));
    }
    let stream = UnixStream::connect(socket)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => AttachError::Denied(socket.to_path_buf()),
            _ => AttachError::NotLive(socket.to_path_buf()),
        })?;
    let (mut incoming, mut outgoing) = stream.into_split();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        ssh_connection: std::env::var("SSH_CONNECTION")
            .ok()
            .filter(|s| !s.trim().is_empty()),
    };
    write_msg(&mut outgoing, &hello)
        .await
        .map_err(|e| AttachError::Protocol(e.to_string()))?;
    match read_msg::<ServerMsg>(&mut incoming).await {
        Ok(ServerMsg::Welcome { you, run_id, .. }) => Ok(Attached {
            you,
            run_id,
            incoming,
            outgoing,
        }),
        Ok(ServerMsg::Refused { reason }) => Err(AttachError::Refused(reason)),
        Ok(other) => Err(AttachError::Protocol(format!("unexpected {other:?}"))),
        Err(e) => Err(AttachError::Protocol(e.to_string())),
    }
}

/// What ended a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The run said goodbye (it ended, or dropped this session).
    Bye(String),
    /// The connection closed or broke.
    Lost(String),
}

/// Pass the run's events into `mirror` until the session ends; answers to
/// commands go to `on_ack` (ok, message).
pub async fn pump(
    incoming: &mut OwnedReadHalf,
    mirror: &Recorder,
    mut on_ack: impl FnMut(bool, String),
) -> Ended {
    loop {
        match read_msg::<ServerMsg>(incoming).await {
            Ok(ServerMsg::Event { envelope }) => mirror.relay(envelope),
            Ok(ServerMsg::Ack { ok, message }) => on_ack(ok, message),
            Ok(ServerMsg::Bye { reason }) => return Ended::Bye(reason),
            Ok(ServerMsg::Live | ServerMsg::Welcome { .. } | ServerMsg::Refused { .. }) => {}
            Err(FrameError::Closed) => return Ended::Lost("the run closed the connection".into()),
            Err(e) => return Ended::Lost(e.to_string()),
        }
    }
}

/// Send a command to the run.
pub async fn send(outgoing: &mut OwnedWriteHalf, command: RemoteCommand) -> std::io::Result<()> {
    write_msg(outgoing, &ClientMsg::Command { command }).await
}
