//! The `flightdeck drill` command group: `drill run FILE` here; other drill
//! kinds with their own faces (alerts, runbooks) add their subcommand beside
//! it. Each returns what to print and the exit code (0 pass, 1 fail, 2 bad
//! drill file or usage, 3 inconclusive or aborted, 4 internal error).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::core::state::DrillView;
use crate::core::verdict::Verdict;
use crate::output::OutputFormat;
use crate::record::Recorder;

/// `flightdeck drill ...`
#[derive(Debug, Clone, Args)]
pub struct DrillArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DrillCommand,
}

/// Drill subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum DrillCommand {
    /// Run the drills of a drill file (TOML, `[[drill]]` tables): steady
    /// state, method, rollbacks, objectives. Ctrl-C aborts; rollbacks still
    /// run. Exit 0 every drill passed, 1 one failed, 2 bad file, 3 inconclusive.
    Run(RunArgs),
    /// `drill alerts` and `drill runbook` (run by the launcher).
    #[command(flatten)]
    Ops(super::ops_args::DrillOpsCommand),
}

/// `flightdeck drill run`
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The drill file.
    pub file: PathBuf,
    /// Run only the drill with this name (repeatable).
    #[arg(long)]
    pub only: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
}

/// Run a `drill` subcommand: what to print on stdout, and the exit code.
/// Errors (a bad drill file, an unknown `--only`) go to stderr with code 2.
pub async fn run(args: DrillArgs) -> Result<(String, i32), (String, i32)> {
    match args.command {
        DrillCommand::Run(a) => run_file(a).await,
        DrillCommand::Ops(_) => Err((
            "drill alerts and drill runbook run through the launcher".to_string(),
            4,
        )),
    }
}

async fn run_file(a: RunArgs) -> Result<(String, i32), (String, i32)> {
    let mut drills = super::load_file(&a.file).map_err(|e| (e.join("\n"), 2))?;
    for name in &a.only {
        if !drills.iter().any(|d| &d.name == name) {
            let known: Vec<&str> = drills.iter().map(|d| d.name.as_str()).collect();
            return Err((
                format!(
                    "{}: no drill named `{name}` (known: {})",
                    a.file.display(),
                    known.join(", ")
                ),
                2,
            ));
        }
    }
    if !a.only.is_empty() {
        drills.retain(|d| a.only.contains(&d.name));
    }
    let rec = Recorder::new(None);
    let abort = CancellationToken::new();
    let on_signal = abort.clone();
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    for d in &drills {
        if abort.is_cancelled() {
            break;
        }
        if a.output == OutputFormat::Text {
            eprintln!("drill {} ({}) ...", d.name, d.kind.as_str());
        }
        super::run_drill(&rec, "drill", d, None, &abort).await;
    }
    signal.abort();
    let views = rec.snapshot().drills;
    let verdict = views
        .iter()
        .filter_map(|d| d.verdict)
        .fold(Verdict::Skipped, Verdict::worst);
    let verdict = if abort.is_cancelled() {
        verdict.worst(Verdict::Inconclusive)
    } else {
        verdict
    };
    let code = match verdict {
        Verdict::Pass | Verdict::Warn | Verdict::Skipped => 0,
        Verdict::Fail => 1,
        Verdict::Inconclusive => 3,
    };
    let out = match a.output {
        OutputFormat::Json => {
            let doc = json!({
                "file": a.file.display().to_string(),
                "verdict": verdict.as_str(),
                "exit_code": code,
                "drills": views,
                // Per recovery drill: rto_s, rpo_s, lost_writes, backup
                // and restore, integrity per table, objective verdicts.
                "disaster_recovery": views
                    .iter()
                    .filter_map(crate::core::dr_evidence::DrEvidence::of)
                    .collect::<Vec<_>>(),
            });
            serde_json::to_string_pretty(&doc).map_err(|e| (e.to_string(), 4))? + "\n"
        }
        OutputFormat::Text => views.iter().map(text).collect::<Vec<_>>().join("\n"),
    };
    Ok((out, code))
}

/// One drill as text: verdict, steps with timing, objectives.
pub fn text(d: &DrillView) -> String {
    let mut s = format!(
        "{} {} ({}): {}\n",
        d.verdict.map_or("RUN", Verdict::badge),
        d.name,
        d.kind.as_str(),
        d.summary
    );
    for st in &d.steps {
        let Some(o) = st.outcome else { continue };
        s.push_str(&format!(
            "  {:<13} {:<28} {:<7} {:>7} ms  {}\n",
            st.phase.as_str(),
            st.name,
            o.badge(),
            st.elapsed_ms,
            st.detail
        ));
    }
    for o in &d.results {
        s.push_str(&format!(
            "  objective {:<24} {:>10} {:<10} {}\n",
            o.objective.measure,
            o.measured
                .map_or("-".to_string(), crate::core::drill::value_text),
            o.objective.bound_text(),
            o.verdict.badge()
        ));
    }
    if let Some(e) = crate::core::dr_evidence::DrEvidence::of(d) {
        s.push_str(&recovery_text(&e));
    }
    if d.rollback_failed {
        s.push_str("  ROLLBACK FAILED: check the system; it may be left in its faulted state\n");
    }
    s
}

/// A recovery drill's timeline, RTO, RPO and integrity, as text.
fn recovery_text(e: &crate::core::dr_evidence::DrEvidence) -> String {
    use crate::core::dr_evidence::seconds;
    let mut s = String::new();
    for p in &e.timeline {
        let line = format!(
            "  timeline  {:<10} {:<16} {}",
            p.relative(),
            p.mark.as_str(),
            p.detail
        );
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str(&format!(
        "  RTO {}\n",
        e.rto_s.map_or_else(|| e.rto_note().to_string(), seconds)
    ));
    s.push_str(&match (e.rpo_s, e.lost_writes) {
        (None, None) => "  RPO not measured: no heartbeat in this drill\n".to_string(),
        (r, w) => format!(
            "  RPO {}, {} lost writes\n",
            r.map_or("-".into(), seconds),
            w.map_or("-".into(), |w| w.to_string())
        ),
    });
    s.push_str(&format!("  integrity {}\n", e.integrity_summary()));
    s
}
