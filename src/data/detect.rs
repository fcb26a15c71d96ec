//! Detectors of personal values: regular expressions confirmed by a
//! checksum or a range where one exists (cards by Luhn, IBANs by mod-97,
//! IP octets). Values from ranges reserved for examples and tests
//! (example.com, card range 400000, bank code TEST, +44 7700 9,
//! documentation networks) are not personal: the `fake` transformer draws
//! from them.

use std::net::{IpAddr, Ipv4Addr};

use regex::Regex;

use super::transform::keyed::{iban_valid, luhn_valid};

/// What a detector found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detector {
    /// An e-mail address.
    Email,
    /// A phone number in international form.
    Phone,
    /// A payment card number (Luhn).
    Card,
    /// An IBAN (mod-97).
    Iban,
    /// An IP address.
    Ip,
    /// A date of birth (a birth-like column name with plausible dates).
    DateOfBirth,
}

impl Detector {
    /// Its name in findings and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::Email => "email",
            Detector::Phone => "phone",
            Detector::Card => "card",
            Detector::Iban => "iban",
            Detector::Ip => "ip",
            Detector::DateOfBirth => "date_of_birth",
        }
    }
}

/// The compiled detectors.
pub struct Detectors {
    email: Regex,
    phone: Regex,
    card: Regex,
    iban: Regex,
    ipv4: Regex,
    date: Regex,
}

impl Default for Detectors {
    fn default() -> Self {
        Detectors::new()
    }
}

impl Detectors {
    /// Compile them.
    pub fn new() -> Detectors {
        let re = |p: &str| Regex::new(p).expect("a detector pattern compiles");
        Detectors {
            email: re(r"[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})"),
            phone: re(r"(?:\+|\b00)\d[\d \-().]{7,17}\d\b"),
            card: re(r"\b\d(?:[ -]?\d){12,18}\b"),
            iban: re(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"),
            ipv4: re(r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b"),
            date: re(r"^(\d{4})-\d{2}-\d{2}"),
        }
    }

    /// The first detector that matches anywhere in `v`.
    pub fn find(&self, v: &str) -> Option<Detector> {
        let shape = Shape::of(v.as_bytes());
        if shape.at {
            for c in self.email.captures_iter(v) {
                let domain = c
                    .get(1)
                    .map(|m| m.as_str().to_ascii_lowercase())
                    .unwrap_or_default();
                if !reserved_domain(&domain) {
                    return Some(Detector::Email);
                }
            }
        }
        let digits = shape.digits;
        if digits >= 4 && shape.dot {
            for m in self.ipv4.find_iter(v) {
                if let Ok(ip) = m.as_str().parse::<Ipv4Addr>()
                    && !reserved_ipv4(ip)
                {
                    return Some(Detector::Ip);
                }
            }
        }
        if shape.colon
            && let Ok(IpAddr::V6(ip)) = v.trim().parse::<IpAddr>()
        {
            let s = ip.segments();
            let documentation = s[0] == 0x2001 && s[1] == 0xdb8;
            if !(documentation || ip.is_loopback() || ip.is_unspecified()) {
                return Some(Detector::Ip);
            }
        }
        if digits < 9 {
            return None;
        }
        if shape.card_run {
            for m in self.card.find_iter(v) {
                let d: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
                if luhn_valid(&d)
                    && !d.starts_with("400000")
                    && !d.bytes().all(|b| b == d.as_bytes()[0])
                {
                    return Some(Detector::Card);
                }
            }
        }
        if shape.iban_start {
            for m in self.iban.find_iter(v) {
                let s: String = m.as_str().chars().filter(|c| *c != ' ').collect();
                if iban_valid(&s) && s.get(4..8) != Some("TEST") {
                    return Some(Detector::Iban);
                }
            }
        }
        if shape.phone_start {
            for m in self.phone.find_iter(v) {
                let s = m.as_str();
                let n = s.bytes().filter(u8::is_ascii_digit).count();
                if (9..=15).contains(&n) && !s.starts_with("+44 7700 9") {
                    return Some(Detector::Phone);
                }
            }
        }
        None
    }

    /// Whether a whole value is a plausible date of birth (1900 to today).
    pub fn birth_date(&self, v: &str) -> bool {
        let year = self
            .date
            .captures(v)
            .and_then(|c| c.get(1))
            .and_then(|y| y.as_str().parse::<i32>().ok());
        let now = chrono::Utc::now()
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap_or(2100);
        year.is_some_and(|y| (1900..=now).contains(&y))
    }
}

/// What one pass over a value tells about which patterns can match at all,
/// so that the regular expressions run only where they might (the leak
/// scan runs the detectors on every value of the target).
struct Shape {
    digits: usize,
    /// A run of digits, spaces and dashes holding 13 digits or more.
    card_run: bool,
    /// Two capital letters followed by two digits.
    iban_start: bool,
    /// A `+`, or `00` at a word boundary (the phone pattern's `\b00`).
    phone_start: bool,
    /// An `@` (e-mail).
    at: bool,
    /// A `.` (IPv4).
    dot: bool,
    /// A `:` (IPv6).
    colon: bool,
}

/// Byte classes for [`Shape::of`].
const DIGIT: u8 = 1;
/// A space or a dash: a card number's digits may be grouped by them.
const GROUP: u8 = 2;
/// A byte of a word (`\b` sits between a word byte and another).
const WORD: u8 = 4;
const UPPER: u8 = 8;
const AT: u8 = 16;
const DOT: u8 = 32;
const COLON: u8 = 64;
const PLUS: u8 = 128;

/// The class of every byte (non-ASCII bytes have none).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            DIGIT | WORD
        } else if c.is_ascii_uppercase() {
            UPPER | WORD
        } else if c.is_ascii_lowercase() || c == b'_' {
            WORD
        } else {
            match c {
                b' ' | b'-' => GROUP,
                b'@' => AT,
                b'.' => DOT,
                b':' => COLON,
                b'+' => PLUS,
                _ => 0,
            }
        };
        b += 1;
    }
    t
};

impl Shape {
    /// One pass without a branch per byte: a hash's hex digits and letters
    /// come in random order, and a branch on each would be mispredicted
    /// about every other byte.
    fn of(v: &[u8]) -> Shape {
        let (mut all, mut digits, mut run, mut longest) = (0u8, 0usize, 0u32, 0u32);
        // `\b00`: a zero after a boundary, then a zero.
        let (mut boundary_zero, mut word_before, mut zeros) = (0u8, 0u8, 0u8);
        for &b in v {
            let c = CLASS[usize::from(b)];
            all |= c;
            let d = c & DIGIT;
            digits += usize::from(d);
            // Digits count up the run, groupings keep it, anything else ends it.
            run = (run + u32::from(d)) * u32::from(c & (DIGIT | GROUP) != 0);
            longest = longest.max(run);
            let zero = u8::from(b == b'0');
            zeros |= boundary_zero & zero;
            boundary_zero = zero & (word_before ^ 1);
            word_before = u8::from(c & WORD != 0);
        }
        // Two capitals then two digits: looked for only where capitals are.
        let iban_start = all & UPPER != 0
            && v.windows(4).any(|w| {
                w[0].is_ascii_uppercase()
                    && w[1].is_ascii_uppercase()
                    && w[2].is_ascii_digit()
                    && w[3].is_ascii_digit()
            });
        Shape {
            digits,
            card_run: longest >= 13,
            iban_start,
            phone_start: zeros != 0 || all & PLUS != 0,
            at: all & AT != 0,
            dot: all & DOT != 0,
            colon: all & COLON != 0,
        }
    }
}

fn reserved_domain(d: &str) -> bool {
    ["example.com", "example.net", "example.org"].contains(&d)
        || [".example", ".test", ".invalid", ".localhost"]
            .iter()
            .any(|s| d.ends_with(s))
}

fn reserved_ipv4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    (o[0] == 192 && o[1] == 0 && o[2] == 2)
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)
        || ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_broadcast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Flags(usize, bool, bool, bool, bool, bool, bool);

    fn flags(s: Shape) -> Flags {
        Flags(
            s.digits,
            s.card_run,
            s.iban_start,
            s.phone_start,
            s.at,
            s.dot,
            s.colon,
        )
    }

    /// The shape as the straightforward loop computes it.
    fn reference(v: &[u8]) -> Shape {
        let (mut digits, mut run, mut card_run) = (0, 0, false);
        let (mut iban_start, mut phone_start) = (false, false);
        let (mut at, mut dot, mut colon) = (false, false, false);
        for (i, b) in v.iter().enumerate() {
            match b {
                b'0'..=b'9' => {
                    digits += 1;
                    run += 1;
                    card_run |= run >= 13;
                    // Inside a word (hex of a hash) `\b00` cannot match;
                    // a non-ASCII byte before may be a boundary: kept.
                    phone_start |= *b == b'0'
                        && v.get(i + 1) == Some(&b'0')
                        && (i == 0 || {
                            let p = v[i - 1];
                            !(p.is_ascii_alphanumeric() || p == b'_')
                        });
                }
                b' ' | b'-' => {}
                b'+' => {
                    phone_start = true;
                    run = 0;
                }
                b'A'..=b'Z' => {
                    iban_start |= v.get(i + 1).is_some_and(u8::is_ascii_uppercase)
                        && v.get(i + 2).is_some_and(u8::is_ascii_digit)
                        && v.get(i + 3).is_some_and(u8::is_ascii_digit);
                    run = 0;
                }
                b'@' => {
                    at = true;
                    run = 0;
                }
                b'.' => {
                    dot = true;
                    run = 0;
                }
                b':' => {
                    colon = true;
                    run = 0;
                }
                _ => run = 0,
            }
        }
        Shape {
            digits,
            card_run,
            iban_start,
            phone_start,
            at,
            dot,
            colon,
        }
    }

    #[test]
    fn the_branchless_shape_agrees_with_the_straightforward_loop() {
        let alphabet = b"0123456789aAZ_ -+@.:/\xc3\xa9";
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let v: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(flags(Shape::of(&v)), flags(reference(&v)), "{v:?}");
        }
        for v in ["00331", "a00", " 00", "GB82", "4111 1111-1111 1111", "x+1"] {
            assert_eq!(
                flags(Shape::of(v.as_bytes())),
                flags(reference(v.as_bytes())),
                "{v}"
            );
        }
    }

    #[test]
    fn true_positives() {
        let d = Detectors::new();
        assert_eq!(d.find("ann.smith@corp.io"), Some(Detector::Email));
        assert_eq!(d.find("write to ann@corp.io today"), Some(Detector::Email));
        assert_eq!(d.find("+33 6 12 34 56 78"), Some(Detector::Phone));
        assert_eq!(d.find("call 0033 6 12 34 56 78"), Some(Detector::Phone));
        assert_eq!(d.find("0033612345678"), Some(Detector::Phone));
        assert_eq!(d.find("4111 1111 1111 1111"), Some(Detector::Card));
        assert_eq!(
            d.find("paid with 5555555555554444 yesterday"),
            Some(Detector::Card)
        );
        assert_eq!(d.find("GB82WEST12345698765432"), Some(Detector::Iban));
        assert_eq!(d.find("GB82 WEST 1234 5698 7654 32"), Some(Detector::Iban));
        assert_eq!(d.find("10.1.2.3"), Some(Detector::Ip));
        assert_eq!(d.find("2a01:e0a:1::42"), Some(Detector::Ip));
        assert!(d.birth_date("1984-07-23"));
    }

    #[test]
    fn false_positives_stay_quiet() {
        let d = Detectors::new();
        for v in [
            "no contact here",
            "fable.ashdown.abcd2345@example.com",
            "4111111111111112",
            "4000001234567899",
            "GB83WEST12345698765432",
            "GB29TEST12345612345678",
            "+44 7700 912345",
            "192.0.2.10",
            "2001:db8::1",
            "2024-03-05",
            "order 12345",
            "1234567",
            "version 1.2",
            // hmac output: hex, digits next to letters
            "0012345678901234abcdef0123456789",
            "e3b0c44298fc1c149afbf4c8996fb924",
            "ab0012345678901cd",
        ] {
            assert_eq!(d.find(v), None, "{v}");
        }
        assert!(!d.birth_date("1850-01-01"));
        assert!(!d.birth_date("not a date"));
    }
}
