//! Sign-offs: who may give which, whether an attempt counts, and what the
//! sign-offs do to the decision. A rejection is NO-GO with the comment as
//! the reason; no answer within `signoff_timeout` is INCONCLUSIVE; every
//! required approval turns the waiting GO into GO, naming who signed.
//!
//! A sign-off may carry an `ssh-keygen -Y sign` signature over its text
//! ([`signed_text`], namespace [`SSH_NAMESPACE`]), verified against
//! `gate.allowed_signers` here and again by anyone, offline, with
//! `ssh-keygen -Y verify -f allowed_signers -I NAME -n flightdeck-signoff -s SIG`
//! over the `signed_text` the journal keeps.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::core::actor::Actor;
use crate::core::event::Outcome;
use crate::core::gate::Decision;
use crate::core::signoff::{Signoff, SignoffDecision, SignoffNeed, SshSignature};
use crate::core::state::RunState;
use crate::core::state::signoff::SignoffView;
use crate::gate::config::GateSection;

/// The signature namespace of sign-offs.
pub const SSH_NAMESPACE: &str = "flightdeck-signoff";

/// The sign-offs the gate asks for, as journalled.
pub fn needs(g: &GateSection) -> Vec<SignoffNeed> {
    g.signoffs
        .iter()
        .map(|r| SignoffNeed {
            role: r.role.clone(),
            who: r.who.iter().map(ToString::to_string).collect(),
            required: r.required,
            self_approval: r.self_approval,
            signature: r.signature,
        })
        .collect()
}

/// The exact text a signer signs: every field that gives the sign-off its
/// meaning, one per line.
pub fn signed_text(
    run_id: &str,
    role: &str,
    decision: SignoffDecision,
    comment: &str,
    report_sha256: &str,
    seen_seq: u64,
) -> String {
    format!(
        "flightdeck sign-off v1\nrun: {run_id}\nrole: {role}\ndecision: {}\ncomment: {}\nreport.json sha256: {report_sha256}\njournal seq: {seen_seq}\n",
        decision.as_str(),
        comment.replace('\n', " ")
    )
}

/// What a person asked to sign.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// The role.
    pub role: &'a str,
    /// Approve or reject.
    pub decision: SignoffDecision,
    /// Why.
    pub comment: &'a str,
    /// SHA-256 (hex) of `report.json` as they saw it.
    pub report_sha256: &'a str,
    /// The journal sequence they had seen.
    pub seen_seq: u64,
    /// Their armored SSH signature over [`signed_text`], if any.
    pub signature: Option<&'a str>,
}

/// Whether `actor` started this run (self-approval).
fn is_owner(state: &RunState, actor: &Actor) -> bool {
    let Some(info) = &state.info else {
        return false;
    };
    match (
        info.operator_identity.as_ref().and_then(|o| o.uid),
        actor.uid,
    ) {
        (Some(a), Some(b)) => a == b,
        _ => info.operator == actor.name,
    }
}

/// Check an attempt against the rules and the run; `Ok` is the sign-off to
/// journal, `Err` why it is refused.
pub async fn check(
    g: &GateSection,
    state: &RunState,
    actor: &Actor,
    a: Attempt<'_>,
) -> Result<Signoff, String> {
    let Some(view) = state.awaiting_signoff() else {
        return Err("the run does not wait for a sign-off".into());
    };
    let Some(rule) = g.signoffs.iter().find(|r| r.role == a.role) else {
        let roles: Vec<&str> = view.needed.iter().map(|n| n.role.as_str()).collect();
        return Err(format!(
            "no role `{}` (roles: {})",
            a.role,
            roles.join(", ")
        ));
    };
    if let Some(done) = view.given_for(a.role) {
        return Err(format!(
            "{} was already signed by {}",
            a.role,
            done.actor.described()
        ));
    }
    let uid = actor.uid.unwrap_or(u32::MAX);
    if !rule.who.iter().any(|w| w.matches(uid, Some(&actor.name))) {
        let who: Vec<String> = rule.who.iter().map(ToString::to_string).collect();
        return Err(format!(
            "{} may not sign {} (who: {})",
            actor.described(),
            a.role,
            who.join(", ")
        ));
    }
    if !rule.self_approval && is_owner(state, actor) {
        return Err(format!(
            "self-approval is forbidden for {}: {} started this run",
            a.role, actor.name
        ));
    }
    if a.seen_seq == 0 || a.seen_seq > state.events_applied {
        return Err(format!(
            "journal sequence {} is not one this run has written",
            a.seen_seq
        ));
    }
    if a.report_sha256.len() != 64 || !a.report_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("report_sha256 is not a SHA-256 in hex".into());
    }
    let run_id = state.info.as_ref().map_or("", |i| i.run_id.as_str());
    let signature = match a.signature {
        Some(sig) => {
            let text = signed_text(
                run_id,
                a.role,
                a.decision,
                a.comment,
                a.report_sha256,
                a.seen_seq,
            );
            let (verified, detail) = match &g.allowed_signers {
                Some(allowed) => verify(allowed, &actor.name, &text, sig).await,
                None => (false, "no gate.allowed_signers to verify against".into()),
            };
            Some(SshSignature {
                namespace: SSH_NAMESPACE.into(),
                principal: actor.name.clone(),
                signed_text: text,
                signature: sig.to_string(),
                verified,
                detail,
            })
        }
        None => None,
    };
    if rule.signature && !signature.as_ref().is_some_and(|s| s.verified) {
        return Err(format!(
            "{} needs an SSH signature that verifies against gate.allowed_signers ({})",
            a.role,
            signature
                .as_ref()
                .map_or("none was given".to_string(), |s| s.detail.clone())
        ));
    }
    Ok(Signoff {
        role: a.role.to_string(),
        decision: a.decision,
        comment: a.comment.to_string(),
        actor: actor.clone(),
        report_sha256: a.report_sha256.to_ascii_lowercase(),
        seen_seq: a.seen_seq,
        signature,
    })
}

/// `ssh-keygen -Y verify` of `signature` over `text` for `principal`:
/// whether it verified, and what ssh-keygen said.
pub async fn verify(
    allowed: &Path,
    principal: &str,
    text: &str,
    signature: &str,
) -> (bool, String) {
    let dir = match tempfile_dir() {
        Ok(d) => d,
        Err(e) => return (false, e),
    };
    let sig = dir.join("signoff.sig");
    if let Err(e) = std::fs::write(&sig, signature) {
        return (false, format!("cannot write the signature to verify: {e}"));
    }
    let spawned = tokio::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", SSH_NAMESPACE, "-s"])
        .arg(&sig)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let result = match spawned {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(text.as_bytes()).await;
            }
            match tokio::time::timeout(Duration::from_secs(10), child.wait_with_output()).await {
                Ok(Ok(o)) => {
                    let said = format!(
                        "{}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    );
                    (o.status.success(), said.trim().to_string())
                }
                Ok(Err(e)) => (false, format!("ssh-keygen: {e}")),
                Err(_) => (false, "ssh-keygen did not answer within 10 s".into()),
            }
        }
        Err(e) => (false, format!("cannot run ssh-keygen: {e}")),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A private temporary directory for one verification.
fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = std::env::temp_dir().join(format!(
        "flightdeck-signoff-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    Ok(dir)
}

/// What the sign-offs do to the gate's decision.
pub fn apply(mut d: Decision, v: &SignoffView) -> Decision {
    if let Some(r) = v.rejection() {
        d.outcome = Outcome::NoGo;
        d.rationale = format!(
            "sign-off rejected by {} ({}): {}",
            r.actor.described(),
            r.role,
            r.comment
        );
    } else if let Some(missing) = &v.timed_out {
        d.outcome = Outcome::Inconclusive;
        d.rationale = format!(
            "{}; no sign-off from {} in time",
            d.rationale,
            missing.join(", ")
        );
    } else if !v.awaiting() && !v.given.is_empty() {
        let who: Vec<String> = v
            .given
            .iter()
            .map(|s| format!("{}: {}", s.role, s.actor.name))
            .collect();
        d.rationale = format!("{}; signed off by {}", d.rationale, who.join(", "));
    }
    d
}
