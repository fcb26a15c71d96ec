//! PostgreSQL's COPY text format, one row at a time: fields split on tabs,
//! `\N` for NULL, backslash escapes. Untouched fields pass through as
//! bytes; only transformed fields are decoded and encoded again.

/// The rows of a COPY text stream, whatever its chunks' boundaries: a
/// chunk's complete rows are handed over in place, only a row cut in two
/// is copied.
#[derive(Default)]
pub struct Lines {
    carry: Vec<u8>,
}

impl Lines {
    /// Hand every complete row (without its newline) of `chunk` to `each`.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        if !self.carry.is_empty() {
            let Some(n) = rest.iter().position(|b| *b == b'\n') else {
                self.carry.extend_from_slice(rest);
                return Ok(());
            };
            self.carry.extend_from_slice(&rest[..n]);
            let line = std::mem::take(&mut self.carry);
            each(&line)?;
            self.carry = line;
            self.carry.clear();
            rest = &rest[n + 1..];
        }
        while let Some(n) = rest.iter().position(|b| *b == b'\n') {
            each(&rest[..n])?;
            rest = &rest[n + 1..];
        }
        self.carry.extend_from_slice(rest);
        Ok(())
    }
}

/// Split a row (without its newline) into its raw fields.
pub fn fields(row: &[u8]) -> impl Iterator<Item = &[u8]> {
    row.split(|b| *b == b'\t')
}

/// Decode one raw field: `None` for NULL.
pub fn decode(raw: &[u8]) -> Option<String> {
    if raw == b"\\N" {
        return None;
    }
    if !raw.contains(&b'\\') {
        return Some(String::from_utf8_lossy(raw).into_owned());
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 == raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let n = raw[i + 1];
        i += 2;
        match n {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'x' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < raw.len() && raw[i].is_ascii_hexdigit() {
                    v = v * 16 + (raw[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'0'..=b'7' => {
                let mut v = u32::from(n - b'0');
                let mut k = 1;
                while k < 3 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    v = v * 8 + u32::from(raw[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Append a value in COPY text form.
pub fn encode(value: Option<&str>, out: &mut Vec<u8>) {
    let Some(v) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for b in v.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_escapes_and_null() {
        for v in ["plain", "tab\there", "new\nline", "back\\slash", ""] {
            let mut out = Vec::new();
            encode(Some(v), &mut out);
            assert_eq!(decode(&out).as_deref(), Some(v));
        }
        assert_eq!(decode(b"\\N"), None);
        assert_eq!(decode(b"a\\x41\\101"), Some("aAA".into()));
        let row = b"1\t\\N\tx";
        assert_eq!(fields(row).count(), 3);
    }

    #[test]
    fn lines_survive_any_chunking() {
        let text = b"a\tb\nccc\n\ndd\n";
        for cut in 0..text.len() {
            let mut lines = Lines::default();
            let mut got: Vec<Vec<u8>> = Vec::new();
            for part in [&text[..cut], &text[cut..]] {
                lines
                    .feed::<()>(part, |l| {
                        got.push(l.to_vec());
                        Ok(())
                    })
                    .unwrap();
            }
            assert_eq!(
                got,
                vec![
                    b"a\tb".to_vec(),
                    b"ccc".to_vec(),
                    b"".to_vec(),
                    b"dd".to_vec()
                ],
                "cut at {cut}"
            );
        }
    }
}
