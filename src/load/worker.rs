//! One connection task: it owns its connections (one per origin), drives
//! them itself (no separate connection task for HTTP/1.1, so no cross-task
//! wake-up per request), sends one request at a time and records the outcome
//! into its load thread's recorder. HTTP/1.1 goes through the lean path
//! ([`super::lean`]); HTTP/2, and HTTP/1.1 when the plan asks, through hyper.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::Poll;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_rustls::client::TlsStream;

use super::lean::{self, WireRequest};
use super::plan::LoadPlan;
use super::stats::{ErrorKind, Outcome, Recorder};
use super::target::Scheme;
use super::tls;

/// State shared by every connection task of a run.
pub struct Shared {
    /// The plan.
    pub plan: LoadPlan,
    /// Resolved address per origin.
    pub addrs: Vec<SocketAddr>,
    /// Cumulative mix weights.
    pub cum: Vec<u64>,
    /// Each mix entry serialised for the lean HTTP/1.1 path.
    pub wire: Vec<WireRequest>,
    /// The current window, one recorder per load thread (so recording
    /// never contends); the runner merges them once per window.
    pub recorders: Vec<Mutex<Recorder>>,
    /// Requests sent in the current window.
    pub sent: AtomicU64,
    /// The first TLS handshake failure, in words.
    pub tls_error: OnceLock<String>,
}

impl Shared {
    /// Shared state for `plan` with one recorder per load thread.
    pub fn new(plan: LoadPlan, addrs: Vec<SocketAddr>, threads: usize) -> Self {
        let cum = plan.cumulative_weights();
        let wire = plan
            .mix
            .iter()
            .map(|m| {
                let target = m.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                WireRequest::new(&m.method, target, &m.headers, m.body.clone())
            })
            .collect();
        let names = plan.endpoint_names.len();
        Shared {
            recorders: (0..threads.max(1))
                .map(|_| Mutex::new(Recorder::new(names)))
                .collect(),
            sent: AtomicU64::new(0),
            wire,
            cum,
            plan,
            addrs,
            tls_error: OnceLock::new(),
        }
    }
}

/// An HTTP/1.1 connection driver, whatever the IO type (TCP or TLS).
type H1Driver = Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>;

enum Conn {
    /// The lean HTTP/1.1 path over TCP.
    Lean(lean::Conn<TcpStream>),
    /// The lean HTTP/1.1 path over TLS.
    LeanTls(Box<lean::Conn<TlsStream<TcpStream>>>),
    H1 {
        sender: http1::SendRequest<Full<Bytes>>,
        conn: H1Driver,
    },
    H2 {
        sender: http2::SendRequest<Full<Bytes>>,
    },
}

/// A connection task's state.
pub struct Worker {
    conns: Vec<Option<Conn>>,
    rng: u64,
    seq: u64,
    /// Which recorder (load thread) this task reports to.
    slot: usize,
    /// The request timeout, armed lazily: it is moved only when it fires
    /// before the current request's deadline, so most requests never touch
    /// the timer wheel.
    timer: Option<Pin<Box<Sleep>>>,
    /// The variant header's value of the last response.
    variant: Vec<u8>,
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn classify(e: &hyper::Error) -> ErrorKind {
    if e.is_parse() || e.is_parse_status() || e.is_user() {
        ErrorKind::Protocol
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Reset
    }
}

/// Decimal digits of `n` into `buf`, returning the used tail.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

impl Worker {
    /// A worker with no connections yet; `id` seeds its mix and targeting
    /// keys; `slot` is the recorder it reports to.
    pub fn new(id: u64, origins: usize, slot: usize) -> Self {
        Worker {
            conns: (0..origins).map(|_| None).collect(),
            rng: id.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x1234_5678,
            seq: id << 40,
            slot,
            timer: None,
            variant: Vec::new(),
        }
    }

    /// Open this task's connections before the clock starts (open model),
    /// so the first arrivals do not pay for the TCP (and TLS) handshakes. A
    /// failure is left for the first request to meet and record.
    pub async fn warm(&mut self, shared: &Shared) {
        for origin in 0..self.conns.len() {
            if self.conns[origin].is_none() {
                let _ = connect(&mut self.conns, shared, origin).await;
            }
        }
    }

    fn pick(&mut self, cum: &[u64]) -> usize {
        let total = *cum.last().unwrap_or(&1);
        if cum.len() <= 1 {
            return 0;
        }
        let r = splitmix(&mut self.rng) % total;
        cum.partition_point(|&c| c <= r)
    }

    /// Send one request and record it. `intended` is the scheduled send time
    /// in the open model; `None` in the closed model. Returns the failure kind.
    pub async fn exec(&mut self, shared: &Shared, intended: Option<Instant>) -> Option<ErrorKind> {
        let idx = self.pick(&shared.cum);
        let entry = &shared.plan.mix[idx];
        // A spread of about 100k distinct keys, varied per request.
        let key = shared.plan.targeting_header.as_ref().map(|_| {
            self.seq += 1;
            let mut s = self.seq;
            splitmix(&mut s) % 100_000
        });
        let t_send = Instant::now();
        shared.sent.fetch_add(1, Ordering::Relaxed);
        let deadline = t_send + shared.plan.timeout;
        let Worker {
            conns,
            timer,
            variant,
            ..
        } = self;
        let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        let result = {
            let mut fut = pin!(exchange(conns, shared, idx, key, variant));
            std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = fut.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                loop {
                    match timer.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) if Instant::now() >= deadline => return Poll::Ready(None),
                        Poll::Ready(()) => timer.as_mut().reset(deadline),
                    }
                }
            })
            .await
        };
        let (status, has_variant, error) = match result {
            Some(Ok((status, has_variant))) => {
                let err = match status {
                    400..=499 => Some(ErrorKind::Status4xx),
                    500..=599 => Some(ErrorKind::Status5xx),
                    _ => None,
                };
                (Some(status), has_variant, err)
            }
            Some(Err(kind)) => (None, false, Some(kind)),
            None => {
                // The connection is mid-exchange; it cannot be reused.
                self.conns[entry.origin] = None;
                (None, false, Some(ErrorKind::Timeout))
            }
        };
        let done = Instant::now();
        let start = intended.unwrap_or(t_send);
        let outcome = Outcome {
            endpoint: entry.endpoint,
            status,
            error,
            corrected_us: done.saturating_duration_since(start).as_micros() as u64,
            uncorrected_us: done.saturating_duration_since(t_send).as_micros() as u64,
            lag_us: intended.map(|i| t_send.saturating_duration_since(i).as_micros() as u64),
        };
        let mut rec = shared.recorders[self.slot]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        rec.record(&outcome, has_variant.then_some(self.variant.as_slice()));
        error
    }
}

async fn connect(
    conns: &mut [Option<Conn>],
    shared: &Shared,
    origin: usize,
) -> Result<(), ErrorKind> {
    let stream = TcpStream::connect(shared.addrs[origin])
        .await
        .map_err(|_| ErrorKind::Connect)?;
    let _ = stream.set_nodelay(true);
    let o = &shared.plan.origins[origin];
    let lean = !shared.plan.hyper_h1;
    let conn = match (&o.scheme, &shared.plan.tls) {
        (Scheme::Https, Some(config)) => {
            let tls_failed = |msg: String| {
                let _ = shared.tls_error.set(msg);
                ErrorKind::Tls
            };
            let name = tls::server_name(&o.host).map_err(tls_failed)?;
            let stream = tokio_rustls::TlsConnector::from(config.clone())
                .connect(name, stream)
                .await
                .map_err(|e| tls_failed(tls::describe(&o.host, &e)))?;
            // Over TLS, HTTP/2 only if the server chose it by ALPN.
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            if lean && !h2 {
                Conn::LeanTls(Box::new(lean::Conn::new(stream)))
            } else {
                handshake(stream, h2).await?
            }
        }
        (Scheme::Https, None) => return Err(ErrorKind::Tls),
        (Scheme::Http, _) if lean && !shared.plan.http2 => Conn::Lean(lean::Conn::new(stream)),
        (Scheme::Http, _) => handshake(stream, shared.plan.http2).await?,
    };
    conns[origin] = Some(conn);
    Ok(())
}

/// The request for hyper (HTTP/2, or HTTP/1.1 when the lean path is off).
fn hyper_request(shared: &Shared, idx: usize, key: Option<u64>) -> Request<Full<Bytes>> {
    let entry = &shared.plan.mix[idx];
    let mut req = Request::new(Full::new(entry.body.clone()));
    *req.method_mut() = entry.method.clone();
    *req.headers_mut() = entry.headers.clone();
    if shared.plan.http2 {
        let origin = &shared.plan.origins[entry.origin];
        let pq = entry
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let scheme = match origin.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        if let Ok(uri) = http::Uri::builder()
            .scheme(scheme)
            .authority(origin.authority.as_str())
            .path_and_query(pq)
            .build()
        {
            *req.uri_mut() = uri;
        }
        req.headers_mut().remove(http::header::HOST);
    } else {
        *req.uri_mut() = entry.uri.clone();
    }
    if let (Some(h), Some(key)) = (&shared.plan.targeting_header, key) {
        req.headers_mut().insert(h.clone(), HeaderValue::from(key));
    }
    req
}

/// One exchange on the entry's origin, connecting first if needed. Returns
/// the status and whether the variant header was present (its value is
/// left in `variant`).
async fn exchange(
    conns: &mut [Option<Conn>],
    shared: &Shared,
    idx: usize,
    key: Option<u64>,
    variant: &mut Vec<u8>,
) -> Result<(u16, bool), ErrorKind> {
    let origin = shared.plan.mix[idx].origin;
    if conns[origin].is_none() {
        connect(conns, shared, origin).await?;
    }
    let vh = &shared.plan.variant_header;
    let mut digits = [0u8; 20];
    let extra = match (&shared.plan.targeting_header, key) {
        (Some(h), Some(k)) => Some((h, decimal(k, &mut digits))),
        _ => None,
    };
    let wire = &shared.wire[idx];
    let (result, alive) = match conns[origin].as_mut() {
        Some(Conn::Lean(c)) => lean_exchange(c, wire, extra, vh, variant).await,
        Some(Conn::LeanTls(c)) => lean_exchange(c, wire, extra, vh, variant).await,
        Some(Conn::H1 { sender, conn }) => {
            let req = hyper_request(shared, idx, key);
            let mut fut = pin!(async {
                sender.ready().await.map_err(|e| classify(&e))?;
                let resp = sender.send_request(req).await.map_err(|e| classify(&e))?;
                read_response(resp, vh, variant).await
            });
            tokio::select! {
                biased;
                r = &mut fut => (r, true),
                _ = conn.as_mut() => {
                    // The connection ended; a response already read
                    // may still be delivered, so let the exchange finish.
                    (fut.await, false)
                }
            }
        }
        Some(Conn::H2 { sender }) => {
            let req = hyper_request(shared, idx, key);
            let r = async {
                sender.ready().await.map_err(|e| classify(&e))?;
                let resp = sender.send_request(req).await.map_err(|e| classify(&e))?;
                read_response(resp, vh, variant).await
            }
            .await;
            let alive = r.is_ok();
            (r, alive)
        }
        None => (Err(ErrorKind::Connect), false),
    };
    if !alive || result.is_err() {
        conns[origin] = None;
    }
    result
}

async fn lean_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut lean::Conn<S>,
    wire: &WireRequest,
    extra: Option<(&http::HeaderName, &[u8])>,
    vh: &http::HeaderName,
    variant: &mut Vec<u8>,
) -> (Result<(u16, bool), ErrorKind>, bool) {
    match c.exchange(wire, extra, vh).await {
        Ok(head) => {
            if head.has_variant {
                variant.clear();
                variant.extend_from_slice(c.variant());
            }
            (Ok((head.status, head.has_variant)), head.keep_alive)
        }
        Err(e) => (Err(e), false),
    }
}

/// The HTTP handshake over any IO (plain TCP or TLS): one code path.
async fn handshake<I>(io: I, h2: bool) -> Result<Conn, ErrorKind>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    if h2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(|_| ErrorKind::Connect)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn::H2 { sender })
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(|_| ErrorKind::Connect)?;
        Ok(Conn::H1 {
            sender,
            conn: Box::pin(conn),
        })
    }
}

async fn read_response(
    resp: http::Response<hyper::body::Incoming>,
    variant_header: &http::HeaderName,
    variant: &mut Vec<u8>,
) -> Result<(u16, bool), ErrorKind> {
    let status = resp.status().as_u16();
    let has_variant = match resp.headers().get(variant_header) {
        Some(v) => {
            variant.clear();
            variant.extend_from_slice(v.as_bytes());
            true
        }
        None => false,
    };
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().await {
        frame.map_err(|e| classify(&e))?;
    }
    Ok((status, has_variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_pick_follows_weights() {
        let mut w = Worker::new(7, 1, 0);
        let cum = [1u64, 4]; // weights 1 and 3
        let n = 40_000;
        let hits = (0..n).filter(|_| w.pick(&cum) == 1).count() as f64 / n as f64;
        assert!((hits - 0.75).abs() < 0.02, "{hits}");
    }
}
