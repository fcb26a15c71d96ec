//! The fast path of a table's copy: PostgreSQL's binary COPY format both
//! ways. The source does not format values as text and the target does not
//! parse them (the target's COPY FROM is the slowest part of the pipe), and
//! every untouched field passes through as its length and bytes. Taken when
//! every column is of a built-in type (so no type oid in the data can
//! differ between source and target) and every transformed column is text
//! whose binary form is its UTF-8 bytes, with a transformer that reads
//! nothing but the value.

use bytes::{Buf, BufMut, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio_postgres::Client;

use super::DataError;
use super::catalog::Column;
use super::collisions::Collisions;
use super::conn::db_message;
use super::copy_step::{OnRows, Step};
use super::transform::{self, Context, HmacKey, Transformer};

/// The binary COPY signature, then flags and header extension length (0).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// Bytes sent to the target per COPY message.
const BATCH: usize = 256 * 1024;

/// Whether a table takes the binary path.
pub(super) fn eligible(cols: &[&Column], steps: &[Step]) -> bool {
    cols.iter().all(|c| c.builtin)
        && steps.iter().all(|s| {
            let ty = cols[s.index].type_name.as_str();
            let text = ty == "text"
                || ty == "character"
                || ty.starts_with("character varying")
                || ty.starts_with("character(");
            text && matches!(
                s.transformer,
                Transformer::Null
                    | Transformer::Hash
                    | Transformer::Hmac
                    | Transformer::Fake { .. }
                    | Transformer::Mask { .. }
            )
        })
}

/// Rows and bytes copied.
pub(super) struct Copied {
    pub rows: u64,
    pub bytes: u64,
}

/// Copy `list` of `sql_name` from `src` to `tgt` in binary, transforming
/// `steps`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn copy(
    src: &Client,
    tgt: &Client,
    full: &str,
    sql_name: &str,
    list: &str,
    ncols: usize,
    steps: &[Step],
    key: &HmacKey,
    collisions: &Collisions,
    on_rows: OnRows<'_>,
) -> Result<Copied, DataError> {
    let fail = |what: &str, e: tokio_postgres::Error| {
        DataError::Copy(format!("copying {full}: {what}: {}", db_message(&e)))
    };
    let stream = src
        .copy_out(&format!(
            "COPY {sql_name} ({list}) TO STDOUT (FORMAT binary)"
        ))
        .await
        .map_err(|e| fail("reading the source", e))?;
    let sink = tgt
        .copy_in(&format!(
            "COPY {sql_name} ({list}) FROM STDIN (FORMAT binary)"
        ))
        .await
        .map_err(|e| fail("writing the target", e))?;
    futures::pin_mut!(stream, sink);
    let mut step_of: Vec<Option<&Step>> = vec![None; ncols];
    for s in steps {
        step_of[s.index] = Some(s);
    }
    let mut parser = Parser::default();
    let mut out = BytesMut::with_capacity(BATCH + 64 * 1024);
    out.put_slice(HEADER);
    let mut fields: Vec<(usize, i32)> = Vec::with_capacity(ncols);
    let (mut rows, mut bytes) = (0u64, 0u64);
    let mut last_report = std::time::Instant::now();
    let mut ended = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fail("reading the source", e))?;
        parser.pending.extend_from_slice(&chunk);
        loop {
            match parser
                .next(&mut fields)
                .map_err(|m| DataError::Copy(format!("copying {full}: {m}")))?
            {
                Tuple::Incomplete => break,
                Tuple::End => {
                    ended = true;
                    break;
                }
                Tuple::Row => {}
            }
            rows += 1;
            if fields.len() != ncols {
                return Err(DataError::Copy(format!(
                    "copying {full}: the source sent {} fields in row {rows}, {ncols} expected",
                    fields.len()
                )));
            }
            out.put_i16(ncols as i16);
            for (i, (start, len)) in fields.iter().enumerate() {
                let Some(step) = step_of[i] else {
                    if *len < 0 {
                        out.put_i32(-1);
                    } else {
                        out.put_slice(&parser.pending[start - 4..start + *len as usize]);
                    }
                    continue;
                };
                if *len < 0 {
                    out.put_i32(-1);
                    continue;
                }
                let raw = &parser.pending[*start..start + *len as usize];
                let value = String::from_utf8_lossy(raw);
                put_transformed(step, &value, key, collisions, &mut out).map_err(|why| {
                    DataError::Copy(format!(
                        "copying {full}: column {} row {rows}: {} cannot transform the value: {why}",
                        step.name,
                        step.transformer.name()
                    ))
                })?;
            }
            parser.consume();
        }
        parser.compact();
        if out.len() >= BATCH {
            bytes += out.len() as u64;
            sink.send(out.split().freeze())
                .await
                .map_err(|e| fail("writing the target", e))?;
        }
        if last_report.elapsed().as_secs() >= 1 {
            on_rows(rows);
            last_report = std::time::Instant::now();
        }
    }
    if !ended {
        return Err(DataError::Copy(format!(
            "copying {full}: the source's binary COPY stopped before its end marker"
        )));
    }
    out.put_i16(-1);
    bytes += out.len() as u64;
    sink.send(out.split().freeze())
        .await
        .map_err(|e| fail("writing the target", e))?;
    sink.as_mut()
        .finish()
        .await
        .map_err(|e| fail("finishing the target's COPY", e))?;
    Ok(Copied { rows, bytes })
}

/// One transformed text value as a binary field (length, UTF-8 bytes).
fn put_transformed(
    step: &Step,
    value: &str,
    key: &HmacKey,
    collisions: &Collisions,
    out: &mut BytesMut,
) -> Result<(), String> {
    let attempt = if step.unique {
        collisions.attempt(&step.tag, value)
    } else {
        0
    };
    if step.transformer == Transformer::Hmac && attempt == 0 {
        // The common case without an allocation: 16 bytes of the MAC as hex.
        const H: &[u8; 16] = b"0123456789abcdef";
        let mac = key.mac(&[b"hmac:", value.as_bytes()]);
        out.put_i32(32);
        for b in &mac[..16] {
            out.put_u8(H[(b >> 4) as usize]);
            out.put_u8(H[(b & 15) as usize]);
        }
        return Ok(());
    }
    let cx = Context {
        key,
        row_key: "",
        unique: step.unique,
        attempt,
        integer: step.integer,
        row: &[],
    };
    match transform::apply(&step.transformer, Some(value), &cx)? {
        None => out.put_i32(-1),
        Some(v) => {
            let len = i32::try_from(v.len()).map_err(|_| "the output is too long".to_string())?;
            out.put_i32(len);
            out.put_slice(v.as_bytes());
        }
    }
    Ok(())
}

/// What the parser found next.
pub(super) enum Tuple {
    /// A row: its fields are in the vector handed to `next`.
    Row,
    /// The end marker.
    End,
    /// More bytes needed.
    Incomplete,
}

/// A binary COPY stream, parsed as its chunks arrive.
#[derive(Default)]
pub(super) struct Parser {
    /// Bytes received and not yet dropped.
    pub pending: BytesMut,
    /// Where the current row starts in `pending`.
    at: usize,
    /// Where the next row starts (after `next` gave a row).
    next_at: usize,
    header_done: bool,
}

impl Parser {
    /// Parse the next tuple from `at`; a row's fields go to `fields` as
    /// (offset of the data in `pending`, length or -1 for NULL).
    pub fn next(&mut self, fields: &mut Vec<(usize, i32)>) -> Result<Tuple, String> {
        let buf = &self.pending[..];
        if !self.header_done {
            if buf.len() < 19 {
                return Ok(Tuple::Incomplete);
            }
            if &buf[..11] != b"PGCOPY\n\xff\r\n\0" {
                return Err("the source's binary COPY has no signature".into());
            }
            let ext = i32::from_be_bytes([buf[15], buf[16], buf[17], buf[18]]);
            let end = 19 + usize::try_from(ext).map_err(|_| "bad header extension")?;
            if buf.len() < end {
                return Ok(Tuple::Incomplete);
            }
            self.header_done = true;
            self.at = end;
        }
        let mut p = self.at;
        if buf.len() < p + 2 {
            return Ok(Tuple::Incomplete);
        }
        let n = i16::from_be_bytes([buf[p], buf[p + 1]]);
        p += 2;
        if n == -1 {
            self.at = p;
            return Ok(Tuple::End);
        }
        fields.clear();
        for _ in 0..n.max(0) {
            if buf.len() < p + 4 {
                return Ok(Tuple::Incomplete);
            }
            let len = i32::from_be_bytes([buf[p], buf[p + 1], buf[p + 2], buf[p + 3]]);
            p += 4;
            if len >= 0 {
                if buf.len() < p + len as usize {
                    return Ok(Tuple::Incomplete);
                }
                fields.push((p, len));
                p += len as usize;
            } else {
                fields.push((p, -1));
            }
        }
        self.next_at = p;
        Ok(Tuple::Row)
    }

    /// The row `next` gave is done with.
    pub fn consume(&mut self) {
        self.at = self.next_at;
    }

    /// Drop the bytes of rows done with.
    pub fn compact(&mut self) {
        self.pending.advance(self.at);
        self.at = 0;
        self.next_at = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[Option<&[u8]>]) -> Vec<u8> {
        let mut v = (fields.len() as i16).to_be_bytes().to_vec();
        for f in fields {
            match f {
                None => v.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(b) => {
                    v.extend_from_slice(&(b.len() as i32).to_be_bytes());
                    v.extend_from_slice(b);
                }
            }
        }
        v
    }

    #[test]
    fn parses_rows_split_anywhere() {
        let mut stream = HEADER.to_vec();
        stream.extend(row(&[Some(b"1"), None, Some(b"ann")]));
        stream.extend(row(&[Some(b""), Some(b"xy"), None]));
        stream.extend_from_slice(&(-1i16).to_be_bytes());
        for cut in 0..stream.len() {
            let mut p = Parser::default();
            let mut got = Vec::new();
            let mut fields = Vec::new();
            let mut ended = false;
            for part in [&stream[..cut], &stream[cut..]] {
                p.pending.extend_from_slice(part);
                loop {
                    match p.next(&mut fields).unwrap() {
                        Tuple::Incomplete => break,
                        Tuple::End => {
                            ended = true;
                            break;
                        }
                        Tuple::Row => {
                            let r: Vec<Option<Vec<u8>>> = fields
                                .iter()
                                .map(|(s, l)| {
                                    (*l >= 0).then(|| p.pending[*s..s + *l as usize].to_vec())
                                })
                                .collect();
                            got.push(r);
                            p.consume();
                        }
                    }
                }
                p.compact();
            }
            assert!(ended, "cut at {cut}");
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert_eq!(got[0][2].as_deref(), Some(&b"ann"[..]));
            assert_eq!(got[1][0].as_deref(), Some(&b""[..]));
            assert_eq!(got[1][2], None);
        }
    }

    #[test]
    fn refuses_a_stream_without_signature() {
        let mut p = Parser::default();
        p.pending.extend_from_slice(b"not a binary copy stream");
        assert!(p.next(&mut Vec::new()).is_err());
    }
}
