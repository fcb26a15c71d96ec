//! The PostgreSQL support module on a real server: a throwaway cluster on
//! 127.0.0.1 starts (as `postgres` when root), answers, dies whole when
//! its group is killed, refuses a port in use naming the step, and leaves
//! no process and no directory behind when dropped.

use std::time::Duration;

use flightdeck::pg::{Account, BinDir, Cluster, PgError, Workspace, free_port, tool};
use tokio_util::sync::CancellationToken;

fn bin() -> Option<BinDir> {
    match BinDir::find(None) {
        Ok(b) => Some(b),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PostgreSQL is not installed: {e}"
            );
            eprintln!("SKIPPED: {e}");
            None
        }
    }
}

async fn gone(pids: &[u32]) -> bool {
    for _ in 0..200 {
        if pids.iter().all(|p| !tool::alive(*p)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

#[tokio::test]
async fn a_cluster_starts_answers_and_dies_with_its_whole_group() {
    let Some(bin) = bin() else { return };
    let cancel = CancellationToken::new();
    let ws = Workspace::create(bin, Account::detect().unwrap()).unwrap();
    let root = ws.path().to_path_buf();
    let mut c = Cluster::init(&ws, "source", &cancel).await.unwrap();
    c.start(&ws, free_port().unwrap(), Duration::from_secs(30), &cancel)
        .await
        .unwrap();
    let client = c.connect("postgres").await.unwrap();
    let row = client.query_one("SELECT 40 + 2", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);
    let pm = c.postmaster_pid().unwrap();
    let members = c.members();
    // The postmaster and its children (checkpointer, walwriter, the
    // backend serving us...) are all known, though each child sits in a
    // session of its own.
    assert!(members.contains(&pm), "{members:?} lacks postmaster {pm}");
    assert!(members.len() >= 4, "{members:?}");
    c.kill().await;
    assert!(gone(&members).await, "server processes outlived the kill");
    assert!(client.simple_query("SELECT 1").await.is_err());
    drop(c);
    drop(ws);
    assert!(!root.exists(), "{} was not removed", root.display());
}

#[tokio::test]
async fn a_port_in_use_fails_naming_the_step_and_a_dropped_cluster_stops() {
    let Some(bin) = bin() else { return };
    let cancel = CancellationToken::new();
    let ws = Workspace::create(bin, Account::detect().unwrap()).unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let mut c = Cluster::init(&ws, "source", &cancel).await.unwrap();
    let err = c
        .start(&ws, port, Duration::from_secs(30), &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, PgError::Failed(_)));
    assert_eq!(
        err.to_string(),
        format!(
            "start the source cluster on 127.0.0.1:{port}: port {port} is in use (choose another port, or leave it unset for a free one)"
        )
    );
    c.start(&ws, free_port().unwrap(), Duration::from_secs(30), &cancel)
        .await
        .unwrap();
    let members = c.members();
    assert!(!members.is_empty());
    drop(c);
    assert!(gone(&members).await, "a dropped cluster left {members:?}");
}

/// A process killed with SIGKILL leaves its workspace and its running
/// server behind. The next workspace made beside it removes both, and
/// leaves alone the workspace of a process that is still alive.
#[tokio::test]
async fn a_workspace_left_by_a_dead_process_goes_with_its_server_when_the_next_one_is_made() {
    use std::os::unix::fs::PermissionsExt;
    let Some(bin) = bin() else { return };
    let cancel = CancellationToken::new();
    let parent = tempfile::tempdir().unwrap();
    // The postgres account must get through to the workspaces.
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let account = Account::detect().unwrap();
    let live = Workspace::create_in(parent.path(), bin.clone(), account.clone()).unwrap();
    let left = Workspace::create_in(parent.path(), bin.clone(), account.clone()).unwrap();
    let mut c = Cluster::init(&left, "left", &cancel).await.unwrap();
    c.start(
        &left,
        free_port().unwrap(),
        Duration::from_secs(30),
        &cancel,
    )
    .await
    .unwrap();
    let members = c.members();
    assert!(members.len() >= 4, "{members:?}");
    let root = left.path().to_path_buf();
    // As if this process had been killed: nothing is dropped, and the
    // owner file names a process that has exited.
    std::mem::forget(c);
    std::mem::forget(left);
    let mut gone_owner = std::process::Command::new("true").spawn().unwrap();
    let owner_pid = gone_owner.id();
    gone_owner.wait().unwrap();
    std::fs::write(root.join("owner"), format!("{owner_pid} 1\n")).unwrap();
    assert!(
        members.iter().all(|p| tool::alive(*p)),
        "the server runs on"
    );

    let next = Workspace::create_in(parent.path(), bin, account).unwrap();
    assert!(
        gone(&members).await,
        "the abandoned server outlived the next workspace"
    );
    assert!(!root.exists(), "{} was not removed", root.display());
    assert!(
        live.path().exists(),
        "a live process's workspace was removed"
    );
    assert!(next.path().join("owner").exists());
}
