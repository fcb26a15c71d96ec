//! The load engine's HTTP/1.1 framing against hand-written servers on
//! 127.0.0.1: chunked bodies, `connection: close`, a server that hangs up
//! mid-response, a 1 MB body, close-delimited bodies, informational
//! responses, malformed heads and a server that never answers. Each case
//! runs through the lean path and through hyper, and both must agree.
//! Every run is a fraction of a second against a local listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use flightdeck::load::{self, LoadConfig, LoadPlan, RequestSpec, Summary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the server does with one request: the response in parts (written
/// one by one, with a flush and a short pause between them), then whether
/// to close the connection.
type Script = fn(&Request) -> (Vec<Vec<u8>>, bool);

#[derive(Debug, Default)]
struct Request {
    head: String,
    body: Vec<u8>,
}

#[derive(Default)]
struct Seen {
    requests: AtomicU64,
    connections: AtomicU64,
    bad_requests: AtomicU64,
}

async fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while buf.len() < len {
                let mut chunk = [0u8; 65536];
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf.drain(..len).collect();
            return Some(Request { head, body });
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn serve(script: Script) -> (SocketAddr, Arc<Seen>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let s2 = seen.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            s2.connections.fetch_add(1, Ordering::SeqCst);
            let seen = s2.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                while let Some(req) = read_request(&mut stream, &mut buf).await {
                    seen.requests.fetch_add(1, Ordering::SeqCst);
                    if !req.head.starts_with("GET ") && !req.head.starts_with("HEAD ")
                        || !req.head.contains("\r\nhost: 127.0.0.1:")
                    {
                        seen.bad_requests.fetch_add(1, Ordering::SeqCst);
                    }
                    let (parts, close) = script(&req);
                    for (i, p) in parts.iter().enumerate() {
                        if i > 0 {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        if stream.write_all(p).await.is_err() {
                            return;
                        }
                        let _ = stream.flush().await;
                    }
                    if close {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen, task)
}

fn cfg(addr: SocketAddr) -> LoadConfig {
    LoadConfig {
        target: format!("http://{addr}/wire"),
        connections: Some(2),
        duration_s: Some(0.4),
        timeout_ms: 2_000,
        ..LoadConfig::default()
    }
}

/// Run `cfg` through the lean path and through hyper.
async fn both(cfg: &LoadConfig) -> [Summary; 2] {
    let mut out = Vec::new();
    for hyper in [false, true] {
        let mut plan = LoadPlan::from_config(cfg).expect("valid plan");
        plan.hyper_h1 = hyper;
        out.push(
            load::run(plan, CancellationToken::new(), |_| {})
                .await
                .expect("run"),
        );
    }
    out.try_into().unwrap()
}

fn all_ok(s: &Summary, what: &str) {
    assert!(s.requests > 5, "{what}: {s:?}");
    assert_eq!(s.errors, 0, "{what}: {:?}", s.error_kinds);
    assert_eq!(s.status_codes.get(&200), Some(&s.requests), "{what}");
}

fn kind(s: &Summary, k: &str) -> u64 {
    s.error_kinds.get(k).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_responses_with_extensions_and_trailers() {
    let _g = SERIAL.lock().await;
    let (addr, seen, task) = serve(|_| {
        (
            vec![
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Variant: canary\r\n\r\n5\r\nhel"
                    .to_vec(),
                b"lo\r\n6;ext=1\r\n world\r\n".to_vec(),
                b"0\r\nx-trailer: 1\r\n\r\n".to_vec(),
            ],
            false,
        )
    })
    .await;
    for (s, what) in both(&cfg(addr)).await.iter().zip(["lean", "hyper"]) {
        all_ok(s, what);
        assert_eq!(s.variants.len(), 1, "{what}: {:?}", s.variants);
        assert_eq!(s.variants[0].variant, "canary");
        assert_eq!(s.variants[0].requests, s.requests);
    }
    assert_eq!(seen.connections.load(Ordering::SeqCst), 4, "kept alive");
    assert_eq!(seen.bad_requests.load(Ordering::SeqCst), 0);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_close_from_the_server_is_not_an_error() {
    let _g = SERIAL.lock().await;
    let (addr, seen, task) = serve(|_| {
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec()],
            true,
        )
    })
    .await;
    let [lean, hyper] = both(&cfg(addr)).await;
    all_ok(&lean, "lean");
    all_ok(&hyper, "hyper");
    // A new connection for every request.
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        lean.requests + hyper.requests
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_delimited_body_is_read_to_the_end() {
    let _g = SERIAL.lock().await;
    let (addr, _, task) = serve(|_| {
        (
            vec![
                b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome".to_vec(),
                b" more".to_vec(),
            ],
            true,
        )
    })
    .await;
    let [lean, hyper] = both(&cfg(addr)).await;
    all_ok(&lean, "lean");
    all_ok(&hyper, "hyper");
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_up_mid_response_counts_as_reset() {
    let _g = SERIAL.lock().await;
    let (addr, _, task) = serve(|_| {
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b".to_vec()],
            true,
        )
    })
    .await;
    for (s, what) in both(&cfg(addr)).await.iter().zip(["lean", "hyper"]) {
        assert!(s.requests > 5, "{what}: {s:?}");
        assert_eq!(s.errors, s.requests, "{what}: {:?}", s.error_kinds);
        assert_eq!(kind(s, "reset"), s.requests, "{what}: {:?}", s.error_kinds);
    }
    // And one that hangs up mid-head.
    let (addr, _, task2) = serve(|_| (vec![b"HTTP/1.1 200 OK\r\nContent-Le".to_vec()], true)).await;
    for (s, what) in both(&cfg(addr)).await.iter().zip(["lean", "hyper"]) {
        assert!(s.requests > 5, "{what}: {s:?}");
        assert_eq!(kind(s, "reset"), s.requests, "{what}: {:?}", s.error_kinds);
    }
    task.abort();
    task2.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_megabyte_bodies_by_length_and_chunked() {
    let _g = SERIAL.lock().await;
    const MB: usize = 1 << 20;
    let (addr, _, task) = serve(|req| {
        let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {MB}\r\n\r\n").into_bytes();
        r.extend(std::iter::repeat_n(b'x', MB));
        // The request body (a 1 MB POST) must have arrived whole.
        let ok = req.body.is_empty() || req.body.len() == MB;
        if !ok {
            return (
                vec![b"HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n".to_vec()],
                false,
            );
        }
        (vec![r], false)
    })
    .await;
    for (s, what) in both(&cfg(addr)).await.iter().zip(["lean", "hyper"]) {
        all_ok(s, what);
    }
    task.abort();
    let (addr, _, task) = serve(|_| {
        let mut parts = vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()];
        for _ in 0..16 {
            let mut c = format!("{:x}\r\n", MB / 16).into_bytes();
            c.extend(std::iter::repeat_n(b'y', MB / 16));
            c.extend_from_slice(b"\r\n");
            parts.push(c);
        }
        parts.push(b"0\r\n\r\n".to_vec());
        (parts, false)
    })
    .await;
    for (s, what) in both(&cfg(addr)).await.iter().zip(["lean", "hyper"]) {
        all_ok(s, what);
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_request_body_is_sent_whole() {
    let _g = SERIAL.lock().await;
    let (addr, seen, task) = serve(|req| {
        let ok = req.head.starts_with("POST /wire")
            && req.head.contains("\r\ncontent-length: 1048576")
            && req.body.len() == 1 << 20
            && req.body.iter().all(|&b| b == b'z');
        if !ok {
            eprintln!("bad request: {:?} body {}", req.head, req.body.len());
        }
        let status = if ok { "200 OK" } else { "400 Bad Request" };
        (
            vec![format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").into_bytes()],
            false,
        )
    })
    .await;
    let c = LoadConfig {
        requests: vec![RequestSpec {
            method: "POST".into(),
            body: Some("z".repeat(1 << 20)),
            ..RequestSpec::default()
        }],
        ..cfg(addr)
    };
    for (s, what) in both(&c).await.iter().zip(["lean", "hyper"]) {
        all_ok(s, what);
    }
    assert!(seen.requests.load(Ordering::SeqCst) > 10);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn informational_responses_head_requests_and_no_content() {
    let _g = SERIAL.lock().await;
    let (addr, _, task) = serve(|req| {
        let resp: &[u8] = if req.head.starts_with("HEAD ") {
            // A HEAD response announces a length but carries no body.
            b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
        } else {
            b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        };
        (vec![resp.to_vec()], false)
    })
    .await;
    let c = LoadConfig {
        requests: vec![
            RequestSpec {
                name: "head".into(),
                method: "HEAD".into(),
                ..RequestSpec::default()
            },
            RequestSpec {
                name: "get".into(),
                ..RequestSpec::default()
            },
        ],
        ..cfg(addr)
    };
    for (s, what) in both(&c).await.iter().zip(["lean", "hyper"]) {
        assert!(s.requests > 5, "{what}: {s:?}");
        assert_eq!(s.errors, 0, "{what}: {:?}", s.error_kinds);
        assert_eq!(s.endpoints.len(), 2, "{what}: {:?}", s.endpoints);
        let ok = s.status_codes.get(&200).copied().unwrap_or(0);
        let none = s.status_codes.get(&204).copied().unwrap_or(0);
        assert_eq!(ok + none, s.requests, "{what}: {:?}", s.status_codes);
        assert!(ok > 0 && none > 0, "{what}: {:?}", s.status_codes);
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_responses_are_protocol_errors() {
    let _g = SERIAL.lock().await;
    let (addr, _, task) = serve(|_| (vec![b"HTTP/1.1 2x0 Nope\r\n\r\n".to_vec()], false)).await;
    for (s, what) in both(&cfg(addr)).await.iter().zip(["lean", "hyper"]) {
        assert!(s.requests > 5, "{what}: {s:?}");
        assert_eq!(
            kind(s, "protocol"),
            s.requests,
            "{what}: {:?}",
            s.error_kinds
        );
    }
    task.abort();
    let (addr, _, task) = serve(|_| {
        (
            vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec()],
            false,
        )
    })
    .await;
    // A bad chunk size: the lean path calls it a protocol error; hyper
    // reports it as an IO error on the body (counted as reset).
    let [lean, hyper] = both(&cfg(addr)).await;
    assert!(lean.requests > 5, "{lean:?}");
    assert_eq!(
        kind(&lean, "protocol"),
        lean.requests,
        "{:?}",
        lean.error_kinds
    );
    assert!(
        hyper.requests > 5 && hyper.errors == hyper.requests,
        "{hyper:?}"
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out_and_the_run_still_ends() {
    let _g = SERIAL.lock().await;
    let (addr, _, task) = serve(|_| {
        // Head only, then nothing: the body never comes.
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".to_vec()],
            false,
        )
    })
    .await;
    let c = LoadConfig {
        timeout_ms: 150,
        duration_s: Some(0.5),
        ..cfg(addr)
    };
    let started = std::time::Instant::now();
    let [lean, hyper] = both(&c).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    for (s, what) in [(&lean, "lean"), (&hyper, "hyper")] {
        assert!(kind(s, "timeout") >= 2, "{what}: {:?}", s.error_kinds);
        assert_eq!(s.errors, s.requests, "{what}");
        assert!(s.latency.p50_ms >= 140.0, "{what}: {:?}", s.latency);
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_targeting_header_varies_on_the_wire() {
    let _g = SERIAL.lock().await;
    static KEYS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let (addr, _, task) = serve(|req| {
        if let Some(v) = req.head.lines().find_map(|l| l.strip_prefix("x-user-id: ")) {
            KEYS.lock().unwrap().push(v.to_string());
        }
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec()],
            false,
        )
    })
    .await;
    let c = LoadConfig {
        targeting_header: Some("x-user-id".into()),
        ..cfg(addr)
    };
    let mut plan = LoadPlan::from_config(&c).unwrap();
    assert!(!plan.hyper_h1 || std::env::var("FLIGHTDECK_LOAD_ENGINE").is_ok());
    plan.hyper_h1 = false;
    let s = load::run(plan, CancellationToken::new(), |_| {})
        .await
        .unwrap();
    all_ok(&s, "lean");
    let keys = KEYS.lock().unwrap().clone();
    assert!((s.requests..=s.requests + 2).contains(&(keys.len() as u64)));
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert!(distinct.len() as u64 > s.requests / 2, "{}", distinct.len());
    assert!(
        keys.iter()
            .all(|k| k.parse::<u64>().is_ok_and(|n| n < 100_000))
    );
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_opens_its_first_connections_before_the_clock_starts() {
    let _g = SERIAL.lock().await;
    let (addr, seen, task) = serve(|_| {
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()],
            false,
        )
    })
    .await;
    // 20/s needs one connection at a time; the pool of 4 is opened up front
    // (under the per-thread cap) so no arrival pays for a handshake.
    let c = LoadConfig {
        rate: Some(20.0),
        connections: Some(4),
        duration_s: Some(0.5),
        ..cfg(addr)
    };
    let [lean, hyper] = both(&c).await;
    all_ok_open(&lean, "lean");
    all_ok_open(&hyper, "hyper");
    assert_eq!(seen.connections.load(Ordering::SeqCst), 8, "4 per run");
    assert_eq!(
        seen.requests.load(Ordering::SeqCst),
        lean.requests + hyper.requests
    );
    task.abort();
}

fn all_ok_open(s: &Summary, what: &str) {
    assert!(s.requests >= 8, "{what}: {s:?}");
    assert_eq!(s.errors, 0, "{what}: {:?}", s.error_kinds);
}
