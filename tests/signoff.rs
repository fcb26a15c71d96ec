//! Sign-offs on a live run: the gate reaches GO and waits, naming who is
//! needed; `flightdeck signoff` over the run's socket approves (GO, naming
//! the signer), rejects (NO-GO with the comment as the reason), is refused
//! (self-approval forbidden, not in `who`, a bad SSH signature); nobody
//! answering is INCONCLUSIVE; an `ssh-keygen -Y sign` signature is verified
//! by the run and again offline; what the signer saw (the hash of
//! `report.json` at the journal sequence it recorded) is reproducible from
//! the journal alone.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command as Process, Output};
use std::time::{Duration, Instant};

use flightdeck::config::Sources;
use flightdeck::core::event::{Event, Outcome};
use flightdeck::core::signoff::SignoffDecision;
use flightdeck::core::state::RunState;
use flightdeck::engine::{self, AfterDecision, RunIdentity};
use flightdeck::record::journal::{self, Journal};
use flightdeck::record::recorder::Recorder;
use flightdeck::share::{ServerOptions, ShareServer};

/// A health endpoint on 127.0.0.1 for the plan's one scored stage.
async fn healthz() -> String {
    let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    format!("http://{addr}/healthz")
}

struct Run {
    dir: tempfile::TempDir,
    rec: Recorder,
    engine: tokio::task::JoinHandle<Outcome>,
    _server: ShareServer,
    _tx: tokio::sync::mpsc::UnboundedSender<flightdeck::core::command::Command>,
}

impl Run {
    fn run_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn journal(&self) -> Vec<flightdeck::core::event::Envelope> {
        journal::read(&self.run_dir().join("journal.jsonl"))
            .expect("journal")
            .envelopes
    }

    async fn outcome(self) -> (Outcome, RunState, Self) {
        let Run {
            dir,
            rec,
            engine,
            _server,
            _tx,
        } = self;
        let o = tokio::time::timeout(Duration::from_secs(20), engine)
            .await
            .expect("the run ends")
            .expect("engine");
        let state = rec.snapshot();
        let run = Run {
            dir,
            rec,
            engine: tokio::spawn(async move { o }),
            _server,
            _tx,
        };
        (o, state, run)
    }
}

/// A run of one environment stage and the gate, with this `[gate]` text,
/// started in the background with its socket listening.
async fn start(gate: &str) -> Run {
    let url = healthz().await;
    let text = format!(
        r#"[run]
service = "shop-api"
release = "2.0.0"

[environment]
name = "preprod"

[[environment.endpoints]]
name = "api"
url = "{url}"

{gate}

[[stages]]
id = "env"
kind = "environment"
hard = true

[[stages]]
id = "gate"
kind = "gate"
"#
    );
    let cfg = flightdeck::engine::config::load(&Sources {
        file: None,
        text: Some(("test".into(), text)),
        env: HashMap::new(),
        overrides: Vec::new(),
    })
    .expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).expect("run dir");
    let rec = Recorder::new(Some(
        Journal::create(&run_dir.join("journal.jsonl")).expect("journal"),
    ));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let server =
        ShareServer::start(&run_dir, &rec, tx.clone(), ServerOptions::default()).expect("listen");
    let id = RunIdentity {
        run_id: "r-signoff".into(),
        // The run's own operator: this process's account (root here).
        operator: flightdeck::identity::operator(None, ""),
        approvals: Default::default(),
    };
    let engine = {
        let rec = rec.clone();
        tokio::spawn(async move { engine::run(&cfg, &id, &rec, rx, AfterDecision::Return).await })
    };
    Run {
        dir,
        rec,
        engine,
        _server: server,
        _tx: tx,
    }
}

async fn awaiting(run: &Run) {
    let start = Instant::now();
    while run.rec.read(|s| s.awaiting_signoff().is_none()) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the gate never asked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn signoff(run: &Run, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_flightdeck");
    let run_dir = run.run_dir();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Process::new(bin)
            .arg("signoff")
            .arg(&run_dir)
            .args(&args)
            .output()
            .expect("flightdeck signoff")
    })
    .await
    .expect("join")
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const SECURITY: &str = r#"[gate]
signoff_timeout = "20s"

[[gate.signoffs]]
role = "security"
who = ["root"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_waits_and_an_approval_is_recorded_with_what_the_signer_saw() {
    let run = start(SECURITY).await;
    awaiting(&run).await;
    let needed = run
        .rec
        .read(|s| s.awaiting_signoff().map(|v| v.needed_text()));
    assert_eq!(needed.as_deref(), Some("security (root)"));
    assert_eq!(run.rec.read(|s| s.outcome), None, "the run waits");
    let o = signoff(
        &run,
        &[
            "--role",
            "security",
            "--approve",
            "--comment",
            "scans reviewed",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).starts_with("recorded: r-signoff security approve as root (uid 0)"),
        "{}",
        out(&o)
    );
    let (outcome, state, run) = run.outcome().await;
    assert_eq!(outcome, Outcome::Go);
    let d = state.decision.as_ref().expect("decision");
    assert!(
        d.rationale.ends_with("; signed off by security: root"),
        "{}",
        d.rationale
    );
    let v = state.signoffs.as_ref().expect("signoffs");
    let g = v.given_for("security").expect("given");
    assert_eq!(g.decision, SignoffDecision::Approve);
    assert_eq!(g.comment, "scans reviewed");
    assert_eq!(g.actor.uid, Some(0));
    // Offline audit: the report the signer saw is the journal's fold up to
    // the sequence it recorded.
    let envs = run.journal();
    let upto: Vec<_> = envs
        .iter()
        .filter(|e| e.seq <= g.seen_seq)
        .cloned()
        .collect();
    let seen = RunState::from_envelopes(&upto);
    assert_eq!(flightdeck::report::report_sha256(&seen), g.report_sha256);
    let html =
        flightdeck::report::html::html(&flightdeck::report::Report::from_state(&state), &state);
    assert!(
        html.contains("APPROVED") && html.contains("root (uid 0)"),
        "sign-offs in report.html"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_is_no_go_with_the_comment_as_the_reason() {
    let run = start(SECURITY).await;
    awaiting(&run).await;
    let o = signoff(&run, &["--role", "security", "--reject"]).await;
    assert_eq!(
        o.status.code(),
        Some(2),
        "a rejection needs a comment: {}",
        out(&o)
    );
    let o = signoff(
        &run,
        &[
            "--role",
            "security",
            "--reject",
            "--comment",
            "CVE-2026-1234 is not fixed",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let (outcome, state, _) = run.outcome().await;
    assert_eq!(outcome, Outcome::NoGo);
    assert_eq!(
        state.decision.as_ref().map(|d| d.rationale.as_str()),
        Some("sign-off rejected by root (security): CVE-2026-1234 is not fixed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_in_time_is_inconclusive() {
    let run = start(
        r#"[gate]
signoff_timeout = "1s"

[[gate.signoffs]]
role = "release-manager"
who = ["rm-alice", 4242]
"#,
    )
    .await;
    let (outcome, state, run) = run.outcome().await;
    assert_eq!(outcome, Outcome::Inconclusive);
    assert!(
        state.decision.as_ref().is_some_and(|d| d
            .rationale
            .ends_with("; no sign-off from release-manager in time")),
        "{:?}",
        state.decision
    );
    assert!(run.journal().iter().any(|e| matches!(
        &e.event,
        Event::SignoffRequested { needed, .. } if needed[0].who == ["rm-alice", "uid 4242"]
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_approval_and_strangers_are_refused_and_journalled() {
    let run = start(
        r#"[gate]
signoff_timeout = "2s"

[[gate.signoffs]]
role = "security"
who = ["root"]
self_approval = false

[[gate.signoffs]]
role = "release-manager"
who = ["rm-alice"]
"#,
    )
    .await;
    awaiting(&run).await;
    let o = signoff(&run, &["--role", "security", "--approve"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert_eq!(
        out(&o).trim(),
        "refused: self-approval is forbidden for security: root started this run"
    );
    let o = signoff(&run, &["--role", "release-manager", "--approve"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out(&o).trim(),
        "refused: root may not sign release-manager (who: rm-alice)"
    );
    let (outcome, state, _) = run.outcome().await;
    assert_eq!(outcome, Outcome::Inconclusive);
    let v = state.signoffs.expect("signoffs");
    assert_eq!(v.refused.len(), 2);
    assert!(v.given.is_empty());
}

fn ssh_keygen(args: &[&str]) {
    let ok = Process::new("ssh-keygen")
        .args(args)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "ssh-keygen {args:?} (openssh-client) failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_signed_signoff_is_verified_by_the_run_and_again_offline() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keys.path().join("root_ed25519");
    let other = keys.path().join("other_ed25519");
    for k in [&key, &other] {
        ssh_keygen(&[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "test",
            "-f",
            &k.to_string_lossy(),
        ]);
    }
    let allowed = keys.path().join("allowed_signers");
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    std::fs::write(&allowed, format!("root {pubkey}")).expect("allowed_signers");
    let gate = format!(
        r#"[gate]
signoff_timeout = "20s"
allowed_signers = "{}"

[[gate.signoffs]]
role = "security"
who = ["root"]
signature = true
"#,
        allowed.display()
    );
    let run = start(&gate).await;
    awaiting(&run).await;
    let o = signoff(&run, &["--role", "security", "--approve"]).await;
    assert_eq!(o.status.code(), Some(1), "unsigned: {}", out(&o));
    assert!(out(&o).contains("needs an SSH signature"), "{}", out(&o));
    let wrong = other.to_string_lossy().to_string();
    let o = signoff(
        &run,
        &["--role", "security", "--approve", "--ssh-key", &wrong],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(1),
        "a key not in allowed_signers: {}",
        out(&o)
    );
    let good = key.to_string_lossy().to_string();
    let o = signoff(
        &run,
        &[
            "--role",
            "security",
            "--approve",
            "--comment",
            "ok",
            "--ssh-key",
            &good,
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("SSH signature verified"), "{}", out(&o));
    let (outcome, state, _) = run.outcome().await;
    assert_eq!(outcome, Outcome::Go);
    let g = state
        .signoffs
        .as_ref()
        .and_then(|v| v.given_for("security"))
        .cloned()
        .expect("given");
    let sig = g.signature.expect("signature kept");
    assert!(sig.verified);
    // Offline: the journal's text and signature verify with ssh-keygen alone.
    let sig_file = keys.path().join("journalled.sig");
    std::fs::write(&sig_file, &sig.signature).expect("sig");
    let mut child = Process::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(&allowed)
        .args(["-I", "root", "-n", "flightdeck-signoff", "-s"])
        .arg(&sig_file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ssh-keygen verify");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(sig.signed_text.as_bytes())
        .expect("write");
    assert!(
        child.wait().expect("wait").success(),
        "offline verification"
    );
    assert!(
        sig.signed_text
            .contains(&format!("report.json sha256: {}", g.report_sha256))
    );
}
