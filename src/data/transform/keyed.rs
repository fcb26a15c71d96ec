//! The keyed hash behind every deterministic transformer (HMAC-SHA256,
//! RFC 2104, with the key's pads hashed once), and the checksums that make
//! fake cards and IBANs valid.

use sha2::{Digest, Sha256};

use crate::secrets::Secret;

/// HMAC-SHA256 with a fixed key. Debug never shows the key.
#[derive(Clone)]
pub struct HmacKey {
    inner: Sha256,
    outer: Sha256,
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(***)")
    }
}

impl HmacKey {
    /// From a secret value.
    pub fn new(key: &Secret) -> HmacKey {
        HmacKey::from_bytes(key.expose().as_bytes())
    }

    fn from_bytes(key: &[u8]) -> HmacKey {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let mut inner = Sha256::new();
        inner.update(&ipad);
        let mut outer = Sha256::new();
        outer.update(&opad);
        HmacKey { inner, outer }
    }

    /// The MAC of the concatenated parts.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut i = self.inner.clone();
        for p in parts {
            i.update(p);
        }
        let mut o = self.outer.clone();
        o.update(i.finalize());
        o.finalize().into()
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

/// The Luhn check digit for a string of digits.
pub fn luhn_digit(body: &str) -> u8 {
    let mut sum = 0u32;
    for (i, c) in body.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    ((10 - sum % 10) % 10) as u8
}

/// Whether a string of digits passes Luhn.
pub fn luhn_valid(digits: &str) -> bool {
    digits.len() >= 2
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn_digit(&digits[..digits.len() - 1]) == digits.as_bytes()[digits.len() - 1] - b'0'
}

/// ISO 13616 remainder of an IBAN (rearranged, letters as numbers) mod 97.
fn iban_mod97(rearranged: &str) -> Option<u32> {
    let mut r = 0u32;
    for c in rearranged.chars() {
        let v = c.to_digit(36)?;
        if v >= 10 {
            r = (r * 100 + v) % 97;
        } else {
            r = (r * 10 + v) % 97;
        }
    }
    Some(r)
}

/// Whether an IBAN (no spaces) passes mod-97.
pub fn iban_valid(iban: &str) -> bool {
    iban.len() >= 15
        && iban.len() <= 34
        && iban.is_ascii()
        && iban[..2].bytes().all(|b| b.is_ascii_uppercase())
        && iban[2..4].bytes().all(|b| b.is_ascii_digit())
        && iban_mod97(&format!("{}{}", &iban[4..], &iban[..4])) == Some(1)
}

/// An IBAN with correct check digits for `country` and `bban`.
pub fn iban_with_check(country: &str, bban: &str) -> String {
    let r = iban_mod97(&format!("{bban}{country}00")).unwrap_or(0);
    format!("{country}{:02}{bban}", 98 - r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let k = HmacKey::from_bytes(b"Jefe");
        assert_eq!(
            hex(&k.mac(&[b"what do ya want ", b"for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn checksums() {
        assert!(luhn_valid("4111111111111111"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("GB83WEST12345698765432"));
        assert!(iban_valid(&iban_with_check("GB", "TEST12345612345678")));
    }
}
