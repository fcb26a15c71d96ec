//! A lean HTTP/1.1 keep-alive client for the load engine's hot path.
//!
//! A request is serialised once per mix entry ([`WireRequest`]); per request
//! only an optional targeting header is spliced in. Responses are parsed
//! with `httparse` straight out of one reusable read buffer, and bodies are
//! discarded as they arrive (framed by `Content-Length`, chunked encoding,
//! or the end of the connection). No channel, no task and no allocation per
//! request: one `write` and, on a small response, one `read` system call.
//!
//! hyper still serves HTTP/2, and HTTP/1.1 when a request needs what this
//! path does not do (a `Transfer-Encoding` or `Expect` header set by the
//! user), or when `FLIGHTDECK_LOAD_ENGINE=hyper`.

use std::io;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::stats::ErrorKind;

/// Longest response head accepted (hyper's default limit is about 400 KiB).
pub const MAX_HEAD: usize = 400 * 1024;
/// Most response headers parsed.
const MAX_HEADERS: usize = 100;
/// Initial (and usual) read buffer size.
const BUF: usize = 16 * 1024;
/// Bodies up to this size are sent in the same write as the head.
const INLINE_BODY: usize = 16 * 1024;

/// One mix entry, serialised for HTTP/1.1.
#[derive(Clone, Debug)]
pub struct WireRequest {
    /// Request line and headers, each line ending in CRLF, without the
    /// blank line that ends the head.
    head: Vec<u8>,
    body: Bytes,
    /// A HEAD request: the response has no body whatever it announces.
    head_method: bool,
}

impl WireRequest {
    /// Serialise `method target` with `headers` (which include `Host`) and
    /// `body`, the way hyper would: `content-length` is added for a
    /// non-empty body unless the headers already carry one.
    pub fn new(method: &Method, target: &str, headers: &HeaderMap, body: Bytes) -> Self {
        let mut head = Vec::with_capacity(128);
        head.extend_from_slice(method.as_str().as_bytes());
        head.push(b' ');
        head.extend_from_slice(target.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in headers {
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        if !body.is_empty() && !headers.contains_key(http::header::CONTENT_LENGTH) {
            head.extend_from_slice(b"content-length: ");
            head.extend_from_slice(body.len().to_string().as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        WireRequest {
            head,
            body,
            head_method: method == Method::HEAD,
        }
    }

    /// Whether this path can send a request with these headers; otherwise
    /// hyper does (it frames a user-set `Transfer-Encoding` and waits on
    /// `Expect: 100-continue`).
    pub fn supports(headers: &HeaderMap) -> bool {
        !headers.contains_key(http::header::TRANSFER_ENCODING)
            && !headers.contains_key(http::header::EXPECT)
    }
}

/// What a response said, apart from its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
    /// Whether the variant header was present (its value is in
    /// [`Conn::variant`]).
    pub has_variant: bool,
}

#[derive(Clone, Copy, Debug)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// One HTTP/1.1 connection over any stream (TCP or TLS).
pub struct Conn<S> {
    io: S,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    wbuf: Vec<u8>,
    variant: Vec<u8>,
}

fn reset_err(_: io::Error) -> ErrorKind {
    ErrorKind::Reset
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Wrap a connected stream.
    pub fn new(io: S) -> Self {
        Conn {
            io,
            buf: vec![0; BUF],
            start: 0,
            end: 0,
            wbuf: Vec::with_capacity(256),
            variant: Vec::new(),
        }
    }

    /// The stream, e.g. to read TLS details.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The variant header's value of the last response (when
    /// [`Head::has_variant`]).
    pub fn variant(&self) -> &[u8] {
        &self.variant
    }

    /// Send `req` (with `extra`, a header name and value, spliced in) and
    /// read the whole response. On an error the connection must be dropped;
    /// on success it may be reused if [`Head::keep_alive`].
    pub async fn exchange(
        &mut self,
        req: &WireRequest,
        extra: Option<(&HeaderName, &[u8])>,
        variant_header: &HeaderName,
    ) -> Result<Head, ErrorKind> {
        self.send(req, extra).await?;
        self.read_response(req.head_method, variant_header).await
    }

    async fn send(
        &mut self,
        req: &WireRequest,
        extra: Option<(&HeaderName, &[u8])>,
    ) -> Result<(), ErrorKind> {
        let w = &mut self.wbuf;
        w.clear();
        w.extend_from_slice(&req.head);
        if let Some((name, value)) = extra {
            w.extend_from_slice(name.as_str().as_bytes());
            w.extend_from_slice(b": ");
            w.extend_from_slice(value);
            w.extend_from_slice(b"\r\n");
        }
        w.extend_from_slice(b"\r\n");
        let inline = req.body.len() <= INLINE_BODY;
        if inline {
            w.extend_from_slice(&req.body);
        }
        self.io.write_all(&self.wbuf).await.map_err(reset_err)?;
        if !inline {
            self.io.write_all(&req.body).await.map_err(reset_err)?;
        }
        self.io.flush().await.map_err(reset_err)
    }

    /// Read more bytes after `end`; `Ok(0)` at the end of the stream.
    async fn fill(&mut self) -> Result<usize, ErrorKind> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < MAX_HEAD + BUF {
                let n = (self.buf.len() * 2).min(MAX_HEAD + BUF);
                self.buf.resize(n, 0);
            } else {
                return Err(ErrorKind::Protocol);
            }
        }
        let n = self
            .io
            .read(&mut self.buf[self.end..])
            .await
            .map_err(reset_err)?;
        self.end += n;
        Ok(n)
    }

    async fn read_response(
        &mut self,
        head_method: bool,
        variant_header: &HeaderName,
    ) -> Result<Head, ErrorKind> {
        loop {
            let parsed = self.parse_head(head_method, variant_header)?;
            let Some((head, framing)) = parsed else {
                if self.end - self.start >= MAX_HEAD {
                    return Err(ErrorKind::Protocol);
                }
                if self.fill().await? == 0 {
                    // Closed before a whole head: an idle keep-alive
                    // connection the server dropped, or a reset.
                    return Err(ErrorKind::Reset);
                }
                continue;
            };
            if (100..200).contains(&head.status) {
                if head.status == 101 {
                    // An upgrade is not something a load test can follow.
                    return Err(ErrorKind::Protocol);
                }
                // 100 Continue, 103 Early Hints: the real response follows.
                continue;
            }
            let keep_alive = match framing {
                Framing::Length(n) => {
                    self.skip(n).await?;
                    head.keep_alive
                }
                Framing::Chunked => {
                    self.skip_chunked().await?;
                    head.keep_alive
                }
                Framing::UntilClose => {
                    self.start = self.end;
                    while self.fill().await? > 0 {
                        self.start = self.end;
                    }
                    false
                }
            };
            return Ok(Head { keep_alive, ..head });
        }
    }

    /// Parse a response head from the buffer, consuming it; `None` when it
    /// is not complete yet.
    fn parse_head(
        &mut self,
        head_method: bool,
        variant_header: &HeaderName,
    ) -> Result<Option<(Head, Framing)>, ErrorKind> {
        if self.start == self.end {
            return Ok(None);
        }
        let mut headers =
            [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut []);
        let n = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut resp,
            &self.buf[self.start..self.end],
            &mut headers,
        ) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(ErrorKind::Protocol),
        };
        let status = resp.code.unwrap_or(0);
        let http11 = resp.version == Some(1);
        let mut keep_alive = http11;
        let mut length: Option<u64> = None;
        let mut chunked = false;
        let mut other_coding = false;
        let mut has_variant = false;
        for h in resp.headers.iter() {
            let name = h.name.as_bytes();
            if name.eq_ignore_ascii_case(b"content-length") {
                let v = parse_length(h.value).ok_or(ErrorKind::Protocol)?;
                if length.is_some_and(|l| l != v) {
                    return Err(ErrorKind::Protocol);
                }
                length = Some(v);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                // Only the last coding decides the framing.
                let last = h.value.rsplit(|&b| b == b',').next().unwrap_or(&[]);
                chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
                other_coding = !chunked;
            } else if name.eq_ignore_ascii_case(b"connection") {
                for token in h.value.split(|&b| b == b',') {
                    let t = token.trim_ascii();
                    if t.eq_ignore_ascii_case(b"close") {
                        keep_alive = false;
                    } else if t.eq_ignore_ascii_case(b"keep-alive") && !http11 {
                        keep_alive = true;
                    }
                }
            }
            if name.eq_ignore_ascii_case(variant_header.as_str().as_bytes()) && !has_variant {
                has_variant = true;
                self.variant.clear();
                self.variant.extend_from_slice(h.value);
            }
        }
        self.start += n;
        let framing = if head_method || status == 204 || status == 304 || status < 200 {
            Framing::Length(0)
        } else if chunked {
            Framing::Chunked
        } else if other_coding {
            Framing::UntilClose
        } else if let Some(n) = length {
            Framing::Length(n)
        } else {
            Framing::UntilClose
        };
        Ok(Some((
            Head {
                status,
                keep_alive,
                has_variant,
            },
            framing,
        )))
    }

    /// Discard `n` body bytes.
    async fn skip(&mut self, mut n: u64) -> Result<(), ErrorKind> {
        loop {
            let avail = (self.end - self.start) as u64;
            if avail >= n {
                self.start += n as usize;
                return Ok(());
            }
            n -= avail;
            self.start = self.end;
            if self.fill().await? == 0 {
                return Err(ErrorKind::Reset);
            }
        }
    }

    /// Discard a chunked body, trailers included.
    async fn skip_chunked(&mut self) -> Result<(), ErrorKind> {
        let mut st = Chunked::default();
        loop {
            let (used, done) = st.step(&self.buf[self.start..self.end])?;
            self.start += used;
            if done {
                return Ok(());
            }
            if self.fill().await? == 0 {
                return Err(ErrorKind::Reset);
            }
        }
    }
}

fn parse_length(v: &[u8]) -> Option<u64> {
    let v = v.trim_ascii();
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')))
}

/// Where a chunked-body decoder stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ChunkState {
    /// Reading the hex size.
    #[default]
    Size,
    /// After the size: extensions or whitespace up to CR.
    SizeRest,
    /// Expecting LF after the size line.
    SizeLf,
    /// Skipping chunk data.
    Data,
    /// Expecting CR after chunk data.
    DataCr,
    /// Expecting LF after chunk data.
    DataLf,
    /// At the start of a trailer line (or the final blank line).
    Trailer,
    /// Inside a trailer line.
    TrailerLine,
    /// Expecting the final LF.
    EndLf,
}

/// A chunked-body decoder that only counts.
#[derive(Debug, Default)]
pub(crate) struct Chunked {
    state: ChunkState,
    size: u64,
    digits: u32,
    trailer_bytes: usize,
}

impl Chunked {
    /// Consume from `b`; returns the bytes used and whether the body ended.
    pub(crate) fn step(&mut self, b: &[u8]) -> Result<(usize, bool), ErrorKind> {
        use ChunkState::*;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match self.state {
                Size => match c {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        self.digits += 1;
                        if self.digits > 15 {
                            return Err(ErrorKind::Protocol);
                        }
                        let d = (c as char).to_digit(16).unwrap_or(0);
                        self.size = self.size * 16 + u64::from(d);
                    }
                    b';' | b' ' | b'\t' if self.digits > 0 => self.state = SizeRest,
                    b'\r' if self.digits > 0 => self.state = SizeLf,
                    _ => return Err(ErrorKind::Protocol),
                },
                SizeRest => match c {
                    b'\r' => self.state = SizeLf,
                    b'\n' => return Err(ErrorKind::Protocol),
                    _ => {}
                },
                SizeLf => {
                    if c != b'\n' {
                        return Err(ErrorKind::Protocol);
                    }
                    self.digits = 0;
                    self.state = if self.size == 0 { Trailer } else { Data };
                }
                Data => {
                    let take = (b.len() - i).min(usize::try_from(self.size).unwrap_or(usize::MAX));
                    self.size -= take as u64;
                    i += take;
                    if self.size == 0 {
                        self.state = DataCr;
                    }
                    continue;
                }
                DataCr => {
                    if c != b'\r' {
                        return Err(ErrorKind::Protocol);
                    }
                    self.state = DataLf;
                }
                DataLf => {
                    if c != b'\n' {
                        return Err(ErrorKind::Protocol);
                    }
                    self.state = Size;
                }
                Trailer => {
                    self.state = if c == b'\r' { EndLf } else { TrailerLine };
                }
                TrailerLine => {
                    self.trailer_bytes += 1;
                    if self.trailer_bytes > MAX_HEAD {
                        return Err(ErrorKind::Protocol);
                    }
                    if c == b'\n' {
                        self.state = Trailer;
                    }
                }
                EndLf => {
                    if c != b'\n' {
                        return Err(ErrorKind::Protocol);
                    }
                    return Ok((i + 1, true));
                }
            }
            i += 1;
        }
        Ok((i, false))
    }
}

#[cfg(test)]
#[path = "lean_tests.rs"]
mod tests;
