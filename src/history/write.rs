//! Writing a run's rows, reading an outcome row back, and dumping the
//! store for comparisons (a rebuild must equal the incremental index).

use super::error::StoreError;
use super::record::{OutcomeRow, RunRecord};
use super::store::{Conn, Row, Value};
use super::store::{name_of, parse_name};

/// The tables that hold a run's rows, children first.
pub const RUN_TABLES: [&str; 11] = [
    "stages",
    "checks",
    "load_endpoints",
    "canary_judgements",
    "drill_objectives",
    "capacity_results",
    "findings",
    "outcomes",
    "changed_paths",
    "changes",
    "runs",
];

/// Write a run's rows, replacing whatever the store held for it.
pub fn insert(c: &mut dyn Conn, rec: &RunRecord) -> Result<(), StoreError> {
    let r = &rec.run;
    let id = || Value::from(r.run_id.as_str());
    // The upsert takes the run's row lock first, so two writers of the same
    // run (PostgreSQL) take turns instead of colliding on the children.
    c.exec(
        "INSERT INTO runs (run_id, service, release, environment, operator, started_at,
            finished_at, duration_s, decision, score, band, exit_code, journal, journal_bytes,
            risk_score, risk_level)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (run_id) DO UPDATE SET service = excluded.service,
            release = excluded.release, environment = excluded.environment,
            operator = excluded.operator, started_at = excluded.started_at,
            finished_at = excluded.finished_at, duration_s = excluded.duration_s,
            decision = excluded.decision, score = excluded.score, band = excluded.band,
            exit_code = excluded.exit_code, journal = excluded.journal,
            journal_bytes = excluded.journal_bytes, risk_score = excluded.risk_score,
            risk_level = excluded.risk_level",
        &[
            id(),
            r.service.as_str().into(),
            r.release.as_str().into(),
            r.environment.as_str().into(),
            r.operator.as_str().into(),
            r.started_at.as_str().into(),
            r.finished_at.clone().into(),
            r.duration_s.into(),
            Value::Text(r.decision.map(|d| name_of(&d))),
            r.score.into(),
            Value::Text(r.band.map(|b| name_of(&b))),
            r.exit_code.into(),
            r.journal.as_str().into(),
            r.journal_bytes.into(),
            r.risk_score.into(),
            r.risk_level.clone().into(),
        ],
    )?;
    for t in RUN_TABLES.iter().filter(|t| **t != "runs") {
        c.exec(&format!("DELETE FROM {t} WHERE run_id = $1"), &[id()])?;
    }
    for (i, s) in rec.stages.iter().enumerate() {
        c.exec(
            "INSERT INTO stages (run_id, stage, position, kind, weight, hard, verdict, summary, duration_s)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                id(),
                s.stage.as_str().into(),
                (i as i64).into(),
                s.kind.as_str().into(),
                s.weight.into(),
                s.hard.into(),
                Value::Text(s.verdict.map(|v| v.as_str().to_string())),
                s.summary.as_str().into(),
                s.duration_s.into(),
            ],
        )?;
    }
    for k in &rec.checks {
        c.exec(
            "INSERT INTO checks (run_id, stage, position, label, value, threshold, verdict)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                id(),
                k.stage.as_str().into(),
                k.position.into(),
                k.label.as_str().into(),
                k.value.as_str().into(),
                k.threshold.clone().into(),
                k.verdict.as_str().into(),
            ],
        )?;
    }
    for l in &rec.load {
        c.exec(
            "INSERT INTO load_endpoints (run_id, stage, endpoint, requests, errors, rps, p50_ms, p95_ms, p99_ms, histogram)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                id(),
                l.stage.as_str().into(),
                l.endpoint.as_str().into(),
                l.requests.into(),
                l.errors.into(),
                l.rps.into(),
                l.p50_ms.into(),
                l.p95_ms.into(),
                l.p99_ms.into(),
                Value::Bytes(l.histogram.clone()),
            ],
        )?;
    }
    for k in &rec.canary {
        c.exec(
            "INSERT INTO canary_judgements (run_id, stage, step, percent, metric, verdict, baseline, canary, p_value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                id(),
                k.stage.as_str().into(),
                k.step.into(),
                k.percent.into(),
                k.metric.as_str().into(),
                k.verdict.as_str().into(),
                k.baseline.into(),
                k.canary.into(),
                k.p_value.into(),
            ],
        )?;
    }
    for d in &rec.drills {
        c.exec(
            "INSERT INTO drill_objectives (run_id, stage, objective, value, bound, verdict)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                id(),
                d.stage.as_str().into(),
                d.objective.as_str().into(),
                d.value.as_str().into(),
                d.bound.clone().into(),
                d.verdict.as_str().into(),
            ],
        )?;
    }
    super::capacity::insert(c, &r.run_id, &rec.capacity)?;
    for f in &rec.findings {
        c.exec(
            "INSERT INTO findings (run_id, severity, total, open) VALUES ($1, $2, $3, $4)",
            &[
                id(),
                f.severity.as_str().into(),
                f.total.into(),
                f.open.into(),
            ],
        )?;
    }
    for o in &rec.outcomes {
        insert_outcome(c, &r.run_id, o)?;
    }
    if let Some(ch) = &rec.change {
        let cs = &ch.change;
        c.exec(
            "INSERT INTO changes (run_id, change_range, base, head, files, lines_added, lines_removed, full_plan)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                id(),
                cs.range.as_str().into(),
                cs.base.as_str().into(),
                cs.head.as_str().into(),
                (cs.files.len() as i64).into(),
                (cs.lines_added() as i64).into(),
                (cs.lines_removed() as i64).into(),
                ch.full_plan.into(),
            ],
        )?;
        for f in &cs.files {
            c.exec(
                "INSERT INTO changed_paths (run_id, path, renamed_from, added, removed)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, path) DO NOTHING",
                &[
                    id(),
                    f.path.as_str().into(),
                    f.renamed_from.clone().into(),
                    (f.added as i64).into(),
                    (f.removed as i64).into(),
                ],
            )?;
        }
    }
    Ok(())
}

/// Write one production outcome of a run.
pub fn insert_outcome(c: &mut dyn Conn, run_id: &str, o: &OutcomeRow) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO outcomes (run_id, seq, recorded_at, actor, result, severity, restore_minutes, note, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (run_id, seq) DO NOTHING",
        &[
            run_id.into(),
            o.seq.into(),
            o.recorded_at.as_str().into(),
            o.actor.as_str().into(),
            name_of(&o.outcome.result).into(),
            o.outcome.severity.clone().into(),
            o.outcome.restore_minutes.into(),
            o.outcome.note.clone().into(),
            name_of(&o.outcome.source).into(),
        ],
    )?;
    Ok(())
}

/// An outcome row read back.
pub fn outcome_of(r: &Row) -> Option<(String, OutcomeRow)> {
    use crate::core::history::ProductionOutcome;
    Some((
        r.text(0),
        OutcomeRow {
            seq: r.i64(1),
            recorded_at: r.text(2),
            actor: r.text(3),
            outcome: ProductionOutcome {
                result: parse_name(&r.text(4))?,
                severity: r.opt_text(5),
                restore_minutes: r.opt_f64(6),
                note: r.opt_text(7),
                source: parse_name(&r.text(8)).unwrap_or_default(),
            },
        },
    ))
}

/// Every run-derived row in the store as sorted text lines: two stores
/// (or a store before and after a rebuild) hold the same runs exactly when
/// their dumps are equal.
pub fn dump(c: &mut dyn Conn) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for t in RUN_TABLES {
        for r in c.query(&format!("SELECT * FROM {t}"), &[])? {
            let cells: Vec<String> =
                r.0.iter()
                    .map(|c| match c {
                        super::store::sql::Cell::Bytes(b) => format!("<{} bytes>", b.len()),
                        other => format!("{other:?}"),
                    })
                    .collect();
            out.push(format!("{t}: {}", cells.join(" | ")));
        }
    }
    out.sort();
    Ok(out)
}
