//! The data stage: classify, copy, verify, as events. Without a source and
//! a target it is skipped with the reason (the demo starts no database).

use super::DataError;
use super::cli::resolve_key;
use super::config::DataSection;
use super::conn::Endpoint;
use super::rules::Rules;
use crate::core::event::{Event, LogLevel};
use crate::core::verdict::{Evidence, Verdict};
use crate::record::recorder::Recorder;

fn finish(rec: &Recorder, stage: &str, verdict: Verdict, summary: String, evidence: Vec<Evidence>) {
    rec.emit(Event::StageFinished {
        stage: stage.to_string(),
        verdict,
        summary,
        evidence,
    });
}

/// Run the data stage.
pub async fn run_stage(cfg: &DataSection, stage: &str, rec: &Recorder) {
    rec.emit(Event::StageStarted {
        stage: stage.to_string(),
    });
    let outcome = match (&cfg.source, &cfg.target) {
        (Some(sref), Some(tref)) => run(cfg, sref, tref, stage, rec).await,
        _ if cfg.demo => match crate::pg::BinDir::find(None) {
            Ok(bin) => super::demo::run(cfg, bin, stage, rec).await,
            Err(_) => {
                finish(
                    rec,
                    stage,
                    Verdict::Skipped,
                    super::demo::skip_reason(),
                    Vec::new(),
                );
                return;
            }
        },
        _ => {
            finish(
                rec,
                stage,
                Verdict::Skipped,
                "no database configured (data.source and data.target): nothing to copy".into(),
                Vec::new(),
            );
            return;
        }
    };
    match outcome {
        Ok((verdict, summary, evidence)) => finish(rec, stage, verdict, summary, evidence),
        Err(e) => {
            let verdict = match e {
                DataError::Unreachable(_) => Verdict::Inconclusive,
                _ => Verdict::Fail,
            };
            rec.log(LogLevel::Error, Some(stage), e.to_string());
            finish(rec, stage, verdict, e.to_string(), Vec::new());
        }
    }
}

async fn run(
    cfg: &DataSection,
    sref: &crate::secrets::SecretRef,
    tref: &crate::secrets::SecretRef,
    stage: &str,
    rec: &Recorder,
) -> Result<(Verdict, String, Vec<Evidence>), DataError> {
    let secret = |r: &crate::secrets::SecretRef, role: &str| {
        let r = r.clone();
        let role = role.to_string();
        async move {
            r.resolve()
                .await
                .map_err(|e| DataError::Unreachable(format!("data.{role} {r}: {e}")))
        }
    };
    super::scale::whole(cfg.scale.unwrap_or(1.0), "data.scale").map_err(DataError::Usage)?;
    let source = Endpoint::new("source", secret(sref, "source").await?)?;
    let target = Endpoint::new("target", secret(tref, "target").await?)?;
    let rules = match &cfg.rules {
        Some(p) => Rules::load(p)?,
        None => Rules {
            source: "(no rules file)".into(),
            jobs: 2,
            ..Rules::default()
        },
    };
    let key = resolve_key(&rules).await?;
    super::stage_run::run_resolved(cfg, source, target, rules, key, stage, rec).await
}
