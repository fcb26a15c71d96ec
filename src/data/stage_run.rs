//! The data stage once its databases, rules and key are in hand (from the
//! config in `stage`, or the demo's throwaway clusters in `demo`): classify,
//! copy and verify, as events.

use std::sync::Arc;

use super::DataError;
use super::catalog;
use super::classify;
use super::config::DataSection;
use super::conn::Endpoint;
use super::copy::{self, CopyEvent, CopyOptions, Progress};
use super::plan;
use super::rules::Rules;
use super::transform::HmacKey;
use super::verify::{self, unruled_findings};
use crate::core::data::{
    DataFinding, FindingEvent, FindingKind, LeakScanEvent, ParityEvent, TableCopiedEvent,
    TableProgressEvent, TableStartedEvent,
};
use crate::core::event::Event;
use crate::core::verdict::{Evidence, Verdict};
use crate::record::recorder::Recorder;

/// What the stage concluded: verdict, summary, evidence.
pub(super) type Outcome = (Verdict, String, Vec<Evidence>);

fn ev(label: &str, value: String, threshold: Option<&str>, verdict: Verdict) -> Evidence {
    Evidence {
        label: label.into(),
        value,
        threshold: threshold.map(str::to_string),
        verdict,
    }
}

/// The stage with its databases, rules and key in hand (from the config,
/// or the demo's throwaway clusters).
pub(super) async fn run_resolved(
    cfg: &DataSection,
    source: Endpoint,
    target: Endpoint,
    rules: Rules,
    key: Option<HmacKey>,
    stage: &str,
    rec: &Recorder,
) -> Result<Outcome, DataError> {
    let factor =
        super::scale::whole(cfg.scale.unwrap_or(1.0), "data.scale").map_err(DataError::Usage)?;
    // Every personal column has a rule or an acceptance, or nothing is copied.
    let client = source.connect().await?;
    let mut cat = catalog::read(&client).await?;
    plan::add_references(&mut cat, &rules)?;
    let p = plan::resolve(&cat, &rules)?;
    let mut reports = classify::classify(&client, &cat).await?;
    classify::check_rules(&mut reports, &p, &rules, chrono::Utc::now().date_naive());
    drop(client);
    let unruled = unruled_findings(&reports);
    if !unruled.is_empty() {
        let n = unruled.len();
        for f in unruled {
            rec.emit(Event::DataFinding(FindingEvent {
                stage: stage.into(),
                finding: f,
            }));
        }
        return Ok((
            Verdict::Fail,
            format!("{n} personal columns without a rule or acceptance: nothing copied"),
            vec![ev(
                "personal columns ruled",
                format!("{n} without a rule"),
                Some("all"),
                Verdict::Fail,
            )],
        ));
    }

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<CopyEvent>();
    let progress: Progress = Arc::new(move |e| {
        let _ = tx.send(e);
    });
    let opts = CopyOptions {
        replace: cfg.replace,
        jobs: cfg.jobs.unwrap_or(rules.jobs),
        scale: factor,
    };
    let copying = copy::copy(&source, &target, &rules, key, &opts, progress);
    let drain = async {
        while let Some(e) = rx.recv().await {
            let s = stage.to_string();
            rec.emit(match e {
                CopyEvent::Phase(p) => Event::StageProgress {
                    stage: s,
                    message: format!("copy: {p}"),
                    fraction: None,
                },
                CopyEvent::Started(t) => {
                    Event::DataTableStarted(TableStartedEvent { stage: s, table: t })
                }
                CopyEvent::Rows { table, rows } => Event::DataTableProgress(TableProgressEvent {
                    stage: s,
                    table,
                    rows,
                }),
                CopyEvent::Copied(c) => Event::DataTableCopied(TableCopiedEvent {
                    stage: s,
                    copied: c,
                }),
            });
        }
    };
    let (copied, ()) = tokio::join!(copying, drain);
    let copied = copied?;
    rec.emit(Event::StageProgress {
        stage: stage.into(),
        message: "leak scan and parity".into(),
        fraction: None,
    });
    let report = verify::verify(&source, &target, &rules, factor, &|_| {}).await?;
    rec.emit(Event::DataLeakScan(LeakScanEvent {
        stage: stage.into(),
        scan: crate::core::data::LeakScan {
            source_values: report.leak.source_values,
            rows: report.leak.rows,
            seconds: report.leak.seconds,
        },
    }));
    for f in &report.leak.findings {
        rec.emit(Event::DataFinding(FindingEvent {
            stage: stage.into(),
            finding: f.clone(),
        }));
    }
    for k in report
        .k_anonymity
        .iter()
        .filter(|k| k.verdict == Verdict::Fail)
    {
        rec.emit(Event::DataFinding(FindingEvent {
            stage: stage.into(),
            finding: DataFinding {
                kind: FindingKind::KAnonymity,
                table: k.table.clone(),
                column: k.columns.join(","),
                row_key: String::new(),
                detector: format!("k = {} < min_k {}", k.k, k.min_k),
                count: 1,
                accepted: false,
            },
        }));
    }
    for l in &report.parity {
        rec.emit(Event::DataParity(ParityEvent {
            stage: stage.into(),
            line: l.clone(),
        }));
    }
    let leaks = report.leak.findings.iter().filter(|f| !f.accepted).count();
    let parity_failed = report
        .parity
        .iter()
        .filter(|p| p.verdict == Verdict::Fail)
        .count();
    let mut evidence = vec![
        ev(
            "tables copied",
            format!(
                "{} tables, {} rows in {:.1} s",
                copied.tables.len(),
                copied.rows,
                copied.seconds
            ),
            None,
            Verdict::Pass,
        ),
        ev(
            "leak scan",
            format!("{leaks} findings in {} rows", report.leak.rows),
            Some("0"),
            if leaks == 0 {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
        ),
        ev(
            "parity",
            format!(
                "{} of {} comparisons outside tolerance",
                parity_failed,
                report.parity.len()
            ),
            Some("0"),
            if parity_failed == 0 {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
        ),
    ];
    for k in &report.k_anonymity {
        evidence.push(ev(
            &format!("k-anonymity {}", k.table),
            format!("k = {}", k.k),
            Some(&format!(">= {}", k.min_k)),
            k.verdict,
        ));
    }
    let verdict = evidence
        .iter()
        .map(|e| e.verdict)
        .fold(Verdict::Pass, Verdict::worst);
    Ok((
        verdict,
        format!(
            "{} tables, {} rows copied; {leaks} leak findings; {parity_failed} parity failures",
            copied.tables.len(),
            copied.rows
        ),
        evidence,
    ))
}
