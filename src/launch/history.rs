//! The history faces that need the whole configuration: `flightdeck
//! history ...`, `flightdeck outcome ...` and `flightdeck plan --changes`.
//! Exit codes: 0 done, 2 usage (unknown run, bad range, bad CSV), 4 the
//! store could not be used.

use std::path::PathBuf;

use serde::Serialize;

use super::prepare::{location, read_change, with_store};
use super::{EXIT_INTERNAL, Failure, load_config};
use crate::cli::PlanArgs;
use crate::config::{OverrideValue, Sources};
use crate::core::history::{ProductionOutcome, ProductionResult};
use crate::engine::Config;
use crate::history::cli::{
    HistoryArgs, HistoryCommand, OutcomeArgs, StoreArgs, calibration_text, indexed_text, runs_text,
    show_text, trend_text,
};
use crate::history::outcome::{CsvOutcome, RunName};
use crate::history::record::RunRow;
use crate::history::trend::Metric;
use crate::history::{Location, StoreError, index, queries};
use crate::output::OutputFormat;

/// The config the history faces read: the file given (or the default one
/// when present), checked whole; without a file, the built-in defaults
/// (a plan is not needed to read history).
fn config(store: &StoreArgs) -> Result<Config, Failure> {
    let file = store.config.clone().or_else(|| {
        let p = PathBuf::from(super::DEFAULT_CONFIG);
        p.is_file().then_some(p)
    });
    let Some(file) = file else {
        let mut cfg = Config::default();
        if let Some(d) = store
            .state_dir
            .clone()
            .or_else(|| std::env::var_os("FLIGHTDECK__STATE_DIR").map(PathBuf::from))
        {
            cfg.state_dir = d;
        }
        return Ok(cfg);
    };
    let mut s = Sources::from_process(Some(file));
    if let Some(d) = &store.state_dir {
        s.set("state_dir", OverrideValue::Str(d.display().to_string()));
    }
    load_config(&s)
}

async fn store_at(cfg: &Config) -> Result<Location, Failure> {
    match location(cfg).await {
        Ok(Some(at)) => Ok(at),
        Ok(None) => Err(Failure::usage(
            "error: history is disabled (history.enabled = false); enable it to index and query runs",
        )),
        Err(e) => Err(Failure::usage(format!("error: {e}"))),
    }
}

fn internal(e: StoreError) -> Failure {
    Failure {
        code: EXIT_INTERNAL,
        message: format!("error: {e}"),
    }
}

fn json<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

#[derive(Serialize)]
struct ListedRun {
    #[serde(flatten)]
    run: RunRow,
    production: Option<ProductionResult>,
}

/// `flightdeck history [show|trend|rebuild|calibrate]`.
pub async fn history(args: HistoryArgs) -> Result<(String, i32), Failure> {
    let cfg = config(&args.store)?;
    let at = store_at(&cfg).await?;
    let label = at.label();
    let out = args.store.output;
    let ascii = cfg.ui.ascii;
    let state_dir = cfg.state_dir.clone();
    let min_default = u64::from(cfg.history.min_sample);
    let text = match args.command {
        None => {
            let (service, last) = (args.service.clone(), args.last);
            let (runs, production) = with_store(at, move |s| {
                s.read(|c| {
                    let runs = queries::runs(c, service.as_deref(), last)?;
                    let mut production = std::collections::HashMap::new();
                    let services: std::collections::BTreeSet<String> =
                        runs.iter().map(|r| r.service.clone()).collect();
                    for svc in services {
                        production.extend(queries::production_results(c, &svc)?);
                    }
                    Ok((runs, production))
                })
            })
            .await
            .map_err(internal)?;
            match out {
                OutputFormat::Json => json(
                    &runs
                        .iter()
                        .map(|r| ListedRun {
                            run: r.clone(),
                            production: production.get(&r.run_id).copied(),
                        })
                        .collect::<Vec<_>>(),
                ),
                OutputFormat::Text => runs_text(&runs, &production),
            }
        }
        Some(HistoryCommand::Show { run }) => {
            let id = run.clone();
            let found = with_store(at, move |s| {
                s.read(|c| {
                    let runs = queries::find_runs(c, &id)?;
                    match runs.as_slice() {
                        [one] => queries::run_record(c, one.clone()).map(Ok),
                        other => Ok(Err(other
                            .iter()
                            .map(|r| r.run_id.clone())
                            .collect::<Vec<_>>())),
                    }
                })
            })
            .await
            .map_err(internal)?;
            let rec = match found {
                Ok(rec) => rec,
                Err(ids) if ids.is_empty() => {
                    return Err(Failure::usage(format!(
                        "error: no run `{run}` in {label} (hint: `flightdeck history` lists the runs)"
                    )));
                }
                Err(ids) => {
                    return Err(Failure::usage(format!(
                        "error: `{run}` names {} runs ({}); give more of the run id",
                        ids.len(),
                        ids.join(", ")
                    )));
                }
            };
            match out {
                OutputFormat::Json => json(&rec),
                OutputFormat::Text => show_text(&rec),
            }
        }
        Some(HistoryCommand::Trend {
            service,
            metric,
            last,
        }) => {
            let m = Metric::parse(&metric)
                .map_err(|e| Failure::usage(format!("error: --metric: {e}")))?;
            let (svc, mm) = (service.clone(), m.clone());
            let points = with_store(at, move |s| {
                s.read(|c| crate::history::trend::series(c, &svc, &mm, last))
            })
            .await
            .map_err(internal)?;
            match out {
                OutputFormat::Json => json(&serde_json::json!({
                    "service": service,
                    "metric": m,
                    "unit": m.unit(),
                    "points": points,
                })),
                OutputFormat::Text => trend_text(&service, &metric, &m, &points, ascii),
            }
        }
        Some(HistoryCommand::Rebuild) => {
            let dir = state_dir.clone();
            let done = with_store(at, move |s| index::rebuild(s, &dir))
                .await
                .map_err(internal)?;
            match out {
                OutputFormat::Json => json(&done),
                OutputFormat::Text => indexed_text("rebuild", &label, &done),
            }
        }
        Some(HistoryCommand::Calibrate {
            service,
            min_sample,
        }) => {
            let svc = service.clone();
            let runs = with_store(at, move |s| s.read(|c| queries::learning_runs(c, &svc)))
                .await
                .map_err(internal)?;
            let report = crate::history::calibrate::calibrate(
                &service,
                &runs,
                min_sample.unwrap_or(min_default).max(1),
            );
            match out {
                OutputFormat::Json => json(&report),
                OutputFormat::Text => calibration_text(&report),
            }
        }
    };
    Ok((text, 0))
}

fn operator(given: Option<&str>, cfg: &Config) -> crate::core::actor::Actor {
    crate::identity::operator(given, &cfg.run.operator)
}

/// `flightdeck outcome RUN --result ...` or `flightdeck outcome --csv FILE`.
pub async fn outcome(args: OutcomeArgs) -> Result<(String, i32), Failure> {
    let cfg = config(&args.store)?;
    let actor = operator(args.operator.as_deref(), &cfg);
    let state_dir = cfg.state_dir.clone();
    let mut todo: Vec<(String, ProductionOutcome)> = Vec::new();
    if let Some(file) = &args.csv {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::usage(format!("error: cannot read {} ({e})", file.display())))?;
        let rows = crate::history::outcome::parse_csv(&text, &file.display().to_string()).map_err(
            |p| {
                Failure::usage(format!(
                    "error: {}\nnothing was recorded",
                    p.join("\nerror: ")
                ))
            },
        )?;
        let mut problems = Vec::new();
        for row in rows {
            match resolve_csv_run(&cfg, &row).await {
                Ok(run) => todo.push((run, row.outcome)),
                Err(e) => problems.push(format!("{}:{}: {e}", file.display(), row.line)),
            }
        }
        if !problems.is_empty() {
            return Err(Failure::usage(format!(
                "error: {}\nnothing was recorded",
                problems.join("\nerror: ")
            )));
        }
    } else if let (Some(run), Some(result)) = (&args.run, args.result) {
        todo.push((
            run.clone(),
            ProductionOutcome {
                result,
                severity: args.severity.clone(),
                restore_minutes: args.restore_minutes,
                note: args.note.clone(),
                source: crate::core::history::OutcomeSource::Cli,
            },
        ));
    }
    // Every journal is found and every outcome checked before one is written.
    let mut journals = Vec::new();
    for (run, o) in &todo {
        crate::history::outcome::check(o).map_err(|e| Failure::usage(format!("error: {e}")))?;
        let j = crate::history::outcome::find_journal(&state_dir, run)
            .map_err(|e| Failure::usage(format!("error: {e}")))?;
        journals.push(j);
    }
    let mut recorded = Vec::new();
    for ((_, o), journal) in todo.into_iter().zip(journals) {
        let run_id = crate::history::outcome::append(&journal, &actor, o.clone())
            .map_err(|e| Failure::usage(format!("error: {e}")))?;
        recorded.push((run_id, o, journal));
    }
    let mut warnings = Vec::new();
    for (_, _, journal) in &recorded {
        if let Some(w) = rewrite_reports(journal) {
            warnings.push(w);
        }
        if let Some(w) = super::prepare::index_finished(&cfg, journal).await {
            warnings.push(w);
        }
    }
    let text = match args.store.output {
        OutputFormat::Json => json(
            &recorded
                .iter()
                .map(|(id, o, _)| serde_json::json!({ "run_id": id, "actor": actor, "outcome": o }))
                .collect::<Vec<_>>(),
        ),
        OutputFormat::Text => {
            let mut s: String = recorded
                .iter()
                .map(|(id, o, _)| {
                    format!(
                        "run {id}: production outcome recorded by {actor}: {}\n",
                        o.text()
                    )
                })
                .collect();
            for w in warnings {
                s.push_str(&w);
                s.push('\n');
            }
            s
        }
    };
    Ok((text, 0))
}

/// Write the run's reports again beside its journal, so they state the
/// outcome just recorded (as a replay of the journal would).
fn rewrite_reports(journal: &std::path::Path) -> Option<String> {
    let dir = journal.parent()?;
    let back = match crate::record::journal::read(journal) {
        Ok(b) => b,
        Err(e) => return Some(format!("warning: reports not rewritten ({e:#})")),
    };
    let state = crate::core::state::RunState::from_envelopes(&back.envelopes);
    crate::report::write_all(&state, dir)
        .err()
        .map(|e| format!("warning: reports not rewritten ({e:#})"))
}

/// The run a CSV row names: its id, or the latest run of its release.
async fn resolve_csv_run(cfg: &Config, row: &CsvOutcome) -> Result<String, String> {
    match &row.run {
        RunName::Id(id) => Ok(id.clone()),
        RunName::Release { service, release } => {
            let at = store_at(cfg).await.map_err(|f| f.message)?;
            let (svc, rel) = (service.clone(), release.clone());
            let runs = with_store(at, move |s| {
                s.read(|c| queries::runs(c, Some(&svc), 10_000))
            })
            .await
            .map_err(|e| e.to_string())?;
            runs.into_iter()
                .find(|r| &r.release == release)
                .map(|r| r.run_id)
                .ok_or_else(|| format!("no run of {service} {rel} in the history"))
        }
    }
}

/// `flightdeck plan -c F --changes BASE..HEAD`: the plan and its reasons,
/// without running anything.
pub async fn plan(args: PlanArgs) -> Result<(String, i32), Failure> {
    let cfg = config(&StoreArgs {
        config: Some(args.config.clone()),
        state_dir: args.state_dir.clone(),
        output: args.output,
    })?;
    let range = args
        .changes
        .clone()
        .or(cfg.run.changes.clone())
        .ok_or_else(|| {
            Failure::usage(
                "error: no change given (hint: pass --changes BASE..HEAD or set [run] changes)",
            )
        })?;
    let change = read_change(&cfg, &range).await?;
    let mut risk = None;
    let mut notes = Vec::new();
    match location(&cfg).await {
        Ok(Some(at)) => {
            let (section, service, ch) =
                (cfg.history.clone(), cfg.run.service.clone(), change.clone());
            match with_store(at, move |s| {
                crate::history::context::build(s, &service, &section, &[], Some(&ch))
            })
            .await
            {
                Ok(ctx) => risk = ctx.risk,
                Err(e) => notes.push(format!(
                    "note: history unavailable ({e}); the plan ignores the risk"
                )),
            }
        }
        Ok(None) => {}
        Err(e) => notes.push(format!("note: {e}; the plan ignores the risk")),
    }
    let sel = crate::impact::select(
        &crate::engine::impact::planned(&cfg),
        &change,
        &cfg.impact,
        risk.as_ref(),
    );
    let text = match args.output {
        OutputFormat::Json => json(&serde_json::json!({ "selection": sel, "risk": risk })),
        OutputFormat::Text => {
            let mut s = crate::impact::face::plan_text(&sel);
            if let Some(r) = &risk {
                s.push_str(&format!("risk {}\n", r.text()));
                if r.requires_signoff {
                    s.push_str("a sign-off is required (history.risk.require_signoff)\n");
                }
            }
            for n in notes {
                s.push_str(&n);
                s.push('\n');
            }
            s
        }
    };
    Ok((text, 0))
}
