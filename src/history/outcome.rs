//! Production outcomes recorded after a run: appended to the run's journal
//! as an operator action (`record_outcome`) and an `outcome_recorded`
//! event, then indexed. The journal stays the truth: a rebuild finds the
//! outcome there.
//!
//! A CSV of releases records many at once: a header row, then one release
//! per row, named by `run` (a run id) or by `service` and `release` (its
//! latest run); `result` is `success`, `rolled-back` or `incident`;
//! `severity`, `restore_minutes` and `note` are optional.

use std::path::{Path, PathBuf};

use super::error::StoreError;
use crate::core::actor::Actor;
use crate::core::event::{ActionKind, Event};
use crate::core::history::{OutcomeSource, ProductionOutcome, ProductionResult};
use crate::core::state::RunState;
use crate::record::journal::{self, JOURNAL_FILE};

/// Longest note kept (it lands in reports).
pub const MAX_NOTE: usize = 500;

/// Check an outcome's fields; the message names the field and the fix.
pub fn check(o: &ProductionOutcome) -> Result<(), String> {
    if let Some(m) = o.restore_minutes
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(format!(
            "restore minutes {m} is not a duration; give minutes, zero or more"
        ));
    }
    if let Some(s) = &o.severity
        && (s.trim().is_empty() || s.chars().count() > 40 || s.contains('\n'))
    {
        return Err("severity must be a short name such as sev2 (1 to 40 characters)".into());
    }
    if let Some(n) = &o.note
        && (n.chars().count() > MAX_NOTE || n.contains('\n'))
    {
        return Err(format!(
            "the note must be one line of at most {MAX_NOTE} characters (it lands in reports)"
        ));
    }
    Ok(())
}

/// The journal of a run in this state directory: its id, or a prefix that
/// names one run.
pub fn find_journal(state_dir: &Path, run: &str) -> Result<PathBuf, StoreError> {
    let runs = state_dir.join("runs");
    let exact = runs.join(run).join(JOURNAL_FILE);
    if !run.is_empty() && !run.contains(['/', '\\']) && exact.is_file() {
        return Ok(exact);
    }
    let matches: Vec<PathBuf> = super::index::journals(state_dir)
        .into_iter()
        .filter(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .is_some_and(|n| !run.is_empty() && n.to_string_lossy().starts_with(run))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(StoreError::other(format!(
            "no run `{run}` under {} (hint: `flightdeck history` lists the runs; outcomes are recorded on the machine that holds the run's journal)",
            runs.display()
        ))),
        many => Err(StoreError::other(format!(
            "`{run}` names {} runs ({}); give more of the run id",
            many.len(),
            many.iter()
                .filter_map(|p| p
                    .parent()?
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Append the outcome to the run's journal. The run must have finished.
/// Returns the run id.
pub fn append(
    journal_path: &Path,
    actor: &Actor,
    outcome: ProductionOutcome,
) -> Result<String, StoreError> {
    check(&outcome).map_err(StoreError::other)?;
    let back = journal::read(journal_path).map_err(|e| StoreError::other(format!("{e:#}")))?;
    let state = RunState::from_envelopes(&back.envelopes);
    let Some(info) = state.info.as_ref() else {
        return Err(StoreError::other(format!(
            "{}: the journal holds no run (no run_started)",
            journal_path.display()
        )));
    };
    if state.finished_at.is_none() {
        return Err(StoreError::other(format!(
            "run {} has not finished; record its production outcome once it has ended and the release went out",
            info.run_id
        )));
    }
    let run_id = info.run_id.clone();
    journal::append_to(
        journal_path,
        vec![
            Event::operator_action(
                actor,
                ActionKind::RecordOutcome,
                Some(run_id.clone()),
                Some(format!("production: {}", outcome.result.as_str())),
            ),
            Event::OutcomeRecorded {
                actor: actor.name.clone(),
                outcome,
            },
        ],
    )
    .map_err(|e| StoreError::other(format!("{e:#}")))?;
    Ok(run_id)
}

/// How a CSV row names its run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunName {
    /// A run id (or a unique prefix).
    Id(String),
    /// The latest run of this service's release.
    Release {
        /// Service.
        service: String,
        /// Release.
        release: String,
    },
}

/// One CSV row, read.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOutcome {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    /// The run it is for.
    pub run: RunName,
    /// The outcome.
    pub outcome: ProductionOutcome,
}

/// Split one CSV line (RFC 4180 quoting: `"a, b"` and `""` for a quote).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (',', false) => out.push(std::mem::take(&mut cur).trim().to_string()),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// Read a CSV of releases. Every problem is reported at once, by line.
pub fn parse_csv(text: &str, file: &str) -> Result<Vec<CsvOutcome>, Vec<String>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(vec![format!(
            "{file}: empty; write a header row such as `run,result,severity,restore_minutes,note`"
        )]);
    };
    let cols: Vec<String> = fields(header)
        .into_iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let mut problems = Vec::new();
    let Some(result_col) = col("result") else {
        return Err(vec![format!(
            "{file}:1: no `result` column (found: {}); the header needs result and either run or service,release",
            cols.join(", ")
        )]);
    };
    let (run_col, service_col, release_col) = (col("run"), col("service"), col("release"));
    if run_col.is_none() && (service_col.is_none() || release_col.is_none()) {
        return Err(vec![format!(
            "{file}:1: name the run with a `run` column, or with `service` and `release` columns"
        )]);
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let f = fields(line);
        let get = |c: Option<usize>| c.and_then(|c| f.get(c)).filter(|v| !v.is_empty()).cloned();
        let run = match (get(run_col), get(service_col), get(release_col)) {
            (Some(id), _, _) => RunName::Id(id),
            (None, Some(service), Some(release)) => RunName::Release { service, release },
            _ => {
                problems.push(format!(
                    "{file}:{n}: no run (fill `run`, or `service` and `release`)"
                ));
                continue;
            }
        };
        let Some(result) = get(Some(result_col)).and_then(|r| ProductionResult::parse(&r)) else {
            problems.push(format!(
                "{file}:{n}: result `{}` is not success, rolled-back or incident",
                get(Some(result_col)).unwrap_or_default()
            ));
            continue;
        };
        let restore_minutes = match get(col("restore_minutes")) {
            None => None,
            Some(m) => match m.parse::<f64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    problems.push(format!("{file}:{n}: restore_minutes `{m}` is not a number"));
                    continue;
                }
            },
        };
        let outcome = ProductionOutcome {
            result,
            severity: get(col("severity")),
            restore_minutes,
            note: get(col("note")),
            source: OutcomeSource::Csv,
        };
        if let Err(e) = check(&outcome) {
            problems.push(format!("{file}:{n}: {e}"));
            continue;
        }
        out.push(CsvOutcome {
            line: n,
            run,
            outcome,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_names_runs_by_id_or_release_and_reports_every_bad_line() {
        let text = "run,service,release,result,severity,restore_minutes,note\n\
                    20260101-a,,,incident,sev2,45,\"db pool, exhausted\"\n\
                    ,shop-api,2.14.0,success,,,\n";
        let rows = parse_csv(text, "r.csv").expect("parses");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].run, RunName::Id("20260101-a".into()));
        assert_eq!(rows[0].outcome.note.as_deref(), Some("db pool, exhausted"));
        assert_eq!(rows[0].outcome.restore_minutes, Some(45.0));
        assert_eq!(
            rows[1].run,
            RunName::Release {
                service: "shop-api".into(),
                release: "2.14.0".into()
            }
        );
        let bad = "run,result,restore_minutes\nx,meh,\ny,success,soon\n,success,\n";
        let e = parse_csv(bad, "r.csv").unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("r.csv:2: result `meh`"), "{e:?}");
        assert!(e[1].contains("r.csv:3: restore_minutes `soon`"), "{e:?}");
        assert!(e[2].contains("r.csv:4: no run"), "{e:?}");
        assert!(parse_csv("a,b\n", "r.csv").unwrap_err()[0].contains("no `result` column"));
    }
}
