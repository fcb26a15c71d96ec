//! The attach protocol: length-prefixed JSON frames over the run's Unix
//! socket. Each frame is a 4-byte big-endian length, then that many bytes
//! of one JSON message; a frame longer than [`MAX_FRAME`] or that is not a
//! message drops the peer that sent it (never the run). The client speaks
//! first with its protocol version; a mismatch gets a message that says
//! what to do.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::core::command::Command;
use crate::core::event::Envelope;
use crate::core::share::Peer;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest frame either side accepts: far more than any event, far
/// less than a peer could use to grow the run's memory.
pub const MAX_FRAME: usize = 1 << 20;

/// The socket's file name inside the run directory.
pub const SOCKET_FILE: &str = "attach.sock";

/// What a client says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// The first message: who speaks which version.
    Hello {
        /// The client's protocol version.
        version: u32,
        /// The attaching session's `SSH_CONNECTION`, if any (its uid comes
        /// from the kernel, not from here).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ssh_connection: Option<String>,
    },
    /// Ask the run to do something (operators only).
    Command {
        /// What.
        command: RemoteCommand,
    },
}

/// The commands an attached operator may send: the safe and the run's own
/// actions, not abort (only the owner stops a run) and not grant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteCommand {
    /// Roll the canary back.
    Rollback {
        /// Why.
        reason: String,
    },
    /// Promote the canary.
    Promote,
    /// Hold a counting-down automatic rollback.
    Hold {
        /// Why.
        reason: String,
    },
    /// Release a held automatic rollback.
    Release {
        /// Why.
        reason: String,
    },
    /// Stop the running load.
    StopLoad,
    /// Abort the running drill (its rollbacks still run).
    AbortDrill {
        /// Why.
        reason: String,
    },
    /// Answer the pending apply approval.
    AnswerApply {
        /// Approve or decline.
        approve: bool,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Rerun a stage after the decision.
    RerunStage {
        /// Stage id.
        stage: String,
    },
    /// Destroy the ephemeral environment.
    DestroyEnvironment,
    /// Sign off (or reject) a role the gate waits for. Any attached
    /// person may send it: whether they may sign is the gate's rule
    /// (`[[gate.signoffs]] who`), not the operator role.
    Signoff {
        /// The role.
        role: String,
        /// Approve or reject.
        decision: crate::core::signoff::SignoffDecision,
        /// Why.
        comment: String,
        /// SHA-256 (hex) of `report.json` as the signer saw it.
        report_sha256: String,
        /// The journal sequence the signer had seen.
        seen_seq: u64,
        /// `ssh-keygen -Y sign` output, if signed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
}

impl RemoteCommand {
    /// The engine command it asks for.
    pub fn into_command(self) -> Command {
        match self {
            RemoteCommand::Rollback { reason } => Command::Rollback { reason },
            RemoteCommand::Promote => Command::Promote,
            RemoteCommand::Hold { reason } => Command::Hold { reason },
            RemoteCommand::Release { reason } => Command::Release { reason },
            RemoteCommand::StopLoad => Command::StopLoad,
            RemoteCommand::AbortDrill { reason } => Command::AbortDrill { reason },
            RemoteCommand::AnswerApply { approve, reason } => {
                Command::AnswerApply { approve, reason }
            }
            RemoteCommand::RerunStage { stage } => Command::RerunStage { stage },
            RemoteCommand::DestroyEnvironment => Command::DestroyEnvironment,
            RemoteCommand::Signoff {
                role,
                decision,
                comment,
                report_sha256,
                seen_seq,
                signature,
            } => Command::Signoff {
                role,
                decision,
                comment,
                report_sha256,
                seen_seq,
                signature,
            },
        }
    }

    /// The remote form of an engine command, if an attached operator may
    /// send it.
    pub fn from_command(c: &Command) -> Option<RemoteCommand> {
        Some(match c.clone() {
            Command::Rollback { reason } => RemoteCommand::Rollback { reason },
            Command::Promote => RemoteCommand::Promote,
            Command::Hold { reason } => RemoteCommand::Hold { reason },
            Command::Release { reason } => RemoteCommand::Release { reason },
            Command::StopLoad => RemoteCommand::StopLoad,
            Command::AbortDrill { reason } => RemoteCommand::AbortDrill { reason },
            Command::AnswerApply { approve, reason } => {
                RemoteCommand::AnswerApply { approve, reason }
            }
            Command::RerunStage { stage } => RemoteCommand::RerunStage { stage },
            Command::DestroyEnvironment => RemoteCommand::DestroyEnvironment,
            Command::Signoff {
                role,
                decision,
                comment,
                report_sha256,
                seen_seq,
                signature,
            } => RemoteCommand::Signoff {
                role,
                decision,
                comment,
                report_sha256,
                seen_seq,
                signature,
            },
            // Settling an earlier run's orphaned flag is the run owner's call.
            Command::Abort { .. }
            | Command::Grant { .. }
            | Command::By { .. }
            | Command::ResolveOrphan { .. } => return None,
        })
    }
}

/// What the run says.
// Events are the stream and move by value; the rest are rare.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The answer to a good hello: the run, and who the peer is to it.
    Welcome {
        /// The server's protocol version.
        version: u32,
        /// Run id.
        run_id: String,
        /// The peer as journalled (connection number, identity, role).
        you: Peer,
    },
    /// The hello was refused; the connection closes.
    Refused {
        /// Why, and what to do.
        reason: String,
    },
    /// One journal event: first the journal from its start, then live.
    Event {
        /// The event as journalled.
        envelope: Envelope,
    },
    /// Everything journalled so far has been sent; what follows is live.
    Live,
    /// The answer to a command.
    Ack {
        /// Whether it went to the engine.
        ok: bool,
        /// What happened, in words.
        message: String,
    },
    /// The run drops the peer (or ends); the connection closes.
    Bye {
        /// Why.
        reason: String,
    },
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection.
    #[error("closed")]
    Closed,
    /// The frame announced more than [`MAX_FRAME`] bytes.
    #[error("a frame of {0} bytes (at most {MAX_FRAME})")]
    TooLarge(usize),
    /// The bytes are not a message of the protocol.
    #[error("a malformed message ({0})")]
    Malformed(String),
    /// The socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The version mismatch message, naming both sides.
pub fn version_mismatch(theirs: u32) -> String {
    format!(
        "this run speaks attach protocol {PROTOCOL_VERSION} and your flightdeck speaks {theirs}: attach with the same flightdeck build as the run's"
    )
}

/// Read one message.
pub async fn read_msg<T: DeserializeOwned>(
    r: &mut (impl AsyncRead + Unpin),
) -> Result<T, FrameError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let n = u32::from_be_bytes(len) as usize;
    if n > MAX_FRAME {
        return Err(FrameError::TooLarge(n));
    }
    let mut buf = vec![0u8; n];
    r.read_exact(&mut buf).await?;
    serde_json::from_slice(&buf).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// The frame of one message.
pub fn frame<T: Serialize>(msg: &T) -> Vec<u8> {
    let body = serde_json::to_vec(msg).unwrap_or_default();
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Write one message.
pub async fn write_msg<T: Serialize>(
    w: &mut (impl AsyncWrite + Unpin),
    msg: &T,
) -> std::io::Result<()> {
    w.write_all(&frame(msg)).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_oversize_or_garbage_is_refused() {
        let hello = ClientMsg::Hello {
            version: 1,
            ssh_connection: None,
        };
        let bytes = frame(&hello);
        let back: ClientMsg = read_msg(&mut &bytes[..]).await.expect("read");
        assert_eq!(back, hello);
        let big = ((MAX_FRAME + 1) as u32).to_be_bytes();
        assert!(matches!(
            read_msg::<ClientMsg>(&mut &big[..]).await,
            Err(FrameError::TooLarge(_))
        ));
        let mut junk = 5u32.to_be_bytes().to_vec();
        junk.extend_from_slice(b"hello");
        assert!(matches!(
            read_msg::<ClientMsg>(&mut &junk[..]).await,
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            read_msg::<ClientMsg>(&mut &b""[..]).await,
            Err(FrameError::Closed)
        ));
    }

    #[test]
    fn remote_commands_are_the_engine_commands_minus_abort_and_grant() {
        let r = RemoteCommand::Rollback {
            reason: "operator key R".into(),
        };
        assert_eq!(
            RemoteCommand::from_command(&r.clone().into_command()),
            Some(r)
        );
        assert_eq!(
            RemoteCommand::from_command(&Command::Abort { reason: "x".into() }),
            None
        );
        assert_eq!(
            RemoteCommand::from_command(&Command::Grant { peer: 1 }),
            None
        );
        assert!(version_mismatch(2).contains("protocol 1 and your flightdeck speaks 2"));
    }
}
