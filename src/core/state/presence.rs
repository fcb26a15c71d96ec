//! Who is attached to the run now, in which role: folded from
//! `peer_joined`, `role_granted` and `peer_left`, so the owner's header and
//! every attached terminal show the same people.

use crate::core::event::{Envelope, Event};
use crate::core::share::{Peer, Role, RoleSource};
use crate::core::state::RunState;

/// Most peers kept at once; the socket server refuses more long before.
pub const MAX_PEERS: usize = 256;

impl RunState {
    /// The attached peer with this connection number.
    pub fn peer(&self, id: u64) -> Option<&Peer> {
        self.presence.iter().find(|p| p.id == id)
    }

    /// The role of an attached peer (a peer that left has none).
    pub fn role_of(&self, id: u64) -> Option<Role> {
        self.peer(id).map(|p| p.role)
    }
}

/// Fold presence events. The run's end leaves nobody attached.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::PeerJoined { peer } => {
            s.presence.retain(|p| p.id != peer.id);
            if s.presence.len() < MAX_PEERS {
                s.presence.push(peer.clone());
            }
        }
        Event::PeerLeft { id, .. } => s.presence.retain(|p| p.id != *id),
        Event::RoleGranted { id, role, .. } => {
            if let Some(p) = s.presence.iter_mut().find(|p| p.id == *id) {
                p.role = *role;
                p.because = RoleSource::Granted;
            }
        }
        _ => {}
    }
}
