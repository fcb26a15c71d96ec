use super::*;
use std::io::Write;

fn line(sec: u32, method: &str, target: &str, status: u16) -> String {
    format!(
        "10.0.0.1 - - [06/Dec/2026:10:{:02}:{:02} +0000] \"{method} {target} HTTP/1.1\" {status} 12 \"-\" \"curl\"\n",
        sec / 60,
        sec % 60
    )
}

/// 1000 requests: 600 GET /users/N (10% 404), 300 POST /orders, 90 GET
/// /search?q=..., 10 GET /rare/N; plus 50 static and 5 garbage lines.
fn synthetic() -> String {
    let mut s = String::new();
    for i in 0..1000u32 {
        let (m, t, st) = match i % 100 {
            0..=59 => (
                "GET",
                format!("/users/{}", i * 7),
                if i % 10 == 0 { 404 } else { 200 },
            ),
            60..=89 => ("POST", "/orders".to_string(), 201),
            90..=98 => (
                "GET",
                format!("/search?q=shoes&email=u{i}@example.com"),
                200,
            ),
            _ => ("GET", format!("/rare/{i}"), 200),
        };
        s.push_str(&line(i / 10, m, &t, st));
        if i % 20 == 0 {
            s.push_str(&line(i / 10, "GET", "/static/app.css", 200));
        }
        if i % 200 == 0 {
            s.push_str("this is not a log line\n");
        }
    }
    s
}

#[test]
fn weights_status_mix_coverage_and_other_from_a_known_log() {
    let mut l = Learner::new(LearnOptions {
        min_share: 0.02,
        ..LearnOptions::default()
    });
    l.read("synthetic.log", synthetic().as_bytes()).unwrap();
    let got = l.finish(vec!["synthetic.log".into()], Vec::new());
    assert_eq!(got.requests, 1050);
    assert_eq!(got.unmatched, 5);
    assert_eq!(got.unmatched_examples[0].at, "synthetic.log:3");
    assert_eq!(got.static_excluded, 50);
    let names: Vec<(&str, u64)> = got
        .templates
        .iter()
        .map(|t| (t.name.as_str(), t.requests))
        .collect();
    assert_eq!(
        names,
        [
            ("GET /users/{id}", 600),
            ("POST /orders", 300),
            ("GET /search", 90)
        ]
    );
    // /rare/{id} is 1% < 2%: folded into other.
    assert_eq!((got.other_templates, got.other_requests), (1, 10));
    let users = &got.templates[0];
    assert!((users.share - 0.6).abs() < 1e-9);
    assert!((users.statuses["404"] - 0.1).abs() < 1e-9);
    assert!((users.statuses["200"] - 0.9).abs() < 1e-9);
    // 990 of 1050 parsed requests (statics count as production) are in the mix.
    assert!((got.coverage - 990.0 / 1050.0).abs() < 1e-9);
    // Samples are real paths, with e-mails masked.
    let search = &got.templates[2];
    assert!(!search.samples.is_empty());
    for s in &search.samples {
        assert_eq!(s, "/search?q=shoes&email=masked");
    }
    assert!(users.samples.iter().all(|s| s.starts_with("/users/")));
    // 10 requests a second over 100 s from 10:00:00.
    assert_eq!(
        got.shape.peak_minute.as_deref(),
        Some("2026-12-06T10:00:00Z")
    );
    assert_eq!(got.shape.peak_minute_requests, 600 + 30 + 5 - 5);
}

#[test]
fn the_mix_file_round_trips_into_a_load_config() {
    let mut l = Learner::new(LearnOptions::default());
    l.read("s.log", synthetic().as_bytes()).unwrap();
    let learned = l.finish(vec!["s.log".into()], Vec::new());
    let stages = shape::peak_hour_stages(&learned.shape, Some(100.0), 2.0);
    assert_eq!(stages.len(), 2);
    let text = mixfile::render(&learned, &mixfile::mix_file(&learned, stages)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mix.toml");
    std::fs::write(&path, &text).unwrap();
    let cfg = crate::load::LoadConfig {
        target: "http://127.0.0.1:9".into(),
        mix_file: Some(path),
        ..Default::default()
    };
    assert!(cfg.validate().is_empty(), "{:?}", cfg.validate());
    let merged = cfg.with_mix_file().unwrap();
    let learned_mix = merged.learned.clone().unwrap();
    // Every template is above the default 0.5%: all 1000 dynamic requests.
    assert!(
        (learned_mix.coverage - 0.9524).abs() < 0.001,
        "{}",
        learned_mix.coverage
    );
    assert!(
        learned_mix
            .evidence_line()
            .contains("95.2% of 1050 production requests"),
        "{}",
        learned_mix.evidence_line()
    );
    let users: u32 = merged
        .requests
        .iter()
        .filter(|r| r.name == "GET /users/{id}")
        .map(|r| r.weight)
        .sum();
    let orders: u32 = merged
        .requests
        .iter()
        .filter(|r| r.name == "POST /orders")
        .map(|r| r.weight)
        .sum();
    let ratio = f64::from(users) / f64::from(orders);
    assert!((ratio - 2.0).abs() < 0.01, "{ratio}");
    // Minute 10:00 had 600 requests (10/s), scaled to 100/s; 10:01 400.
    assert_eq!(
        merged.stages[0],
        crate::load::RateStage::Step {
            to: 100.0,
            duration_s: 2.0
        }
    );
    assert!(crate::load::LoadPlan::from_config(&merged).is_ok());
}

#[test]
fn gzip_is_read_directly_and_truncation_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("access.log.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(synthetic().as_bytes()).unwrap();
    let bytes = e.finish().unwrap();
    std::fs::write(&gz, &bytes).unwrap();
    let got = learn(std::slice::from_ref(&gz), LearnOptions::default()).unwrap();
    assert_eq!(got.requests, 1050);
    assert!(got.read_errors.is_empty());
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let got = learn(&[gz], LearnOptions::default()).unwrap();
    assert!(got.requests > 0 && got.requests < 1050);
    assert!(
        got.read_errors[0].contains("truncated"),
        "{:?}",
        got.read_errors
    );
    let missing = learn(&[dir.path().join("nope.log")], LearnOptions::default()).unwrap_err();
    assert!(missing.contains("nope.log: cannot open"), "{missing}");
}
