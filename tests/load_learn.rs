//! `flightdeck load learn` end to end: a real nginx (Debian) writes a
//! combined-format access log while a varied request script hits it; the
//! binary learns the mix from that log. Plus the JSON-lines and ALB
//! samples under tests/fixtures/learn, and the exit codes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_flightdeck")
}

fn learn(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(["load", "learn"])
        .args(args)
        .output()
        .expect("run flightdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The nginx binary: FLIGHTDECK_NGINX, else nginx on PATH or /usr/sbin.
fn nginx() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("FLIGHTDECK_NGINX") {
        return Some(PathBuf::from(p));
    }
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

struct Nginx(Child);
impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_nginx(bin: &Path, dir: &Path, port: u16) -> Nginx {
    let d = dir.display();
    let conf = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  log_format combined_utc '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
  access_log {d}/access.log combined;
  server {{
    listen 127.0.0.1:{port};
    location /missing/ {{ return 404; }}
    location = /orders {{ return 201 "created"; }}
    location / {{ return 200 "ok"; }}
  }}
}}
"#
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let guard = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not listen on 127.0.0.1:{port}: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    guard
}

fn send(port: u16, method: &str, target: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let body = if method == "POST" { "{\"sku\":1}" } else { "" };
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: learn-test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn learns_the_mix_from_a_real_nginx_access_log() {
    let Some(nginx) = nginx() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "nginx is not installed: scripts/test installs it (apt-get install nginx) or set FLIGHTDECK_NGINX"
            );
        }
        eprintln!("SKIPPED: nginx not installed (apt-get install nginx, or set FLIGHTDECK_NGINX)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start_nginx(&nginx, dir.path(), port);
    // The script: 50 user lookups, 30 orders, 15 searches with an e-mail,
    // 5 misses (404), 10 static assets, 2 rare health checks.
    for i in 0..50 {
        assert_eq!(
            send(port, "GET", &format!("/api/users/{}", 1000 + i * 37)),
            200
        );
        if i % 5 == 0 {
            assert_eq!(send(port, "GET", &format!("/missing/{i}")), 404);
            assert_eq!(send(port, "GET", "/static/app.js"), 200);
            assert_eq!(send(port, "GET", "/img/logo.png"), 200);
        }
        if i % 5 < 3 {
            assert_eq!(send(port, "POST", "/orders"), 201);
        }
        if i % 10 < 3 {
            let q = format!("/search?q=shoes&page={}&email=user{i}%40example.com", i % 3);
            assert_eq!(send(port, "GET", &q), 200);
        }
    }
    send(port, "GET", "/healthz");
    send(port, "GET", "/healthz");
    drop(server);
    let log = dir.path().join("access.log");
    let mix = dir.path().join("mix.toml");
    let (code, out, err) = learn(&[
        log.to_str().unwrap(),
        "--write",
        mix.to_str().unwrap(),
        "--min-share",
        "0.02",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON summary");
    assert_eq!(v["requests"], 127);
    assert_eq!(v["unmatched"], 0);
    assert_eq!(v["static_excluded"], 20);
    let t: Vec<(String, u64)> = v["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        t,
        [
            ("GET /api/users/{id}".to_string(), 50),
            ("POST /orders".to_string(), 30),
            ("GET /search".to_string(), 15),
            ("GET /missing/{id}".to_string(), 10),
        ]
    );
    // 2 health checks of 107 non-static requests (1.9%) fold into other.
    assert_eq!(v["other_templates"], 1, "{out}");
    assert_eq!(v["other_requests"], 2, "{out}");
    assert_eq!(v["templates"][3]["statuses"]["404"], 1.0);
    // coverage: 105 of 127 parsed requests (20 static, 2 health in other).
    let cov = v["coverage"].as_f64().unwrap();
    assert!((cov - 105.0 / 127.0).abs() < 1e-6, "{cov}");
    let text = std::fs::read_to_string(&mix).unwrap();
    assert!(
        !text.contains("%40example.com"),
        "an e-mail reached the mix:\n{text}"
    );
    assert!(text.contains("email=masked"), "{text}");
    assert!(text.contains("coverage = 0.8268"), "{text}");
    // The mix file is a valid [load] mix against the same (now stopped) port.
    let cfg = flightdeck::load::LoadConfig {
        target: format!("http://127.0.0.1:{port}"),
        mix_file: Some(mix.clone()),
        ..Default::default()
    };
    assert!(cfg.validate().is_empty(), "{:?}", cfg.validate());
    assert!(flightdeck::load::LoadPlan::from_config(&cfg).is_ok());
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/learn/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn json_lines_with_configured_field_names() {
    let (code, out, err) = learn(&[
        &fixture("app.jsonl"),
        "--format",
        "json",
        "--json-field",
        "path=uri",
        "--json-field",
        "status=code",
        "--json-field",
        "time=ts",
        "--output",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"], 5);
    assert_eq!(v["unmatched"], 1);
    assert_eq!(
        v["unmatched_examples"][0]["at"],
        format!("{}:6", fixture("app.jsonl"))
    );
    assert_eq!(v["templates"][0]["name"], "GET /v1/users/{id}");
    assert_eq!(v["templates"][0]["requests"], 3);
    let samples = v["templates"][0]["samples"].to_string();
    assert!(
        samples.contains("email=masked") && !samples.contains("ann"),
        "{samples}"
    );
    assert_eq!(v["shape"]["peak_minute"], "2026-12-06T09:00:00Z");
}

#[test]
fn alb_sample_and_the_exit_codes() {
    let (code, out, err) = learn(&[&fixture("alb.log"), "--format", "elb", "--output", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"], 5);
    assert_eq!(v["unmatched"], 1);
    assert_eq!(v["static_excluded"], 1);
    assert_eq!(v["templates"][0]["name"], "GET /api/products/{id}");
    let names = v["templates"].to_string();
    assert!(
        names.contains("GET /api/orders/{id}") && names.contains("\"503\":1.0"),
        "{names}"
    );
    // Nothing of this format in the file: nothing learned, exit 3.
    let (code, out, _) = learn(&[&fixture("alb.log"), "--format", "cloudfront"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("nothing learned"), "{out}");
    // A file that does not exist: usage, exit 2, named.
    let (code, _, err) = learn(&["/nonexistent/access.log"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/access.log: cannot open"),
        "{err}"
    );
}
