//! The run's socket against real peers: a peer with another uid (the
//! `nobody` account, through runuser) is a viewer whose commands are
//! refused, and an operator when `share.operators` names it; garbage,
//! oversized frames and a wrong version drop that peer while the run goes
//! on; a peer that never reads is dropped as too slow without slowing the
//! run; a peer gets the journal from its start, then live events.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use flightdeck::core::command::Command;
use flightdeck::core::event::{EnvRisk, Event, LogLevel};
use flightdeck::core::share::Role;
use flightdeck::core::state::RunState;
use flightdeck::record::journal::{self, Journal};
use flightdeck::record::recorder::Recorder;
use flightdeck::share::protocol::{
    ClientMsg, PROTOCOL_VERSION, RemoteCommand, ServerMsg, read_msg, write_msg,
};
use flightdeck::share::{Account, ServerOptions, ShareServer};
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

struct Live {
    _dir: tempfile::TempDir,
    run_dir: PathBuf,
    rec: Recorder,
    commands: UnboundedReceiver<Command>,
    server: ShareServer,
}

/// A run with a journal, its socket listening, in a directory tree that
/// other accounts may traverse (the run directory itself is the server's).
fn live(opts: ServerOptions) -> Live {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).expect("run dir");
    let rec = Recorder::new(Some(
        Journal::create(&run_dir.join("journal.jsonl")).expect("journal"),
    ));
    rec.emit(Event::RunStarted {
        run_id: "r-share".into(),
        service: "shop-api".into(),
        release: "2.0".into(),
        environment: "preprod".into(),
        risk: EnvRisk::Preprod,
        operator: "owner".into(),
        operator_identity: None,
        read_only: false,
        stages: Vec::new(),
        pass_score: 90.0,
        warn_score: 70.0,
    });
    let (tx, commands) = unbounded_channel();
    let server = ShareServer::start(&run_dir, &rec, tx.clone(), opts).expect("listen");
    // The owner's side keeps the channel open, as the TUI does.
    std::mem::forget(tx);
    Live {
        _dir: dir,
        run_dir,
        rec,
        commands,
        server,
    }
}

fn quick() -> ServerOptions {
    ServerOptions {
        owner_uid: Some(u32::MAX - 1),
        write_timeout: Duration::from_millis(300),
        hello_timeout: Duration::from_secs(2),
        ..Default::default()
    }
}

async fn hello(path: &Path, version: u32) -> (UnixStream, ServerMsg) {
    let mut s = UnixStream::connect(path).await.expect("connect");
    write_msg(
        &mut s,
        &ClientMsg::Hello {
            version,
            ssh_connection: Some("203.0.113.9 52311 10.0.0.1 22".into()),
        },
    )
    .await
    .expect("hello");
    let first = read_msg::<ServerMsg>(&mut s).await.expect("answer");
    (s, first)
}

/// Read until `live`, returning the sequence numbers of the events.
async fn until_live(s: &mut UnixStream) -> Vec<u64> {
    let mut seqs = Vec::new();
    loop {
        match read_msg::<ServerMsg>(s).await.expect("message") {
            ServerMsg::Event { envelope } => seqs.push(envelope.seq),
            ServerMsg::Live => return seqs,
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn wait_for(what: &str, secs: u64, mut pred: impl FnMut() -> bool) {
    let start = Instant::now();
    while !pred() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn folded(run_dir: &Path) -> RunState {
    RunState::from_envelopes(
        &journal::read(&run_dir.join("journal.jsonl"))
            .expect("journal")
            .envelopes,
    )
}

#[tokio::test]
async fn a_peer_gets_the_journal_from_its_start_then_follows_live() {
    let l = live(quick());
    for i in 0..5 {
        l.rec.log(LogLevel::Info, None, format!("before {i}"));
    }
    let mut perms = std::fs::metadata(&l.run_dir).expect("dir").permissions();
    assert_eq!(perms.mode() & 0o777, 0o700, "the run directory is private");
    perms = std::fs::metadata(l.server.path())
        .expect("socket")
        .permissions();
    assert_eq!(perms.mode() & 0o777, 0o600, "the socket is private");
    let (mut s, welcome) = hello(l.server.path(), PROTOCOL_VERSION).await;
    let ServerMsg::Welcome { you, run_id, .. } = welcome else {
        panic!("{welcome:?}");
    };
    assert_eq!(run_id, "r-share");
    assert_eq!(you.actor.uid, Some(0));
    assert_eq!(you.actor.described(), "root (ssh from 203.0.113.9)");
    assert_eq!(you.role, Role::Viewer, "not the owner's uid, not listed");
    let seqs = until_live(&mut s).await;
    assert_eq!(
        seqs,
        (1..=6).collect::<Vec<u64>>(),
        "the journal from its start"
    );
    l.rec.log(LogLevel::Info, None, "after");
    let mut live_seqs = Vec::new();
    while live_seqs.len() < 2 {
        if let ServerMsg::Event { envelope } = read_msg::<ServerMsg>(&mut s).await.expect("msg") {
            live_seqs.push(envelope.seq);
        }
    }
    assert_eq!(live_seqs, [7, 8], "its own join, then the new line");
    assert_eq!(l.rec.read(|st| st.presence.len()), 1);
}

#[tokio::test]
async fn garbage_oversize_and_a_wrong_version_drop_that_peer_and_the_run_goes_on() {
    let mut l = live(quick());
    let (mut watcher, _) = hello(l.server.path(), PROTOCOL_VERSION).await;
    until_live(&mut watcher).await;

    // Garbage instead of a hello.
    let mut g = UnixStream::connect(l.server.path()).await.expect("connect");
    g.write_all(b"GET / HTTP/1.1\r\n\r\n").await.expect("write");
    let answer = read_msg::<ServerMsg>(&mut g).await;
    assert!(
        matches!(&answer, Ok(ServerMsg::Refused { reason }) if reason.starts_with("dropped:")),
        "{answer:?}"
    );
    // A wrong version is told what to do.
    let (_, refused) = hello(l.server.path(), 99).await;
    assert!(
        matches!(&refused, ServerMsg::Refused { reason } if reason.contains("protocol 1 and your flightdeck speaks 99")),
        "{refused:?}"
    );
    // Garbage after a good hello: malformed JSON, then an oversized frame.
    let (mut bad, _) = hello(l.server.path(), PROTOCOL_VERSION).await;
    until_live(&mut bad).await;
    let mut junk = 9u32.to_be_bytes().to_vec();
    junk.extend_from_slice(b"{not json");
    bad.write_all(&junk).await.expect("write");
    let (mut big, _) = hello(l.server.path(), PROTOCOL_VERSION).await;
    until_live(&mut big).await;
    big.write_all(&(64u32 << 20).to_be_bytes())
        .await
        .expect("write");
    let rec = l.rec.clone();
    wait_for("both peers dropped", 5, || {
        rec.read(|s| s.presence.len()) == 1
    })
    .await;
    // The run goes on: it records, and the good watcher hears it.
    l.rec.log(LogLevel::Info, None, "still running");
    loop {
        match read_msg::<ServerMsg>(&mut watcher)
            .await
            .expect("the watcher stays")
        {
            ServerMsg::Event { envelope } => {
                if let Event::Log { message, .. } = &envelope.event
                    && message == "still running"
                {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let state = folded(&l.run_dir);
    let reasons: Vec<String> = journal::read(&l.run_dir.join("journal.jsonl"))
        .expect("journal")
        .envelopes
        .into_iter()
        .filter_map(|e| match e.event {
            Event::PeerLeft { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("malformed message")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("a frame of 67108864 bytes")),
        "{reasons:?}"
    );
    assert!(
        state
            .logs
            .iter()
            .any(|l| l.message.contains("dropped a connection from uid 0")),
        "the garbage hello is logged"
    );
    assert!(l.commands.try_recv().is_err(), "nothing reached the engine");
}

#[tokio::test]
async fn a_peer_that_never_reads_is_dropped_as_too_slow_and_never_slows_the_run() {
    let l = live(quick());
    let (mut slow, _) = hello(l.server.path(), PROTOCOL_VERSION).await;
    until_live(&mut slow).await;
    let line = "x".repeat(1000);
    let t = Instant::now();
    for i in 0..4000 {
        l.rec.log(LogLevel::Info, None, format!("{i} {line}"));
    }
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "emitting never waits for a peer: {:?}",
        t.elapsed()
    );
    let rec = l.rec.clone();
    wait_for("the slow peer to be dropped", 10, || {
        rec.read(|s| s.presence.is_empty())
    })
    .await;
    let left = journal::read(&l.run_dir.join("journal.jsonl"))
        .expect("journal")
        .envelopes
        .into_iter()
        .find_map(|e| match e.event {
            Event::PeerLeft { reason, .. } => Some(reason),
            _ => None,
        })
        .expect("peer_left");
    assert!(left.starts_with("too slow"), "{left}");
    drop(slow);
}

/// The test binary's python3 client: hello as whoever runs it, read to
/// `live`, send a rollback, print the welcome and the answer as JSON lines.
const CLIENT: &str = r#"
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
def send(m):
    b = json.dumps(m).encode()
    s.sendall(struct.pack('>I', len(b)) + b)
def read(n):
    out = b''
    while len(out) < n:
        c = s.recv(n - len(out))
        if not c:
            sys.exit('closed')
        out += c
    return out
def recv():
    return json.loads(read(struct.unpack('>I', read(4))[0]))
send({'type': 'hello', 'version': 1})
print(json.dumps(recv()))
while recv()['type'] != 'live':
    pass
send({'type': 'command', 'command': {'kind': 'rollback', 'reason': 'remote key R'}})
while True:
    m = recv()
    if m['type'] == 'ack':
        print(json.dumps(m))
        break
"#;

/// Run the client as `nobody`; `None` (and a loud note) when this machine
/// cannot run a process as another account.
fn as_nobody(socket: &Path) -> Option<(serde_json::Value, serde_json::Value)> {
    let root = Process::new("id").arg("-u").output().ok()?.stdout == b"0\n";
    let runuser = Process::new("runuser").arg("--help").output().is_ok();
    if !root || !runuser {
        eprintln!(
            "SKIPPED: a peer with another uid needs root and runuser (to run as `nobody`); this test proves nothing here"
        );
        return None;
    }
    let o = Process::new("runuser")
        .args(["-u", "nobody", "--", "python3", "-c", CLIENT])
        .arg(socket)
        .output()
        .expect("runuser python3");
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "client as nobody failed: {text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"));
    Some((lines.next().expect("welcome"), lines.next().expect("ack")))
}

fn nogroup() -> Option<u32> {
    flightdeck::share::accounts::group_id("nogroup")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_uid_is_a_viewer_whose_commands_are_refused_unless_listed_as_operator() {
    let opts = ServerOptions {
        group: nogroup(),
        ..quick()
    };
    let mut l = live(opts.clone());
    let mode = std::fs::metadata(&l.run_dir)
        .expect("dir")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o750,
        "share.group opens the directory to the group"
    );
    let socket = l.server.path().to_path_buf();
    let Some((welcome, ack)) = tokio::task::spawn_blocking(move || as_nobody(&socket))
        .await
        .expect("join")
    else {
        return;
    };
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(welcome["you"]["role"], "viewer");
    assert_eq!(welcome["you"]["actor"]["name"], "nobody");
    assert_eq!(welcome["you"]["actor"]["uid"], 65534);
    assert_eq!(ack["ok"], false);
    assert_eq!(ack["message"], "read-only: ask the operator for control");
    assert!(
        l.commands.try_recv().is_err(),
        "a viewer's rollback never reaches the engine"
    );

    // Listed in share.operators, the same account operates: its rollback
    // reaches the engine carrying its identity.
    let mut l = live(ServerOptions {
        operators: vec![Account::Name("nobody".into())],
        ..opts
    });
    let socket = l.server.path().to_path_buf();
    let (welcome, ack) = tokio::task::spawn_blocking(move || as_nobody(&socket))
        .await
        .expect("join")
        .expect("ran before");
    assert_eq!(welcome["you"]["role"], "operator");
    assert_eq!(welcome["you"]["because"], "config");
    assert_eq!(ack["ok"], true, "{ack}");
    let cmd = l
        .commands
        .try_recv()
        .expect("the rollback reaches the engine");
    let (who, what) = cmd.split();
    let who = who.expect("an attached operator's command carries its actor");
    assert_eq!((who.name.as_str(), who.uid), ("nobody", Some(65534)));
    assert_eq!(
        RemoteCommand::from_command(&what),
        Some(RemoteCommand::Rollback {
            reason: "remote key R".into()
        })
    );
}
