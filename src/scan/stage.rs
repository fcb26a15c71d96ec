//! The scan stage: gather findings from SARIF files, scanner commands, the
//! built-in secrets scan and HTTP posture checks; mark them new or known
//! against the service's baseline; apply risk acceptances; judge.

use std::path::Path;

use chrono::NaiveDate;

use super::config::ScanSection;
use crate::core::event::{Event, LogLevel};
use crate::record::recorder::Recorder;
use crate::scan::posture::{PostureOptions, check_posture};
use crate::scan::secrets::{SecretRules, SecretsOptions, scan_secrets};
use crate::scan::{
    Finding, Unavailable, apply_acceptances, judge_with_unavailable, load_baseline, mark_known,
    parse_sarif_file, run_scanner,
};

/// Where a run keeps its scan baselines: `<state_dir>/baselines/scan`.
pub fn baseline_dir(state_dir: &Path) -> std::path::PathBuf {
    state_dir.join("baselines").join("scan")
}

/// Run the scan stage and emit its findings and verdict.
pub async fn run_stage(
    cfg: &ScanSection,
    service: &str,
    state_dir: &Path,
    stage: &str,
    rec: &Recorder,
    today: NaiveDate,
) {
    rec.emit(Event::StageStarted {
        stage: stage.to_string(),
    });
    let mut findings: Vec<Finding> = Vec::new();
    let mut unavailable: Vec<Unavailable> = Vec::new();
    let sources = cfg.sarif.len()
        + cfg.scanners.len()
        + usize::from(!cfg.secrets_paths.is_empty())
        + cfg.posture_urls.len();
    let progress = |done: usize, message: String| {
        rec.emit(Event::StageProgress {
            stage: stage.to_string(),
            message,
            fraction: Some(done as f64 / sources.max(1) as f64),
        });
    };
    let mut done = 0;

    for file in &cfg.sarif {
        match parse_sarif_file(file) {
            Ok(f) => {
                done += 1;
                progress(done, format!("{}: {} findings", file.display(), f.len()));
                findings.extend(f);
            }
            Err(e) => unavailable.push(Unavailable {
                source: file.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }
    for sc in &cfg.scanners {
        rec.log(
            LogLevel::Info,
            Some(stage),
            format!("running scanner {}", sc.name),
        );
        let out = run_scanner(sc).await;
        done += 1;
        match out.unavailable() {
            Some(u) => unavailable.push(u),
            None => {
                progress(
                    done,
                    format!("{}: {} findings", sc.name, out.findings().len()),
                );
                findings.extend(out.findings().iter().cloned());
            }
        }
    }
    if !cfg.secrets_paths.is_empty() {
        let rules = match &cfg.secrets_rules {
            Some(p) => SecretRules::from_file(p),
            None => SecretRules::default_rules(),
        };
        match rules.and_then(|r| scan_secrets(&cfg.secrets_paths, &r, &SecretsOptions::default())) {
            Ok(report) => {
                done += 1;
                progress(
                    done,
                    format!(
                        "secrets: {} files scanned, {} findings",
                        report.files_scanned,
                        report.findings.len()
                    ),
                );
                findings.extend(report.findings);
            }
            Err(e) => unavailable.push(Unavailable {
                source: "secrets scan".into(),
                reason: e.to_string(),
            }),
        }
    }
    for url in &cfg.posture_urls {
        let defaults = PostureOptions::default();
        let opts = PostureOptions {
            timeout_ms: 5_000,
            cert_expiry_warn_days: cfg
                .cert_expiry_warn_days
                .map(Into::into)
                .unwrap_or(defaults.cert_expiry_warn_days),
            ca_file: cfg.posture_ca_file.clone(),
            ..defaults
        };
        match check_posture(url, &opts).await {
            Ok(f) => {
                done += 1;
                progress(done, format!("posture {url}: {} findings", f.len()));
                findings.extend(f);
            }
            Err(e) => unavailable.push(Unavailable {
                source: format!("posture {url}"),
                reason: e.message,
            }),
        }
    }
    for u in &unavailable {
        rec.log(
            LogLevel::Warn,
            Some(stage),
            format!("{} unavailable: {}", u.source, u.reason),
        );
    }

    let dir = baseline_dir(state_dir);
    match load_baseline(&dir, service) {
        Ok(Some(b)) => {
            let known = mark_known(&mut findings, &b);
            rec.log(
                LogLevel::Info,
                Some(stage),
                format!("{known} findings are known from the baseline of {service}"),
            );
        }
        Ok(None) => rec.log(
            LogLevel::Info,
            Some(stage),
            format!(
                "no scan baseline for {service} yet (save one with `flightdeck scan import --save-baseline`): every finding counts as new"
            ),
        ),
        Err(e) => rec.log(LogLevel::Warn, Some(stage), format!("scan baseline unreadable: {e}")),
    }
    apply_acceptances(&mut findings, &cfg.acceptances, today);
    for f in &findings {
        rec.emit(Event::Finding {
            stage: stage.to_string(),
            finding: f.clone(),
        });
    }
    let (verdict, evidence, summary) =
        judge_with_unavailable(&findings, &unavailable, &[], &cfg.criteria, today);
    let verdict = if sources == 0 {
        crate::core::verdict::Verdict::Inconclusive
    } else {
        verdict
    };
    let summary = if sources == 0 {
        "no SARIF files, scanners, secrets paths or posture URLs configured: nothing was scanned"
            .into()
    } else {
        summary
    };
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence,
    });
}
