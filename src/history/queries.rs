//! Reading the store: runs, one run whole, per-run series, and the runs
//! with production outcomes that calibration and risk learn from. Every
//! statement runs unchanged on SQLite and PostgreSQL; counting and rates
//! are left to plain Rust over the rows.

use std::collections::HashMap;

use super::error::StoreError;
use super::record::{
    CanaryRow, ChangeRow, CheckRow, DrillRow, FindingCount, LoadRow, OutcomeRow, RunRecord, RunRow,
    StageRow,
};
use super::store::{Conn, Row, Value, parse_name};
use super::write::outcome_of;
use crate::core::history::ProductionResult;
use crate::core::impact::{ChangeSet, ChangedFile};
use crate::core::verdict::Verdict;

const RUN_COLUMNS: &str = "run_id, service, release, environment, operator, started_at, \
    finished_at, duration_s, decision, score, band, exit_code, journal, journal_bytes, \
    risk_score, risk_level";

fn run_of(r: &Row) -> RunRow {
    RunRow {
        run_id: r.text(0),
        service: r.text(1),
        release: r.text(2),
        environment: r.text(3),
        operator: r.text(4),
        started_at: r.text(5),
        finished_at: r.opt_text(6),
        duration_s: r.opt_f64(7),
        decision: r.opt_text(8).and_then(|s| parse_name(&s)),
        score: r.opt_f64(9),
        band: r.opt_text(10).and_then(|s| parse_name(&s)),
        exit_code: r.i64(11),
        journal: r.text(12),
        journal_bytes: r.i64(13),
        risk_score: r.opt_f64(14),
        risk_level: r.opt_text(15),
    }
}

fn verdict(s: &str) -> Verdict {
    parse_name(s).unwrap_or(Verdict::Inconclusive)
}

/// The newest `last` runs (of one service, or all), newest first.
pub fn runs(
    c: &mut dyn Conn,
    service: Option<&str>,
    last: usize,
) -> Result<Vec<RunRow>, StoreError> {
    let last = Value::from(last as i64);
    let rows = match service {
        Some(s) => c.query(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE service = $1 ORDER BY started_at DESC, run_id DESC LIMIT $2"
            ),
            &[s.into(), last],
        )?,
        None => c.query(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT $1"
            ),
            &[last],
        )?,
    };
    Ok(rows.iter().map(run_of).collect())
}

/// The runs whose id is `id` or starts with it.
pub fn find_runs(c: &mut dyn Conn, id: &str) -> Result<Vec<RunRow>, StoreError> {
    let rows = c.query(
        &format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE substr(run_id, 1, length($1)) = $1 ORDER BY run_id LIMIT 20"
        ),
        &[id.into()],
    )?;
    let runs: Vec<RunRow> = rows.iter().map(run_of).collect();
    Ok(match runs.iter().find(|r| r.run_id == id) {
        Some(exact) => vec![exact.clone()],
        None => runs,
    })
}

/// One run with all its rows.
pub fn run_record(c: &mut dyn Conn, run: RunRow) -> Result<RunRecord, StoreError> {
    let id = || Value::from(run.run_id.as_str());
    let stages = c
        .query(
            "SELECT stage, kind, weight, hard, verdict, summary, duration_s FROM stages WHERE run_id = $1 ORDER BY position",
            &[id()],
        )?
        .iter()
        .map(|r| StageRow {
            stage: r.text(0),
            kind: parse_name(&r.text(1)).unwrap_or(crate::core::event::StageKind::Environment),
            weight: r.f64(2),
            hard: r.i64(3) != 0,
            verdict: r.opt_text(4).map(|v| verdict(&v)),
            summary: r.text(5),
            duration_s: r.opt_f64(6),
        })
        .collect();
    let checks = checks_of(c, &run.run_id)?;
    let load = c
        .query(
            "SELECT stage, endpoint, requests, errors, rps, p50_ms, p95_ms, p99_ms, histogram FROM load_endpoints WHERE run_id = $1 ORDER BY stage, endpoint",
            &[id()],
        )?
        .iter()
        .map(load_of)
        .collect();
    let canary = c
        .query(
            "SELECT stage, step, percent, metric, verdict, baseline, canary, p_value FROM canary_judgements WHERE run_id = $1 ORDER BY stage, step, metric",
            &[id()],
        )?
        .iter()
        .map(|r| CanaryRow {
            stage: r.text(0),
            step: r.i64(1),
            percent: r.f64(2),
            metric: r.text(3),
            verdict: verdict(&r.text(4)),
            baseline: r.opt_f64(5),
            canary: r.opt_f64(6),
            p_value: r.opt_f64(7),
        })
        .collect();
    let drills = c
        .query(
            "SELECT stage, objective, value, bound, verdict FROM drill_objectives WHERE run_id = $1 ORDER BY stage, objective",
            &[id()],
        )?
        .iter()
        .map(|r| DrillRow {
            stage: r.text(0),
            objective: r.text(1),
            value: r.text(2),
            bound: r.opt_text(3),
            verdict: verdict(&r.text(4)),
        })
        .collect();
    let findings = c
        .query(
            "SELECT severity, total, open FROM findings WHERE run_id = $1 ORDER BY severity",
            &[id()],
        )?
        .iter()
        .map(|r| FindingCount {
            severity: r.text(0),
            total: r.i64(1),
            open: r.i64(2),
        })
        .collect();
    let outcomes = outcomes_where(c, "o.run_id = $1", &[id()])?
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    let change = change_of(c, &run.run_id)?;
    let capacity = super::capacity::of_run(c, &run.run_id)?;
    Ok(RunRecord {
        run,
        stages,
        checks,
        load,
        canary,
        drills,
        capacity,
        findings,
        outcomes,
        change,
    })
}

fn load_of(r: &Row) -> LoadRow {
    LoadRow {
        stage: r.text(0),
        endpoint: r.text(1),
        requests: r.i64(2),
        errors: r.i64(3),
        rps: r.f64(4),
        p50_ms: r.f64(5),
        p95_ms: r.f64(6),
        p99_ms: r.f64(7),
        histogram: r.opt_bytes(8),
    }
}

fn checks_of(c: &mut dyn Conn, run_id: &str) -> Result<Vec<CheckRow>, StoreError> {
    Ok(c.query(
        "SELECT stage, position, label, value, threshold, verdict FROM checks WHERE run_id = $1 ORDER BY stage, position",
        &[run_id.into()],
    )?
    .iter()
    .map(|r| CheckRow {
        stage: r.text(0),
        position: r.i64(1),
        label: r.text(2),
        value: r.text(3),
        threshold: r.opt_text(4),
        verdict: verdict(&r.text(5)),
    })
    .collect())
}

fn change_of(c: &mut dyn Conn, run_id: &str) -> Result<Option<ChangeRow>, StoreError> {
    let Some(head) = c
        .query(
            "SELECT change_range, base, head, full_plan FROM changes WHERE run_id = $1",
            &[run_id.into()],
        )?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let files = c
        .query(
            "SELECT path, renamed_from, added, removed FROM changed_paths WHERE run_id = $1 ORDER BY path",
            &[run_id.into()],
        )?
        .iter()
        .map(|r| ChangedFile {
            path: r.text(0),
            renamed_from: r.opt_text(1),
            added: r.i64(2) as u64,
            removed: r.i64(3) as u64,
            binary: false,
        })
        .collect();
    Ok(Some(ChangeRow {
        change: ChangeSet {
            range: head.text(0),
            base: head.text(1),
            head: head.text(2),
            files,
        },
        full_plan: head.i64(3) != 0,
    }))
}

/// Outcomes (with their run id) matching a condition on `outcomes o` and
/// `runs r`, in run and record order.
fn outcomes_where(
    c: &mut dyn Conn,
    cond: &str,
    params: &[Value],
) -> Result<Vec<(String, OutcomeRow)>, StoreError> {
    Ok(c.query(
        &format!(
            "SELECT o.run_id, o.seq, o.recorded_at, o.actor, o.result, o.severity, o.restore_minutes, o.note, o.source
             FROM outcomes o JOIN runs r ON r.run_id = o.run_id WHERE {cond} ORDER BY o.run_id, o.seq"
        ),
        params,
    )?
    .iter()
    .filter_map(outcome_of)
    .collect())
}

/// The latest production result of each run of a service that has one.
pub fn production_results(
    c: &mut dyn Conn,
    service: &str,
) -> Result<HashMap<String, ProductionResult>, StoreError> {
    let mut out = HashMap::new();
    for (run, o) in outcomes_where(c, "r.service = $1", &[service.into()])? {
        // Ordered by seq: the last one recorded wins.
        out.insert(run, o.outcome.result);
    }
    Ok(out)
}

/// A run as calibration reads it: its decision, its checks, its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct LearningRun {
    /// The run.
    pub run: RunRow,
    /// Every check of every stage but the gate.
    pub checks: Vec<CheckRow>,
    /// What happened in production, if recorded.
    pub production: Option<ProductionResult>,
}

/// Every run of a service with its checks and production result, oldest first.
pub fn learning_runs(c: &mut dyn Conn, service: &str) -> Result<Vec<LearningRun>, StoreError> {
    let results = production_results(c, service)?;
    let runs = c
        .query(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE service = $1 ORDER BY started_at, run_id"
            ),
            &[service.into()],
        )?
        .iter()
        .map(run_of)
        .collect::<Vec<_>>();
    let mut checks: HashMap<String, Vec<CheckRow>> = HashMap::new();
    for r in c.query(
        "SELECT k.run_id, k.stage, k.position, k.label, k.value, k.threshold, k.verdict
         FROM checks k JOIN runs r ON r.run_id = k.run_id
         JOIN stages s ON s.run_id = k.run_id AND s.stage = k.stage
         WHERE r.service = $1 AND s.kind <> 'gate' ORDER BY k.run_id, k.stage, k.position",
        &[service.into()],
    )? {
        checks.entry(r.text(0)).or_default().push(CheckRow {
            stage: r.text(1),
            position: r.i64(2),
            label: r.text(3),
            value: r.text(4),
            threshold: r.opt_text(5),
            verdict: verdict(&r.text(6)),
        });
    }
    Ok(runs
        .into_iter()
        .map(|run| LearningRun {
            checks: checks.remove(&run.run_id).unwrap_or_default(),
            production: results.get(&run.run_id).copied(),
            run,
        })
        .collect())
}

/// The paths each earlier run of a service changed, for runs with a
/// production result: (run id, result, paths).
pub fn changed_paths_with_results(
    c: &mut dyn Conn,
    service: &str,
) -> Result<Vec<(String, ProductionResult, Vec<String>)>, StoreError> {
    let results = production_results(c, service)?;
    let mut paths: HashMap<String, Vec<String>> = HashMap::new();
    for r in c.query(
        "SELECT p.run_id, p.path, p.renamed_from FROM changed_paths p JOIN runs r ON r.run_id = p.run_id
         WHERE r.service = $1 ORDER BY p.run_id, p.path",
        &[service.into()],
    )? {
        let e = paths.entry(r.text(0)).or_default();
        e.push(r.text(1));
        if let Some(old) = r.opt_text(2) {
            e.push(old);
        }
    }
    let mut out: Vec<(String, ProductionResult, Vec<String>)> = paths
        .into_iter()
        .filter_map(|(run, p)| results.get(&run).map(|res| (run, *res, p)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Load rows of a service's runs for one endpoint (`all` for all
/// traffic), with their run, oldest first; the first load stage of a run
/// stands for it.
pub fn load_series(
    c: &mut dyn Conn,
    service: &str,
    endpoint: &str,
) -> Result<Vec<(RunRow, LoadRow)>, StoreError> {
    let runs: HashMap<String, RunRow> = c
        .query(
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE service = $1"),
            &[service.into()],
        )?
        .iter()
        .map(run_of)
        .map(|r| (r.run_id.clone(), r))
        .collect();
    let mut out: Vec<(RunRow, LoadRow)> = Vec::new();
    for r in c.query(
        "SELECT l.stage, l.endpoint, l.requests, l.errors, l.rps, l.p50_ms, l.p95_ms, l.p99_ms, NULL, l.run_id
         FROM load_endpoints l JOIN runs r ON r.run_id = l.run_id
         WHERE r.service = $1 AND l.endpoint = $2 ORDER BY r.started_at, l.run_id, l.stage",
        &[service.into(), endpoint.into()],
    )? {
        let run_id = r.text(9);
        if out.last().is_some_and(|(run, _)| run.run_id == run_id) {
            continue;
        }
        if let Some(run) = runs.get(&run_id) {
            out.push((run.clone(), load_of(&r)));
        }
    }
    Ok(out)
}
