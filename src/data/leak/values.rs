//! The keyed set of the source's personal values: 64-bit SipHash outputs
//! (with a key drawn for this scan and never stored) of their normalised
//! form, and the lookup of a target value, whole or a run of its words.

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// Longest run of words looked up inside free text.
const MAX_WORDS: usize = 4;
/// Shortest value looked up as a substring of free text.
const MIN_SUBSTRING: usize = 4;

/// The set's own hasher: its keys are already keyed SipHash outputs,
/// uniform in every bit, so hashing them again (as `HashSet<u64>` does by
/// default) would only cost a second SipHash per lookup.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (the keys are u64); fold anything else.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// The keyed set of the source's personal values.
pub struct ValueSet {
    hasher: RandomState,
    exact: HashSet<u64, BuildHasherDefault<Identity>>,
    words: usize,
    /// Values hashed.
    pub values: u64,
}

/// Lower case, whitespace collapsed, trimmed.
pub fn normalise(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    normalise_into(v, &mut out);
    out
}

/// [`normalise`] into a buffer kept across values.
fn normalise_into(v: &str, out: &mut String) {
    out.clear();
    for w in v.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if w.is_ascii() {
            out.extend(w.bytes().map(|b| b.to_ascii_lowercase() as char));
        } else {
            for c in w.chars() {
                out.extend(c.to_lowercase());
            }
        }
    }
}

/// Whether `v` is its own normal form (ASCII, no capitals, no whitespace),
/// the common case of a transformed value, which then needs no copy.
fn already_normal(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && !b.is_ascii_whitespace())
}

/// Buffers one scanner keeps across values, so that a value costs no
/// allocation.
#[derive(Default)]
pub struct Scratch {
    normal: String,
    window: String,
    words: Vec<(usize, usize)>,
}

impl ValueSet {
    pub(super) fn new() -> ValueSet {
        ValueSet {
            hasher: RandomState::new(),
            exact: HashSet::default(),
            words: 1,
            values: 0,
        }
    }

    /// Room for `n` values, so that the set does not rehash as it grows.
    pub(super) fn reserve(&mut self, n: usize) {
        self.exact.reserve(n);
    }

    /// One value (the scan adds them in batches, [`ValueSet::add`]).
    #[cfg(test)]
    pub(super) fn insert(&mut self, v: &str) {
        if let Some(k) = self.key_of(v, &mut String::new()) {
            self.add(&[k]);
        }
    }

    /// The keyed hash of `v`'s normal form (None when that is empty),
    /// `normal` a buffer kept across values.
    pub(super) fn key_of(&mut self, v: &str, normal: &mut String) -> Option<u64> {
        if already_normal(v) {
            return Some(self.hasher.hash_one(v));
        }
        normalise_into(v, normal);
        if normal.is_empty() {
            return None;
        }
        self.words = self.words.max(normal.split(' ').count().min(MAX_WORDS));
        Some(self.hasher.hash_one(normal.as_str()))
    }

    /// Add keys from [`ValueSet::key_of`], gathered so that their cache
    /// misses overlap (see [`ValueSet::each`]).
    pub(super) fn add(&mut self, keys: &[u64]) {
        self.exact.extend(keys);
        self.values += keys.len() as u64;
    }

    /// Whether `v` (whole, or a run of its words) is a source value.
    pub fn hit(&self, v: &str) -> bool {
        let mut probes = Vec::new();
        self.probes(v, &mut Scratch::default(), &mut probes);
        probes.iter().any(|h| self.exact.contains(h))
    }

    /// Whether each of `probes` (from [`ValueSet::probes`]) is in the set,
    /// into `hits`.
    ///
    /// A lookup in a set of millions is a cache miss; in this loop the
    /// lookups do not depend on each other, so the processor waits for
    /// many misses at once, where one lookup per value between the other
    /// work on it would wait for each in turn. The scan gathers a batch.
    pub fn each(&self, probes: &[u64], hits: &mut Vec<bool>) {
        hits.clear();
        hits.extend(probes.iter().map(|h| self.exact.contains(h)));
    }

    /// Push onto `out` the keyed hashes to look up for `v`: its normal
    /// form, and inside free text each run of up to as many words as the
    /// longest source value has, of 4 characters or more.
    pub fn probes(&self, v: &str, s: &mut Scratch, out: &mut Vec<u64>) {
        if already_normal(v) {
            out.push(self.hasher.hash_one(v));
            // One word: inside it only itself trimmed of punctuation.
            let t = trim_word(v);
            if t.len() != v.len() && t.chars().count() >= MIN_SUBSTRING {
                out.push(self.hasher.hash_one(t));
            }
            return;
        }
        normalise_into(v, &mut s.normal);
        let n = s.normal.as_str();
        if n.is_empty() {
            return;
        }
        out.push(self.hasher.hash_one(n));
        s.words.clear();
        let mut at = 0;
        for w in n.split(' ') {
            let t = trim_word(w);
            let start = at + w.find(t).unwrap_or(0);
            s.words.push((start, start + t.len()));
            at += w.len() + 1;
        }
        if s.words.len() < 2 && s.words.first().is_none_or(|(a, b)| b - a == n.len()) {
            return;
        }
        for len in 1..=self.words.min(s.words.len()) {
            for win in s.words.windows(len) {
                s.window.clear();
                for (i, (a, b)) in win.iter().enumerate() {
                    if i > 0 {
                        s.window.push(' ');
                    }
                    s.window.push_str(&n[*a..*b]);
                }
                if s.window.chars().count() >= MIN_SUBSTRING {
                    out.push(self.hasher.hash_one(s.window.as_str()));
                }
            }
        }
    }
}

/// A word without the punctuation around it (an `@` stays: it is part of
/// an address).
fn trim_word(w: &str) -> &str {
    w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_normalised_and_inside_free_text() {
        let mut s = ValueSet::new();
        s.insert("Ann  Smith");
        s.insert("ann@corp.io");
        s.insert("Bo");
        assert!(s.hit("ann smith"));
        assert!(s.hit(" ANN@CORP.IO "));
        assert!(s.hit("Called Ann Smith about the refund."));
        assert!(s.hit("mail sent to ann@corp.io, no answer"));
        assert!(s.hit("bo"));
        // Short values only match whole.
        assert!(!s.hit("bo went home"));
        assert!(!s.hit("Annie Smithers"));
        // One word with punctuation around it, and a value already normal.
        assert!(s.hit("(ann@corp.io)"));
        assert!(s.hit("ann@corp.io"));
        assert!(!s.hit("ann@corp.iox"));
        // Buffers kept across values give the same answers.
        let (mut scratch, mut probes, mut hits) = (Scratch::default(), Vec::new(), Vec::new());
        let values = ["Ann Smith", "x", "ANN SMITH!", "ann smith", "", "Bo"];
        let mut ranges = Vec::new();
        for v in values {
            let from = probes.len();
            s.probes(v, &mut scratch, &mut probes);
            ranges.push(from..probes.len());
        }
        s.each(&probes, &mut hits);
        for (v, r) in values.iter().zip(ranges) {
            assert_eq!(hits[r].iter().any(|h| *h), s.hit(v), "{v}");
        }
    }
}
