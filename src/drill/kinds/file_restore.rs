//! File or Terraform-state restore, for teams whose critical state is not a
//! database: back the file up (built-in copy or `backup_command`), record
//! its size and SHA-256 (and a Terraform state's `serial` and `lineage`),
//! corrupt it (T0: truncate, overwrite, or `corrupt_command`), restore it
//! (built-in copy or `restore_command`), and verify it by checksum (a state
//! must parse again with the same serial and lineage). Then an optional
//! health probe. Measured: `backup_s`, `backup_bytes`, `restore_s`,
//! `integrity_failures`, `rto_s`.
//!
//! By default the drill works on a copy in a throwaway folder, so a drill
//! never damages the real file; `in_place = true` drills the file itself
//! (the backup is then copied back if the drill fails after the damage).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::core::disaster::{DrillRecovery, Mark, TableIntegrity};
use crate::core::drill::{Phase, StepOutcome, StepPlan};
use crate::drill::runner::{MethodStop, Runner};
use crate::drill::spec::{Drill, SpecError};

use super::argv::command;
use super::file_state::{self, Corruption, Fingerprint, Format, WorkDir};
use super::stop_on;
use crate::drill::timeline::Timeline;

/// `[drill.params]` of a `file_restore` drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The file (relative to the drill file's folder).
    pub path: String,
    /// `auto` (a `.tfstate` is a Terraform state), `file`, `terraform_state`.
    #[serde(default)]
    pub format: Format,
    /// Drill the file itself, not a copy.
    #[serde(default)]
    pub in_place: bool,
    /// Back up with this argv instead of a copy (`{path}`, `{backup}`).
    #[serde(default)]
    pub backup_command: Option<Vec<String>>,
    /// The built-in corruption.
    #[serde(default)]
    pub corrupt: Corruption,
    /// Corrupt with this argv instead (`{path}`).
    #[serde(default)]
    pub corrupt_command: Option<Vec<String>>,
    /// Restore with this argv instead of a copy (`{path}`, `{backup}`).
    #[serde(default)]
    pub restore_command: Option<Vec<String>>,
    /// After the verification, this URL must answer 2xx.
    #[serde(default)]
    pub health_url: Option<String>,
    /// After the verification, this argv must exit 0 (`{path}`).
    #[serde(default)]
    pub health_command: Option<Vec<String>>,
    /// Longest each command may run.
    #[serde(default = "command_timeout")]
    pub command_timeout: String,
}

fn command_timeout() -> String {
    "60s".into()
}

impl Params {
    /// Check what serde cannot.
    pub fn check(&self, drill: &Drill) -> Result<(), SpecError> {
        if self.path.trim().is_empty() {
            return Err(super::bad(
                drill,
                "path",
                "is empty",
                "name the file to drill",
            ));
        }
        for (key, argv) in [
            ("backup_command", &self.backup_command),
            ("corrupt_command", &self.corrupt_command),
            ("restore_command", &self.restore_command),
            ("health_command", &self.health_command),
        ] {
            if argv.as_ref().is_some_and(|a| a.is_empty()) {
                return Err(super::bad(
                    drill,
                    key,
                    "is an empty argv",
                    "write the program and its arguments, e.g. [\"cp\", \"{backup}\", \"{path}\"]",
                ));
            }
        }
        super::duration(drill, "command_timeout", &self.command_timeout).map(|_| ())
    }

    fn timeout(&self) -> Duration {
        crate::config::parse_duration(&self.command_timeout).unwrap_or(Duration::from_secs(60))
    }

    fn name(&self) -> String {
        Path::new(&self.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.clone())
    }
}

/// The kind's steps, for the plan.
pub fn plan(drill: &Drill) -> Vec<StepPlan> {
    let Ok(p) = super::params::<Params>(drill) else {
        return Vec::new();
    };
    let t = p.timeout().as_millis() as u64;
    let n = p.name();
    let mut v: Vec<StepPlan> = [
        format!("back up {n}"),
        format!("corrupt {n}"),
        format!("restore {n}"),
        format!("verify {n}"),
    ]
    .into_iter()
    .map(|name| StepPlan {
        name,
        phase: Phase::Method,
        timeout_ms: t,
    })
    .collect();
    if p.health_url.is_some() || p.health_command.is_some() {
        v.push(StepPlan {
            name: "health probe".into(),
            phase: Phase::Method,
            timeout_ms: t,
        });
    }
    v
}

/// Where the drill's files are.
struct Files {
    /// The file drilled (the copy, or the file itself).
    target: PathBuf,
    /// The built-in backup (and `{backup}` of the commands).
    backup: PathBuf,
}

fn fill(argv: &[String], f: &Files) -> Vec<String> {
    argv.iter()
        .map(|a| {
            a.replace("{path}", &f.target.to_string_lossy())
                .replace("{backup}", &f.backup.to_string_lossy())
        })
        .collect()
}

fn outcome_of(r: Result<String, String>) -> (StepOutcome, String, String) {
    match r {
        Ok(d) => (StepOutcome::Ok, d, String::new()),
        Err(e) => (StepOutcome::Failed, e, String::new()),
    }
}

/// The sequence.
pub async fn method(run: &Runner<'_>) -> Result<(), MethodStop> {
    let p: Params = super::params(run.drill()).map_err(|e| MethodStop::Failed(e.to_string()))?;
    let original = run.drill().dir.join(&p.path);
    let work = WorkDir::create().map_err(MethodStop::Failed)?;
    let name = p.name();
    let files = Files {
        target: if p.in_place {
            original.clone()
        } else {
            work.path().join(&name)
        },
        backup: work.path().join("backup").join(&name),
    };
    if !p.in_place {
        file_state::copy(&original, &files.target)
            .map_err(|e| MethodStop::Failed(format!("copy {name} into the work folder: {e}")))?;
    }
    let tl = Timeline::new(run);
    let r = sequence(run, &p, &files, &tl).await;
    // In place, a drill that damaged the file and did not restore it
    // puts the backup back before it ends.
    if r.is_err() && p.in_place && tl.reached(Mark::Disaster) && files.backup.is_file() {
        let step = format!("put the backup of {name} back");
        let out = run
            .custom(&step, Phase::Rollback, p.timeout(), async {
                outcome_of(
                    file_state::copy(&files.backup, &files.target)
                        .map(|n| format!("{n} bytes copied back")),
                )
            })
            .await;
        if out.outcome != StepOutcome::Ok {
            tracing::error!(target: "flightdeck::drill", "{step}: {}", out.detail);
        }
    }
    drop(work);
    r
}

async fn sequence(
    run: &Runner<'_>,
    p: &Params,
    files: &Files,
    tl: &Timeline<'_, '_>,
) -> Result<(), MethodStop> {
    let name = p.name();
    let want = file_state::fingerprint(&files.target, p.format)
        .map_err(|e| MethodStop::Failed(format!("read {name} before the backup: {e}")))?;
    // Back up.
    let step = format!("back up {name}");
    tl.mark(Mark::BackupStarted, &want.describe());
    let t = Instant::now();
    let r = run
        .custom(&step, Phase::Method, p.timeout(), async {
            match &p.backup_command {
                Some(argv) => command(run, &fill(argv, files), p.timeout()).await,
                None => outcome_of(
                    file_state::copy(&files.target, &files.backup)
                        .map(|n| format!("{n} bytes copied to the work folder")),
                ),
            }
        })
        .await;
    stop_on(run, &step, r.outcome, &r.detail)?;
    run.measure("backup_s", t.elapsed().as_secs_f64());
    let size = std::fs::metadata(&files.backup).map_or(want.bytes, |m| m.len());
    run.measure("backup_bytes", size as f64);
    tl.mark(Mark::BackupDone, &format!("{size} bytes"));
    // The disaster.
    let step = format!("corrupt {name}");
    tl.mark(
        Mark::Disaster,
        &match &p.corrupt_command {
            Some(_) => format!("corrupt_command on {name}"),
            None => format!("{:?} of {name}", p.corrupt).to_lowercase(),
        },
    );
    let r = run
        .custom(&step, Phase::Method, p.timeout(), async {
            let done = match &p.corrupt_command {
                Some(argv) => command(run, &fill(argv, files), p.timeout()).await,
                None => outcome_of(
                    file_state::corrupt(&files.target, p.corrupt)
                        .map(|()| format!("{:?}", p.corrupt).to_lowercase()),
                ),
            };
            if done.0 != StepOutcome::Ok {
                return done;
            }
            // A disaster that changed nothing would test nothing.
            match file_state::fingerprint(&files.target, Format::File) {
                Ok(f) if f.sha256 == want.sha256 => (
                    StepOutcome::Failed,
                    "the corruption left the file unchanged; nothing would be tested".into(),
                    done.2,
                ),
                _ => (
                    StepOutcome::Ok,
                    format!("{}: checksum changed", done.1),
                    done.2,
                ),
            }
        })
        .await;
    stop_on(run, &step, r.outcome, &r.detail)?;
    // Restore.
    let step = format!("restore {name}");
    tl.mark(Mark::RestoreStarted, "");
    let t = Instant::now();
    let r = run
        .custom(&step, Phase::Method, p.timeout(), async {
            match &p.restore_command {
                Some(argv) => command(run, &fill(argv, files), p.timeout()).await,
                None => outcome_of(
                    file_state::copy(&files.backup, &files.target)
                        .map(|n| format!("{n} bytes copied back")),
                ),
            }
        })
        .await;
    stop_on(run, &step, r.outcome, &r.detail)?;
    run.measure("restore_s", t.elapsed().as_secs_f64());
    tl.mark(Mark::RestoreDone, "");
    // Verify.
    let step = format!("verify {name}");
    let got = file_state::fingerprint(&files.target, p.format);
    let wrong = match &got {
        Ok(g) => file_state::mismatch(&want, g),
        Err(e) => Some(e.clone()),
    };
    evidence(run, p, files, &want, got.as_ref().ok(), wrong.as_deref());
    run.measure(
        "integrity_failures",
        if wrong.is_some() { 1.0 } else { 0.0 },
    );
    let r = run
        .custom(&step, Phase::Method, p.timeout(), async {
            match &wrong {
                None => (
                    StepOutcome::Ok,
                    format!("matches the backup: {}", want.describe()),
                    String::new(),
                ),
                Some(w) => (
                    StepOutcome::Failed,
                    format!("the restored file does not match: {w}"),
                    String::new(),
                ),
            }
        })
        .await;
    stop_on(run, &step, r.outcome, &r.detail)?;
    tl.mark(
        Mark::DataVerified,
        &format!("sha256 {}", file_state::short(&want.sha256)),
    );
    // Health.
    if p.health_url.is_some() || p.health_command.is_some() {
        let r = run
            .custom(
                "health probe",
                Phase::Method,
                p.timeout(),
                health(run, p, files),
            )
            .await;
        stop_on(run, "health probe", r.outcome, &r.detail)?;
        tl.mark(Mark::ServiceHealthy, &r.detail);
    } else {
        tl.mark(
            Mark::ServiceHealthy,
            "no health probe: the verified file is the service",
        );
    }
    tl.measure_rto();
    Ok(())
}

async fn health(run: &Runner<'_>, p: &Params, files: &Files) -> (StepOutcome, String, String) {
    if let Some(argv) = &p.health_command {
        let r = command(run, &fill(argv, files), p.timeout()).await;
        if r.0 != StepOutcome::Ok {
            return r;
        }
    }
    if let Some(url) = &p.health_url {
        return match run.cx.client.get(url).timeout(p.timeout()).send().await {
            Ok(resp) if resp.status().is_success() => (
                StepOutcome::Ok,
                format!("GET {url}: {}", resp.status().as_u16()),
                String::new(),
            ),
            Ok(resp) => (
                StepOutcome::Failed,
                format!("GET {url}: {}", resp.status().as_u16()),
                String::new(),
            ),
            Err(_) => (
                StepOutcome::Error,
                format!("GET {url}: no answer"),
                String::new(),
            ),
        };
    }
    (
        StepOutcome::Ok,
        "health command exited 0".into(),
        String::new(),
    )
}

/// The recovery evidence: one integrity row for the file (counts are byte
/// sizes, sums are SHA-256).
fn evidence(
    run: &Runner<'_>,
    p: &Params,
    files: &Files,
    want: &Fingerprint,
    got: Option<&Fingerprint>,
    wrong: Option<&str>,
) {
    let method = match (&p.backup_command, &p.restore_command) {
        (None, None) => "file copy (built-in backup and restore)".to_string(),
        (Some(_), None) => "backup_command + built-in restore".into(),
        (None, Some(_)) => "built-in backup + restore_command".into(),
        (Some(_), Some(_)) => "backup_command + restore_command".into(),
    };
    let note = match (wrong, &want.state) {
        (Some(w), _) => w.to_string(),
        (None, Some((serial, lineage))) => {
            format!("Terraform state serial {serial}, lineage {lineage}")
        }
        (None, None) => String::new(),
    };
    run.recovery(DrillRecovery {
        stage: String::new(),
        drill: String::new(),
        method,
        rpo_expectation: "changes made after the backup are lost".into(),
        last_acked: None,
        restored: None,
        integrity: vec![TableIntegrity {
            table: if p.in_place {
                files.target.display().to_string()
            } else {
                p.path.clone()
            },
            expected_rows: want.bytes as i64,
            restored_rows: got.map_or(-1, |g| g.bytes as i64),
            expected_sum: want.sha256.clone(),
            restored_sum: got.map(|g| g.sha256.clone()).unwrap_or_default(),
            ok: wrong.is_none(),
            note,
        }],
    });
}
