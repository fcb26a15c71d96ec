//! Stable finding fingerprints.

use sha2::{Digest, Sha256};

/// A stable fingerprint from parts: hex SHA-256 of the parts joined by NUL, first 32 chars.
pub fn fingerprint_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    digest
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::fingerprint_of;

    #[test]
    fn fingerprints_are_stable_and_separate_their_parts() {
        assert_eq!(fingerprint_of(&["a", "b"]), fingerprint_of(&["a", "b"]));
        assert_ne!(fingerprint_of(&["a", "b"]), fingerprint_of(&["ab"]));
        assert_eq!(fingerprint_of(&["a"]).len(), 32);
    }
}
