//! One connection task: it owns its connections (one per origin), drives
//! them itself (no separate connection task for HTTP/1.1, so no cross-task
//! wake-up per request), sends one request at a time and records the outcome.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

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
    /// The current window.
    pub recorder: Mutex<Recorder>,
    /// Requests sent in the current window.
    pub sent: AtomicU64,
    /// The first TLS handshake failure, in words.
    pub tls_error: OnceLock<String>,
}

/// An HTTP/1.1 connection driver, whatever the IO type (TCP or TLS).
type H1Driver = Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>;

enum Conn {
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

impl Worker {
    /// A worker with no connections yet; `id` seeds its mix and targeting keys.
    pub fn new(id: u64, origins: usize) -> Self {
        Worker {
            conns: (0..origins).map(|_| None).collect(),
            rng: id.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x1234_5678,
            seq: id << 40,
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
        let t_send = Instant::now();
        shared.sent.fetch_add(1, Ordering::Relaxed);
        let exchange = tokio::time::timeout(shared.plan.timeout, self.exchange(shared, idx));
        let (status, variant, error) = match exchange.await {
            Ok(Ok((status, variant))) => {
                let err = match status {
                    400..=499 => Some(ErrorKind::Status4xx),
                    500..=599 => Some(ErrorKind::Status5xx),
                    _ => None,
                };
                (Some(status), variant, err)
            }
            Ok(Err(kind)) => (None, None, Some(kind)),
            Err(_elapsed) => {
                // The connection is mid-exchange; it cannot be reused.
                self.conns[entry.origin] = None;
                (None, None, Some(ErrorKind::Timeout))
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
        let mut rec = shared.recorder.lock().unwrap_or_else(|p| p.into_inner());
        rec.record(&outcome, variant.as_ref().map(|v| v.as_bytes()));
        error
    }

    async fn connect(&mut self, shared: &Shared, origin: usize) -> Result<(), ErrorKind> {
        let stream = TcpStream::connect(shared.addrs[origin])
            .await
            .map_err(|_| ErrorKind::Connect)?;
        let _ = stream.set_nodelay(true);
        let o = &shared.plan.origins[origin];
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
                handshake(stream, h2).await?
            }
            (Scheme::Https, None) => return Err(ErrorKind::Tls),
            (Scheme::Http, _) => handshake(stream, shared.plan.http2).await?,
        };
        self.conns[origin] = Some(conn);
        Ok(())
    }

    fn request(&mut self, shared: &Shared, idx: usize) -> Request<Full<Bytes>> {
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
        if let Some(h) = &shared.plan.targeting_header {
            self.seq += 1;
            let mut s = self.seq;
            // A spread of about 100k distinct keys, varied per request.
            req.headers_mut()
                .insert(h.clone(), HeaderValue::from(splitmix(&mut s) % 100_000));
        }
        req
    }

    async fn exchange(
        &mut self,
        shared: &Shared,
        idx: usize,
    ) -> Result<(u16, Option<HeaderValue>), ErrorKind> {
        let origin = shared.plan.mix[idx].origin;
        if self.conns[origin].is_none() {
            self.connect(shared, origin).await?;
        }
        let req = self.request(shared, idx);
        let vh = &shared.plan.variant_header;
        let (result, alive) = match self.conns[origin].as_mut() {
            Some(Conn::H1 { sender, conn }) => {
                let mut fut = pin!(async {
                    sender.ready().await.map_err(|e| classify(&e))?;
                    let resp = sender.send_request(req).await.map_err(|e| classify(&e))?;
                    read_response(resp, vh).await
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
                let r = async {
                    sender.ready().await.map_err(|e| classify(&e))?;
                    let resp = sender.send_request(req).await.map_err(|e| classify(&e))?;
                    read_response(resp, vh).await
                }
                .await;
                let alive = r.is_ok();
                (r, alive)
            }
            None => (Err(ErrorKind::Connect), false),
        };
        if !alive || result.is_err() {
            self.conns[origin] = None;
        }
        result
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
) -> Result<(u16, Option<HeaderValue>), ErrorKind> {
    let status = resp.status().as_u16();
    let variant = resp.headers().get(variant_header).cloned();
    let mut body = resp.into_body();
    while let Some(frame) = body.frame().await {
        frame.map_err(|e| classify(&e))?;
    }
    Ok((status, variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_pick_follows_weights() {
        let mut w = Worker::new(7, 1);
        let cum = [1u64, 4]; // weights 1 and 3
        let n = 40_000;
        let hits = (0..n).filter(|_| w.pick(&cum) == 1).count() as f64 / n as f64;
        assert!((hits - 0.75).abs() < 0.02, "{hits}");
    }
}
