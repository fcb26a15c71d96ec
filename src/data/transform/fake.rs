//! Realistic fake values, chosen from a keyed hash so that one source value
//! always gives the same fake. Every fake that a detector would recognise
//! comes from a range reserved for examples and tests (example.com, the
//! 400000 card range, bank code TEST, +44 7700 9, documentation IPs), so the
//! detectors can tell it from real data.

use serde::{Deserialize, Serialize};

use super::keyed::{iban_with_check, luhn_digit};

/// The kind of fake value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FakeKind {
    /// `First Last`.
    Name,
    /// A first name.
    FirstName,
    /// A last name.
    LastName,
    /// `first.last.xxxxxxxx@example.com`.
    Email,
    /// `+44 7700 9xxxxx`.
    Phone,
    /// `12 Alder Street`.
    Street,
    /// A city.
    City,
    /// Five digits.
    PostalCode,
    /// A GB IBAN with bank code TEST (passes mod-97).
    Iban,
    /// A 16-digit card in the 400000 test range (passes Luhn).
    Card,
    /// A documentation address (192.0.2.0/24...; 2001:db8::/32 when unique).
    Ip,
}

/// Every kind, as written in config.
pub const KINDS: &str =
    "name, first_name, last_name, email, phone, street, city, postal_code, iban, card, ip";

const FIRST: [&str; 32] = [
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy", "Jules",
    "Kai", "Lane", "Milan", "Noor", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum", "Umber",
    "Vale", "Wren", "Xan", "Yael", "Zion", "Arden", "Bellamy", "Cove", "Darcy", "Ellis", "Fable",
];
const LAST: [&str; 32] = [
    "Ashdown",
    "Birchley",
    "Coldwell",
    "Dunmore",
    "Elmstead",
    "Fernhall",
    "Glenrow",
    "Hollins",
    "Ivesdale",
    "Juniper",
    "Kestrel",
    "Larkmoor",
    "Merriden",
    "Northby",
    "Oakhurst",
    "Pennock",
    "Quarry",
    "Rookwood",
    "Stonebridge",
    "Thornbury",
    "Underhill",
    "Vinecombe",
    "Westbrook",
    "Yarrow",
    "Zephyrine",
    "Alderney",
    "Brackwater",
    "Copperfield",
    "Dovecote",
    "Eastwick",
    "Foxglove",
    "Greyling",
];
const STREETS: [&str; 16] = [
    "Alder", "Beacon", "Cedar", "Dale", "Elm", "Forge", "Garden", "Harbour", "Ivy", "Juniper",
    "Kiln", "Linden", "Mill", "Orchard", "Quay", "Rowan",
];
const STREET_KINDS: [&str; 4] = ["Street", "Road", "Lane", "Avenue"];
const CITIES: [&str; 16] = [
    "Ashford",
    "Brookvale",
    "Carrow",
    "Dunwich",
    "Eastmere",
    "Fairholm",
    "Glenmoor",
    "Hartwell",
    "Ivybridge",
    "Kingsholm",
    "Longford",
    "Marlow",
    "Northwood",
    "Oakham",
    "Pembry",
    "Redcliff",
];

/// Reads numbers out of a keyed hash.
struct Seed<'a> {
    bytes: &'a [u8; 32],
    at: usize,
}

impl Seed<'_> {
    fn next(&mut self) -> u64 {
        let mut v = [0u8; 8];
        for b in &mut v {
            *b = self.bytes[self.at % 32];
            self.at += 1;
        }
        u64::from_le_bytes(v)
    }
    fn pick<'b>(&mut self, list: &[&'b str]) -> &'b str {
        list[(self.next() % list.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        let mut v = self.next();
        for i in 0..n {
            if i > 0 && i % 18 == 0 {
                v = self.next();
            }
            s.push(char::from(b'0' + (v % 10) as u8));
            v /= 10;
        }
        s
    }
    fn base32(&mut self, n: usize) -> String {
        const A: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut v = self.next();
        (0..n)
            .map(|i| {
                if i > 0 && i % 12 == 0 {
                    v = self.next();
                }
                let c = A[(v % 32) as usize] as char;
                v /= 32;
                c
            })
            .collect()
    }
}

/// A fake value of `kind` from a 32-byte keyed hash. `unique` widens the
/// value space so that distinct inputs give distinct outputs (suffixes with
/// 60+ bits of the hash).
pub fn fake(kind: FakeKind, seed: &[u8; 32], unique: bool) -> String {
    let mut s = Seed { bytes: seed, at: 0 };
    let tag = |s: &mut Seed, v: String| {
        if unique {
            format!("{v} {}", s.base32(12))
        } else {
            v
        }
    };
    match kind {
        FakeKind::Name => {
            let v = format!("{} {}", s.pick(&FIRST), s.pick(&LAST));
            tag(&mut s, v)
        }
        FakeKind::FirstName => {
            let v = s.pick(&FIRST).to_string();
            tag(&mut s, v)
        }
        FakeKind::LastName => {
            let v = s.pick(&LAST).to_string();
            tag(&mut s, v)
        }
        FakeKind::Email => {
            let first = s.pick(&FIRST).to_lowercase();
            let last = s.pick(&LAST).to_lowercase();
            let n = if unique { 13 } else { 8 };
            format!("{first}.{last}.{}@example.com", s.base32(n))
        }
        FakeKind::Phone => {
            if unique {
                format!("+44 7700 9{}", s.digits(10))
            } else {
                format!("+44 7700 9{}", s.digits(5))
            }
        }
        FakeKind::Street => {
            let v = format!(
                "{} {} {}",
                1 + s.next() % 199,
                s.pick(&STREETS),
                s.pick(&STREET_KINDS)
            );
            tag(&mut s, v)
        }
        FakeKind::City => {
            let v = s.pick(&CITIES).to_string();
            tag(&mut s, v)
        }
        FakeKind::PostalCode => {
            if unique {
                s.digits(12)
            } else {
                s.digits(5)
            }
        }
        FakeKind::Iban => iban_with_check("GB", &format!("TEST{}", s.digits(14))),
        FakeKind::Card => {
            let body = format!("400000{}", s.digits(9));
            format!("{body}{}", luhn_digit(&body))
        }
        FakeKind::Ip => {
            if unique {
                let a = s.next();
                format!(
                    "2001:db8:{:x}:{:x}:{:x}:{:x}::1",
                    a & 0xffff,
                    (a >> 16) & 0xffff,
                    (a >> 32) & 0xffff,
                    (a >> 48) & 0xffff
                )
            } else {
                let net = ["192.0.2", "198.51.100", "203.0.113"][(s.next() % 3) as usize];
                format!("{net}.{}", 1 + s.next() % 254)
            }
        }
    }
}
