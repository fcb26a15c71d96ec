//! The sequence itself: prepare, heartbeat, backup, disaster, restore,
//! verify; the timeline marks and the measurements as they happen.

use std::path::Path;
use std::time::{Duration, Instant};

use super::backup::{self, Backup};
use super::heartbeat::Heartbeat;
use super::lab::{self, DB, Lab, RECEIVER_NAME};
use super::{ClusterMode, Method, Settings, integrity, restore, step, steps};
use crate::core::disaster::{self, Ack, DrillRecovery, Mark};
use crate::core::drill::{Phase, StepOutcome};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::step::StepResult;
use crate::drill::timeline::Timeline;
use crate::pg::{Account, BinDir, Group, PgError, Workspace, tool};
use crate::secrets::Secret;

/// Run the drill's sequence; everything it started is stopped and its
/// directories removed before it returns, whatever happened.
pub async fn run(run: &Runner<'_>, s: &Settings) -> Result<(), MethodStop> {
    let bin = match BinDir::find(s.bin_dir.as_deref()) {
        Ok(b) => b,
        Err(e) => {
            journal(run, steps::FIND, StepOutcome::Skipped, &e.to_string());
            return Err(MethodStop::Skipped(e.to_string()));
        }
    };
    journal(
        run,
        steps::FIND,
        StepOutcome::Ok,
        &bin.dir().display().to_string(),
    );
    let account = Account::detect().map_err(fail)?;
    let ws = match &s.work_dir {
        Some(d) => Workspace::create_in(d, bin, account),
        None => Workspace::create(bin, account),
    }
    .map_err(fail)?;
    let backups = lab::backup_space(s, &ws).map_err(fail)?;
    let source_url = match (&s.url, s.cluster) {
        (Some(r), ClusterMode::External) => {
            let secret = r
                .resolve()
                .await
                .map_err(|e| MethodStop::Failed(format!("resolve the primary's url {r}: {e}")))?;
            run.cx.redact_also(&secret);
            secret
        }
        _ => Secret::new(String::new()),
    };
    let mut lab = Lab {
        source: None,
        restored: None,
        receiver: None,
        source_url,
        archive: None,
        backups,
        ws,
    };
    let r = prepare_and_drill(run, s, &mut lab).await;
    lab.shutdown().await;
    if s.cluster == ClusterMode::External {
        // Leave the external primary as found (best effort, bounded).
        let url = lab.source_url.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), async move {
            if let Ok(c) = crate::pg::cluster::connect(url.expose()).await {
                let _ = c.batch_execute(super::heartbeat::DROP_SQL).await;
            }
        })
        .await;
    }
    drop(lab);
    r
}

fn fail(e: PgError) -> MethodStop {
    MethodStop::Failed(e.to_string())
}

fn journal(run: &Runner<'_>, name: &str, outcome: StepOutcome, detail: &str) {
    run.journal(
        name,
        Phase::Method,
        Duration::from_secs(10),
        &StepResult {
            outcome,
            detail: run.cx.redact(detail),
            output: String::new(),
            observed: None,
            elapsed: Duration::ZERO,
        },
    );
}

async fn prepare_and_drill(
    run: &Runner<'_>,
    s: &Settings,
    lab: &mut Lab,
) -> Result<(), MethodStop> {
    let cancel = run.cx.cancel.clone();
    if s.method == Method::WalArchive {
        let dir = match &s.archive_dir {
            Some(d) => d.clone(),
            None => lab.ws.dir("archive").map_err(fail)?,
        };
        let account = lab.ws.account().clone();
        let d = dir.clone();
        step(run, steps::ARCHIVE, Duration::from_secs(30), async move {
            if account.can_write(&d).await {
                Ok(((), format!("{} writable by the server's account", d.display())))
            } else {
                Err(PgError::Failed(format!(
                    "prepare the WAL archive: {} is not writable by the server's account{} (give it to that account, or leave archive_dir unset)",
                    d.display(),
                    if account.is_postgres() { " (postgres)" } else { "" }
                )))
            }
        })
        .await?;
        lab.archive = Some(dir);
    }
    if s.cluster == ClusterMode::Temporary {
        let (c, _) = {
            let (ws, archive) = (&lab.ws, lab.archive.clone());
            step(run, steps::SOURCE, s.timeout, async {
                let (c, detail) = lab::create_source(ws, s, archive.as_deref(), &cancel).await?;
                Ok(((c, ()), detail))
            })
            .await?
        };
        lab.source_url = Secret::new(c.url(DB));
        lab.source = Some(c);
    }
    if s.method == Method::WalStream {
        let receiver = step(
            run,
            steps::RECEIVER,
            Duration::from_secs(60),
            start_receiver(lab, &cancel),
        )
        .await?;
        lab.receiver = Some(receiver);
    }
    drill(run, s, lab).await
}

async fn start_receiver(
    lab: &Lab,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<(Group, String), PgError> {
    let dir = lab.ws.dir("wal_stream")?;
    let env = lab::libpq_env(&lab.source_url)?;
    let what = "start pg_receivewal --synchronous";
    let mut slot = lab.ws.command("pg_receivewal", what)?;
    slot.envs(env.clone()).args([
        "--create-slot",
        "--if-not-exists",
        "--slot",
        "flightdeck_dr",
    ]);
    tool::run(
        slot,
        &format!("{what}: create the slot"),
        Duration::from_secs(30),
        cancel,
    )
    .await?;
    let mut cmd = lab.ws.command("pg_receivewal", what)?;
    cmd.envs(env)
        .arg("-D")
        .arg(&dir)
        .args([
            "--slot",
            "flightdeck_dr",
            "--synchronous",
            "--no-loop",
            "-d",
        ])
        .arg(format!("application_name={RECEIVER_NAME}"));
    let mut g = Group::spawn(cmd, what, &lab.ws.path().join("receivewal.log"))?;
    let client = crate::pg::cluster::connect(lab.source_url.expose()).await?;
    for sql in lab::SYNC_SQL {
        client.batch_execute(sql).await.map_err(|e| {
            PgError::Failed(format!(
                "{what}: make it the synchronous standby: {}",
                crate::pg::db_text(&e)
            ))
        })?;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_replication WHERE application_name = $1 AND sync_state = 'sync'",
                &[&RECEIVER_NAME],
            )
            .await
            .map_err(|e| PgError::Failed(format!("{what}: {}", crate::pg::db_text(&e))))?
            .get(0);
        if n > 0 {
            break;
        }
        if g.exited() || Instant::now() >= deadline {
            let log =
                std::fs::read_to_string(lab.ws.path().join("receivewal.log")).unwrap_or_default();
            return Err(PgError::Failed(format!(
                "{what}: not a synchronous standby within 30 s: {}",
                tool::tail(&log)
            )));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = cancel.cancelled() => return Err(PgError::Cancelled),
        }
    }
    g.remember();
    Ok((
        g,
        format!(
            "synchronous standby `{RECEIVER_NAME}` streaming into {}",
            dir.display()
        ),
    ))
}

async fn drill(run: &Runner<'_>, s: &Settings, lab: &mut Lab) -> Result<(), MethodStop> {
    let cancel = run.cx.cancel.clone();
    let origin = Instant::now()
        .checked_sub(Duration::from_millis(run.elapsed_ms()))
        .unwrap_or_else(Instant::now);
    let url = lab.source_url.clone();
    let hb = step(run, steps::HEARTBEAT, Duration::from_secs(30), async {
        let hb = Heartbeat::start(url.expose(), s.heartbeat, origin, s.timeout).await?;
        // The first write acknowledged before the backup begins.
        let deadline = Instant::now() + Duration::from_secs(10);
        while hb.last().is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if hb.last().is_none() {
            return Err(PgError::Failed(
                "start the heartbeat: no write acknowledged within 10 s".into(),
            ));
        }
        let every = s.heartbeat.as_millis();
        Ok((
            hb,
            format!("one acknowledged insert every {every} ms on its own connection"),
        ))
    })
    .await?;
    let hb_started = hb.started_ms;
    let mut hb = Some(hb);
    let t = Timeline::new(run);
    let t_backup = t.mark(Mark::BackupStarted, &s.method.describe(s.jobs));
    let b: Backup = step(run, steps::BACKUP, s.timeout, backup::take(lab, s, &cancel)).await?;
    let t_done = t.mark(Mark::BackupDone, &format!("{} bytes", b.bytes));
    run.measure("backup_s", t_done.saturating_sub(t_backup) as f64 / 1000.0);
    run.measure("backup_bytes", b.bytes as f64);
    if s.method != Method::Custom {
        step(
            run,
            steps::VERIFY_BACKUP,
            s.timeout,
            backup::verify(lab, s, &b, &cancel),
        )
        .await?;
    }
    let after = s.run_after_backup;
    let beat = hb.as_ref();
    step(run, steps::AFTER, after + Duration::from_secs(5), async {
        tokio::select! {
            _ = tokio::time::sleep(after) => {}
            _ = cancel.cancelled() => return Err(PgError::Cancelled),
        }
        let seq = beat.and_then(Heartbeat::last).map_or(0, |a| a.seq);
        Ok((
            (),
            format!(
                "{} s more; heartbeat acknowledged up to seq {seq}",
                after.as_secs_f64()
            ),
        ))
    })
    .await?;
    // The disaster: T0 is marked as it strikes; the heartbeat is stopped
    // right after (its writes fail anyway once the server is gone).
    let t0_detail = match s.cluster {
        ClusterMode::Temporary => s.disaster.as_str().to_string(),
        ClusterMode::External => "declared: the external primary is not touched".to_string(),
    };
    t.mark(Mark::Disaster, &t0_detail);
    let (acks, survivors) = {
        let (source, receiver) = (lab.source.as_mut(), lab.receiver.as_mut());
        let heart = hb.take();
        step(run, steps::DISASTER, Duration::from_secs(30), async move {
            let (detail, survivors) = match source {
                Some(c) => lab::strike(c, s.disaster).await?,
                None => ("declared (external primary)".to_string(), None),
            };
            let acks = match heart {
                Some(h) => h.stop().await,
                None => Vec::new(),
            };
            // pg_receivewal flushed every acknowledged commit already.
            if let Some(r) = receiver {
                r.kill().await;
            }
            let last = acks.last().map_or(0, |a| a.seq);
            Ok((
                (acks, survivors),
                format!("{detail}; last acknowledged heartbeat seq {last}"),
            ))
        })
        .await?
    };
    if let Some((n, committed)) = survivors {
        run.measure("survivors_after_postmaster", n as f64);
        run.measure(
            "commits_after_postmaster_death",
            if committed { 1.0 } else { 0.0 },
        );
    }
    let last_acked = acks.last().copied();
    run.measure("heartbeat_acked", last_acked.map_or(0.0, |a| a.seq as f64));
    let evidence = |integrity, restored| DrillRecovery {
        stage: String::new(),
        drill: String::new(),
        method: s.method.describe(s.jobs),
        rpo_expectation: s.method.rpo_expectation().to_string(),
        last_acked,
        restored,
        integrity,
    };
    let r = restore_and_verify(run, s, lab, &b, &acks, &t).await;
    match r {
        Ok(v) => {
            let failures = v.failures().len();
            run.recovery(evidence(v.integrity.clone(), v.restored));
            let rpo = disaster::rpo(last_acked, v.restored, hb_started);
            run.measure("lost_writes", rpo.lost_writes as f64);
            run.measure("rpo_s", rpo.rpo_s);
            run.measure("integrity_failures", failures as f64);
            t.measure_rto();
            if failures > 0 {
                let names: Vec<String> = v
                    .failures()
                    .iter()
                    .map(|f| format!("{} ({})", f.table, f.note))
                    .collect();
                return Err(MethodStop::Failed(format!(
                    "{} FAIL: the restore holds the wrong data: {}",
                    steps::VERIFY,
                    names.join("; ")
                )));
            }
            Ok(())
        }
        Err(e) => {
            run.recovery(evidence(Vec::new(), None));
            if matches!(e, MethodStop::Cancelled) {
                journal(
                    run,
                    "RTO not measured",
                    StepOutcome::Skipped,
                    "the drill was stopped before the restore was verified: the restore is not a success",
                );
            }
            Err(e)
        }
    }
}

async fn restore_and_verify(
    run: &Runner<'_>,
    s: &Settings,
    lab: &mut Lab,
    b: &Backup,
    acks: &[Ack],
    t: &Timeline<'_, '_>,
) -> Result<integrity::Verified, MethodStop> {
    let cancel = run.cx.cancel.clone();
    let t_start = t.mark(Mark::RestoreStarted, &s.method.describe(s.jobs));
    step(
        run,
        steps::RESTORE,
        s.timeout,
        restore::files(lab, s, b, &cancel),
    )
    .await?;
    let t_done = t.mark(Mark::RestoreDone, "");
    run.measure("restore_s", t_done.saturating_sub(t_start) as f64 / 1000.0);
    step(
        run,
        steps::START,
        s.start_timeout + Duration::from_secs(5),
        restore::start(lab, s, &cancel),
    )
    .await?;
    let db = restored_db(lab, s);
    let url = lab
        .restored
        .as_ref()
        .map(|c| c.url(&db))
        .unwrap_or_default();
    // Healthy: a new connection to the restored database answers a query.
    let client = step(run, steps::HEALTH, Duration::from_secs(30), async {
        let c = crate::pg::cluster::connect(&url).await?;
        c.simple_query("SELECT 1")
            .await
            .map_err(|e| PgError::Failed(format!("health probe: {}", crate::pg::db_text(&e))))?;
        Ok((c, format!("SELECT 1 answered on {db}")))
    })
    .await?;
    t.mark(Mark::ServiceHealthy, &format!("SELECT 1 on {db}"));
    if !s.before_verify.is_empty() {
        let port = lab.restored.as_ref().map_or(0, |c| c.port());
        let vars = [
            ("bin_dir", lab.ws.bin().dir().display().to_string()),
            ("host", "127.0.0.1".to_string()),
            ("port", port.to_string()),
            ("user", "postgres".to_string()),
            ("dbname", db.clone()),
            ("url", url.clone()),
        ];
        let argv = backup::fill(&s.before_verify, &vars);
        step(run, steps::BEFORE_VERIFY, s.timeout, async {
            let Some((program, args)) = argv.split_first() else {
                return Err(PgError::Failed("before_verify is empty".into()));
            };
            let mut cmd = tokio::process::Command::new(Path::new(program));
            cmd.args(args);
            let ran = tool::run(
                cmd,
                &format!("before_verify ({program})"),
                s.timeout,
                &cancel,
            )
            .await?;
            Ok((
                (),
                format!("{program} ran in {:.2} s", ran.elapsed.as_secs_f64()),
            ))
        })
        .await?;
    }
    let v = step(run, steps::VERIFY, s.timeout, async {
        let v = integrity::verify(&client, &b.expected, acks, b.snapshot_seq).await?;
        let bad = v.failures().len();
        let n = v.integrity.len();
        Ok((v, format!("{} of {n} tables match", n - bad)))
    })
    .await?;
    if v.failures().is_empty() {
        t.mark(
            Mark::DataVerified,
            &format!("{} tables match", v.integrity.len()),
        );
    }
    Ok(v)
}

fn restored_db(lab: &Lab, s: &Settings) -> String {
    match s.cluster {
        ClusterMode::Temporary => DB.to_string(),
        ClusterMode::External => lab::libpq_env(&lab.source_url)
            .ok()
            .and_then(|e| {
                e.into_iter()
                    .find(|(k, _)| k == "PGDATABASE")
                    .map(|(_, v)| v)
            })
            .unwrap_or_else(|| "postgres".into()),
    }
}
