//! `report.html`: hostile strings are escaped, nothing outside the page is
//! referenced, the inline stylesheet is the one the CSP allows, and a
//! replay of the journal writes the same bytes.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use chrono::TimeZone;
use flightdeck::core::event::{
    EVENT_VERSION, EnvRisk, Envelope, Event, Outcome, StageKind, StagePlan,
};
use flightdeck::core::gate::Decision;
use flightdeck::core::scan::{Finding, Location, Severity, Suppression};
use flightdeck::core::state::RunState;
use flightdeck::core::verdict::{Evidence, Verdict};
use flightdeck::report::{Report, html};
use sha2::{Digest, Sha256};

/// Tags the page may contain: structure, tables and inline SVG. Anything
/// else (script, img, link, iframe, a...) would be an injection or a fetch.
const ALLOWED_TAGS: [&str; 33] = [
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "header", "footer",
    "section", "h1", "h2", "h3", "p", "span", "div", "table", "thead", "tbody", "tr", "th", "td",
    "code", "ul", "li", "svg", "line", "text", "polyline", "rect", "g", "desc",
];

/// Every tag name that opens or closes in the page.
fn tags(html: &str) -> Vec<String> {
    html.match_indices('<')
        .map(|(i, _)| {
            html[i + 1..]
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!' || *c == '-')
                .collect()
        })
        .collect()
}

/// The page is self-contained: only allowed tags, no attribute that links
/// or loads, no CSS that fetches, and the CSP names the inline stylesheet.
fn assert_self_contained(html: &str) {
    for t in tags(html) {
        assert!(ALLOWED_TAGS.contains(&t.as_str()), "tag <{t}> in the page");
    }
    for attr in [
        " href=",
        " src=",
        " srcset=",
        " action=",
        " xlink:href=",
        " on",
    ] {
        // Attributes only exist inside tags: look inside each one.
        for (i, _) in html.match_indices('<') {
            let end = html[i..].find('>').map_or(html.len(), |e| i + e);
            let tag = &html[i..end];
            if attr == " on" {
                assert!(
                    !tag.split_whitespace().any(|w| w.starts_with("on")),
                    "event handler in {tag}"
                );
            } else {
                assert!(!tag.contains(attr), "{attr} in {tag}");
            }
        }
    }
    let css_start = html.find("<style>").expect("inline style") + "<style>".len();
    let css_end = html.find("</style>").expect("style end");
    let css = &html[css_start..css_end];
    assert!(!css.contains("url(") && !css.contains("@import"), "{css}");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css));
    let csp = format!("default-src 'none'; style-src 'sha256-{hash}';");
    assert!(
        html.contains(&csp.replace('\'', "&#39;")),
        "the CSP must allow exactly the inline stylesheet ({csp})"
    );
    assert_eq!(html.matches("<style>").count(), 1);
}

fn at(seq: u64, event: Event) -> Envelope {
    Envelope {
        v: EVENT_VERSION,
        seq,
        ts: chrono::Utc
            .timestamp_opt(1_790_000_000 + seq as i64, 0)
            .single()
            .expect("time"),
        event,
    }
}

fn hostile_run() -> RunState {
    let evil = "<script>alert('owned')</script>";
    let finding = Finding {
        tool: "Trivy\"><svg onload=alert(1)>".into(),
        rule_id: "CVE-2026-6666".into(),
        title: evil.into(),
        message: "<img src=https://evil.example/x.png onerror=alert(2)>".into(),
        severity: Severity::Critical,
        severity_source: "test".into(),
        location: Location {
            path: "a/</td><script>.py".into(),
            line: Some(1),
        },
        fingerprint: "f".into(),
        baseline_state: None,
        suppression: Suppression::None,
        suppression_justification: None,
        known: false,
        acceptance: None,
        help: Some("https://evil.example/help".into()),
    };
    let events = vec![
        Event::RunStarted {
            run_id: "r-<b>".into(),
            service: "shop-api</title><script>".into(),
            release: "2.0".into(),
            environment: "preprod".into(),
            risk: EnvRisk::Preprod,
            operator: "mallory<".into(),
            operator_identity: None,
            read_only: false,
            stages: vec![StagePlan {
                id: "scans".into(),
                kind: StageKind::Scan,
                weight: 1.0,
                hard: true,
            }],
            pass_score: 90.0,
            warn_score: 70.0,
        },
        Event::StageStarted {
            stage: "scans".into(),
        },
        Event::Finding {
            stage: "scans".into(),
            finding,
        },
        Event::StageFinished {
            stage: "scans".into(),
            verdict: Verdict::Fail,
            summary: evil.into(),
            evidence: vec![Evidence {
                label: evil.into(),
                value: "<style>body{background:url(https://evil.example/t)}</style>".into(),
                threshold: None,
                verdict: Verdict::Fail,
            }],
        },
        Event::GateDecision(Decision {
            score: 0.0,
            band: Verdict::Fail,
            outcome: Outcome::NoGo,
            lost: Vec::new(),
            rationale: evil.into(),
        }),
        Event::RunFinished {
            outcome: Outcome::NoGo,
            reason: None,
        },
    ];
    let envs: Vec<Envelope> = events
        .into_iter()
        .enumerate()
        .map(|(i, e)| at(i as u64 + 1, e))
        .collect();
    RunState::from_envelopes(&envs)
}

#[test]
fn a_hostile_finding_title_is_escaped_and_nothing_external_appears() {
    let state = hostile_run();
    let page = html::html(&Report::from_state(&state), &state);
    assert!(
        !page.to_ascii_lowercase().contains("<script"),
        "a script tag reached the page"
    );
    assert!(page.contains("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=https://evil.example/x.png onerror=alert(2)&gt;"));
    assert!(
        !page.contains("evil.example/help"),
        "finding help links are not part of the page"
    );
    assert!(page.contains("NO-GO"));
    assert_self_contained(&page);
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    c.env_remove("NO_COLOR").env("FLIGHTDECK_LOG", "info");
    c
}

fn only_run_dir(state: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
        .expect("runs dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

#[test]
fn a_demo_run_writes_a_self_contained_page_that_replay_writes_again_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let o = bin()
        .args([
            "demo",
            "--headless",
            "--quick",
            "--scenario",
            "degraded",
            "--state-dir",
        ])
        .arg(&state)
        .output()
        .expect("run the demo");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let run = only_run_dir(&state);
    let page = std::fs::read_to_string(run.join("report.html")).expect("report.html");
    assert_self_contained(&page);
    for section in [
        "id=\"lost\"",
        "id=\"stages\"",
        "id=\"latency\"",
        "id=\"canary\"",
        "id=\"findings\"",
        "id=\"appendix\"",
    ] {
        assert!(page.contains(section), "missing section {section}");
    }
    assert!(page.contains("NO-GO"));
    assert!(page.contains("class=\"line p99\""), "a p99 latency line");
    // The only URLs are the demo's own loopback endpoints, as text.
    for (i, _) in page.match_indices("://") {
        let host: String = page[i + 3..]
            .chars()
            .take_while(|c| *c != ':' && *c != '/' && *c != '<')
            .collect();
        assert!(
            host == "127.0.0.1" || host == "localhost",
            "external URL in the page: {}",
            &page[i.saturating_sub(8)..(i + 40).min(page.len())]
        );
    }
    let again = dir.path().join("replayed");
    let o = bin()
        .args(["replay", "--headless", "--report-dir"])
        .arg(&again)
        .arg(run.join("journal.jsonl"))
        .output()
        .expect("replay");
    assert_eq!(o.status.code(), Some(1));
    // The journal holds the demo receiver's notifications too; no report
    // reads them, so every report comes back byte for byte.
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).expect("journal");
    assert!(
        journal.contains("\"type\":\"notify_sent\""),
        "the demo notifies"
    );
    for name in flightdeck::report::REPORT_FILES {
        let live = std::fs::read_to_string(run.join(name)).expect("live report");
        let replayed = std::fs::read_to_string(again.join(name)).expect("replayed report");
        assert!(live == replayed, "{name} differs after replay");
    }
}
