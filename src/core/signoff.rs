//! Sign-offs as journalled: who must sign before GO, and each sign-off with
//! the identity of the person who gave it, how they were identified, what
//! they saw (the hash of `report.json` and the journal sequence), and an
//! optional SSH signature. The rules live in `crate::gate`.

use serde::{Deserialize, Serialize};

use crate::core::actor::Actor;

/// One sign-off the gate asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignoffNeed {
    /// The role, e.g. `security`.
    pub role: String,
    /// Who may give it (account names or uids), as written.
    pub who: Vec<String>,
    /// Whether GO waits for it.
    pub required: bool,
    /// Whether the run's own operator may give it.
    pub self_approval: bool,
    /// Whether it must carry a verified `ssh-keygen -Y sign` signature.
    pub signature: bool,
}

/// Approve or reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignoffDecision {
    /// The release may go, as far as this role is concerned.
    Approve,
    /// It may not: the run is NO-GO, with the comment as the reason.
    Reject,
}

impl SignoffDecision {
    /// `approve` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignoffDecision::Approve => "approve",
            SignoffDecision::Reject => "reject",
        }
    }
}

/// An SSH signature over a sign-off's text (`ssh-keygen -Y sign`), and
/// whether it verified against the run's `allowed_signers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshSignature {
    /// The signature namespace (`flightdeck-signoff`).
    pub namespace: String,
    /// The principal checked (the signer's account name).
    pub principal: String,
    /// The exact text that was signed.
    pub signed_text: String,
    /// The armored signature.
    pub signature: String,
    /// Whether `ssh-keygen -Y verify` accepted it.
    pub verified: bool,
    /// What the verification said.
    pub detail: String,
}

/// One sign-off, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signoff {
    /// The role signed.
    pub role: String,
    /// Approve or reject.
    pub decision: SignoffDecision,
    /// Why, in the signer's words.
    pub comment: String,
    /// Who: account, uid, and how identified (`via`: at this machine's
    /// socket, or over SSH with the client's address).
    pub actor: Actor,
    /// SHA-256 (hex) of `report.json` as the signer saw it.
    pub report_sha256: String,
    /// The journal sequence the signer had seen.
    pub seen_seq: u64,
    /// The signer's SSH signature, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SshSignature>,
}
