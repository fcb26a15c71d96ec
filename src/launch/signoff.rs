//! `flightdeck signoff RUN --role R --approve|--reject --comment "..."`:
//! sign off a live run from a shell, over its socket. The run knows the
//! signer by the socket peer's uid; the command folds the journal like any
//! attached terminal, so it records the hash of `report.json` and the
//! journal sequence it saw, and optionally signs the sign-off's text with
//! `ssh-keygen -Y sign` (`--ssh-key`). Exit 0 recorded, 1 refused or no
//! answer, 2 usage (no such live run).

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::Failure;
use crate::cli::SignoffArgs;
use crate::core::event::Event;
use crate::core::signoff::SignoffDecision;
use crate::core::state::RunState;
use crate::gate::signoff::{SSH_NAMESPACE, signed_text};
use crate::share::client::{self, AttachError};
use crate::share::protocol::{RemoteCommand, SOCKET_FILE, ServerMsg, read_msg};

/// Sign `text` with `key` in the sign-off namespace.
async fn ssh_sign(key: &std::path::Path, text: &str) -> Result<String, String> {
    let mut child = tokio::process::Command::new("ssh-keygen")
        .args(["-Y", "sign", "-f"])
        .arg(key)
        .args(["-n", SSH_NAMESPACE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .await
            .map_err(|e| format!("ssh-keygen: {e}"))?;
    }
    let o = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .map_err(|_| "ssh-keygen did not sign within 30 s (a passphrase prompt?)".to_string())?
        .map_err(|e| format!("ssh-keygen: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "ssh-keygen -Y sign failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// `flightdeck signoff`: the line to print and the exit code.
pub async fn signoff(args: &SignoffArgs) -> Result<(String, i32), Failure> {
    use crate::config::{OverrideValue, Sources};
    let mut sources = Sources::from_process(None);
    sources.text = Some(("built-in config".into(), super::BUILTIN_CONFIG.into()));
    if let Some(d) = &args.state_dir {
        sources.set("state_dir", OverrideValue::Str(d.display().to_string()));
    }
    let cfg = super::load_config(&sources)?;
    let decision = if args.reject {
        SignoffDecision::Reject
    } else {
        SignoffDecision::Approve
    };
    if decision == SignoffDecision::Reject && args.comment.trim().is_empty() {
        return Err(Failure::usage(
            "error: --reject needs --comment: it is the NO-GO's reason",
        ));
    }
    let dir = super::attach::run_dir(&args.run, &cfg.state_dir).ok_or_else(|| {
        Failure::usage(format!(
            "error: no run `{}` under {} (hint: --state-dir)",
            args.run,
            cfg.state_dir.join("runs").display()
        ))
    })?;
    let mut a = client::connect(&dir.join(SOCKET_FILE))
        .await
        .map_err(|e| match e {
            AttachError::NoSocket(_) | AttachError::NotLive(_) => {
                Failure::usage(format!("error: {e}; a finished run takes no sign-off"))
            }
            other => Failure::usage(format!("error: {other}")),
        })?;
    let me = a.you.actor.clone();
    let mut state = RunState::default();
    let read = |s: &mut RunState, m: ServerMsg| -> Option<ServerMsg> {
        match m {
            ServerMsg::Event { envelope } => {
                s.apply(&envelope);
                None
            }
            other => Some(other),
        }
    };
    let until = tokio::time::Instant::now() + args.timeout;
    loop {
        let m = tokio::time::timeout_at(until, read_msg::<ServerMsg>(&mut a.incoming))
            .await
            .map_err(|_| Failure::usage("error: the run sent no journal in time"))?
            .map_err(|e| Failure::usage(format!("error: attach protocol: {e}")))?;
        if let Some(ServerMsg::Live) = read(&mut state, m) {
            break;
        }
    }
    let report_sha256 = crate::report::report_sha256(&state);
    let seen_seq = state.events_applied;
    let run_id = state
        .info
        .as_ref()
        .map_or("", |i| i.run_id.as_str())
        .to_string();
    let signature = match &args.ssh_key {
        Some(key) => {
            let text = signed_text(
                &run_id,
                &args.role,
                decision,
                &args.comment,
                &report_sha256,
                seen_seq,
            );
            Some(
                ssh_sign(key, &text)
                    .await
                    .map_err(|e| Failure::usage(format!("error: {e}")))?,
            )
        }
        None => None,
    };
    client::send(
        &mut a.outgoing,
        RemoteCommand::Signoff {
            role: args.role.clone(),
            decision,
            comment: args.comment.clone(),
            report_sha256: report_sha256.clone(),
            seen_seq,
            signature,
        },
    )
    .await
    .map_err(|e| Failure::usage(format!("error: cannot send the sign-off: {e}")))?;
    loop {
        let m = match tokio::time::timeout_at(until, read_msg::<ServerMsg>(&mut a.incoming)).await {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => return Ok((format!("no answer: {e}\n"), 1)),
            Err(_) => return Ok(("no answer from the run in time\n".into(), 1)),
        };
        let event = match m {
            ServerMsg::Event { envelope } => {
                state.apply(&envelope);
                envelope.event
            }
            ServerMsg::Ack { ok: false, message } => {
                return Ok((format!("refused: {message}\n"), 1));
            }
            ServerMsg::Bye { reason } => return Ok((format!("the run closed: {reason}\n"), 1)),
            _ => continue,
        };
        match event {
            Event::SignoffGiven(g) if g.role == args.role && g.actor.uid == me.uid => {
                return Ok((
                    format!(
                        "recorded: {} {} {} as {} (uid {}), report.json sha256 {}, journal seq {}{}\n",
                        run_id,
                        g.role,
                        g.decision.as_str(),
                        g.actor.described(),
                        g.actor.uid.map_or("?".into(), |u| u.to_string()),
                        g.report_sha256,
                        g.seen_seq,
                        match &g.signature {
                            Some(s) if s.verified => ", SSH signature verified",
                            Some(_) => ", SSH signature NOT verified",
                            None => "",
                        }
                    ),
                    0,
                ));
            }
            Event::SignoffRefused {
                role,
                actor,
                reason,
            } if role == args.role && actor.uid == me.uid => {
                return Ok((format!("refused: {reason}\n"), 1));
            }
            _ => {}
        }
    }
}
