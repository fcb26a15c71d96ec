//! The IaC stage: provision (plan; apply only when allowed or approved),
//! then judge the plan, drift and production parity, and collect endpoints
//! from outputs. It speaks to the run through `Event::Log` lines and, with
//! `apply = "confirm"`, the approval request and its resolution; the verdict
//! is returned for the caller to record.

use std::path::Path;

use chrono::Utc;
use serde_json::Value;

use super::approval::{ApplyGo, Approver, decide_apply};
use super::config::{IacConfig, ParityConfig};
use super::error::{IacError, read_json};
pub use super::outcome::IacOutcome;
use super::parity::{self, ParityOptions, ParityReport};
use super::plan::{PlanSummary, RiskLevel};
use super::process::{OutputLine, Stream};
use super::provisioner::{OutputValue, Provisioner};
use super::vars;
use crate::core::event::LogLevel;
use crate::core::format::trim_num;
pub use crate::core::iac::IacEndpoint;
use crate::core::verdict::Verdict;
use crate::record::recorder::Recorder;

/// The verdict an error deserves: a missing tool or a timeout leave the
/// question open; broken IaC fails.
pub fn error_verdict(e: &IacError) -> Verdict {
    match e {
        IacError::BinaryMissing { .. }
        | IacError::Timeout { .. }
        | IacError::Config(_)
        | IacError::Read { .. }
        | IacError::Io { .. } => Verdict::Inconclusive,
        IacError::NotAllowed { .. } => Verdict::Skipped,
        _ => Verdict::Fail,
    }
}

fn sink_for<'a>(rec: &'a Recorder, stage: &'a str) -> impl Fn(OutputLine) + Send + Sync + 'a {
    move |l: OutputLine| {
        let level = match (l.problem, l.stream) {
            (true, Stream::Stdout) => LogLevel::Warn,
            _ => LogLevel::Info,
        };
        rec.log(level, Some(stage), format!("{}: {}", l.step, l.text));
    }
}

/// Run the IaC stage with nobody to approve an apply. Never panics on bad
/// input; every problem becomes evidence.
pub async fn run_stage(cfg: &IacConfig, stage: &str, rec: &Recorder) -> IacOutcome {
    run_stage_with(cfg, stage, rec, &Approver::Nobody).await
}

/// Run the IaC stage; `approver` answers when `apply = "confirm"` asks.
pub async fn run_stage_with(
    cfg: &IacConfig,
    stage: &str,
    rec: &Recorder,
    approver: &Approver<'_>,
) -> IacOutcome {
    let mut o = IacOutcome::new();
    let problems = cfg.validate();
    if !problems.is_empty() {
        for p in &problems {
            o.add(
                &format!("iac.{}", p.key),
                format!("{} (hint: {})", p.message, p.hint),
                None,
                Verdict::Inconclusive,
            );
        }
        o.summary = format!(
            "IaC config has {} problems; nothing was provisioned",
            problems.len()
        );
        return o;
    }
    let sink = sink_for(rec, stage);
    let log = |level, msg: String| rec.log(level, Some(stage), msg);
    let provisioner = Provisioner::from_config(cfg);
    let mut plan_doc: Option<Value> = None;

    match &provisioner {
        None => match &cfg.plan_json {
            Some(f) => {
                match read_json(f).and_then(|d| super::plan::summarize(f, &d).map(|s| (s, d))) {
                    Ok((s, d)) => {
                        judge_plan(cfg, &s, &mut o);
                        o.plan = Some(s);
                        plan_doc = Some(d);
                    }
                    Err(e) => o.add("plan", e.to_string(), None, error_verdict(&e)),
                }
            }
            None if cfg.parity.is_none() => {
                o.verdict = Verdict::Skipped;
                o.summary = "no provisioner configured (iac.provisioner = \"none\")".into();
                return o;
            }
            None => {}
        },
        Some(p) => {
            log(LogLevel::Info, "IaC: preparing".into());
            if let Err(e) = p.prepare(&sink).await {
                o.add("init", e.to_string(), None, error_verdict(&e));
                return finish(o, cfg);
            }
            log(LogLevel::Info, "IaC: planning".into());
            match p.plan(&sink).await {
                Ok(run) => {
                    judge_plan(cfg, &run.summary, &mut o);
                    let ok = run.summary.failure().is_none();
                    o.plan = Some(run.summary.clone());
                    if cfg.drift {
                        match p.drift(&sink).await {
                            Ok(Some(d)) => {
                                let v = if d.has_drift() {
                                    cfg.drift_verdict
                                } else {
                                    Verdict::Pass
                                };
                                o.add("drift", d.headline(), Some("no drift".into()), v);
                                o.drift = Some(d);
                            }
                            Ok(None) => o.add(
                                "drift",
                                "not checked: the command provisioner cannot tell",
                                None,
                                Verdict::Skipped,
                            ),
                            Err(e) => o.add(
                                "drift",
                                format!("not checked: {e}"),
                                None,
                                Verdict::Inconclusive,
                            ),
                        }
                    }
                    if ok {
                        match decide_apply(cfg, stage, rec, &run.summary, approver).await {
                            ApplyGo::Apply(approval) => {
                                log(LogLevel::Info, "IaC: applying the saved plan".into());
                                match p.apply(&run, &sink).await {
                                    Ok(a) => {
                                        let mut what = if a.summary.is_empty() {
                                            "applied".to_string()
                                        } else {
                                            a.summary.clone()
                                        };
                                        if let Some(by) = approval {
                                            what.push_str(&format!(" ({by})"));
                                        }
                                        o.add("apply", what, None, Verdict::Pass);
                                        o.apply = Some(a);
                                    }
                                    Err(e) => o.add("apply", e.to_string(), None, Verdict::Fail),
                                }
                            }
                            ApplyGo::Skip(why, v) => o.add("apply", why, None, v),
                        }
                    }
                    plan_doc = Some(run.doc);
                }
                Err(e) => {
                    o.add("plan", e.to_string(), None, error_verdict(&e));
                    return finish(o, cfg);
                }
            }
            collect_outputs(cfg, p, &sink, &mut o).await;
        }
    }

    if let Some(par) = &cfg.parity {
        judge_parity(par, provisioner.as_ref(), plan_doc.as_ref(), &sink, &mut o).await;
    }
    finish(o, cfg)
}

fn judge_plan(cfg: &IacConfig, s: &PlanSummary, o: &mut IacOutcome) {
    match s.failure() {
        Some(f) => o.add(
            "plan",
            format!("{}: {f}", s.file),
            Some("a plan without errors".into()),
            Verdict::Fail,
        ),
        None => o.add("plan", s.headline(), None, Verdict::Pass),
    }
    let high: Vec<String> = s
        .risks
        .iter()
        .filter(|r| r.level == RiskLevel::High)
        .map(|r| format!("{}: {}", r.address, r.message))
        .collect();
    if !high.is_empty() {
        o.add(
            "plan risk",
            high.join("; "),
            Some("no deletes or replaces of stateful resources".into()),
            cfg.risk_verdict,
        );
    }
}

async fn collect_outputs(
    cfg: &IacConfig,
    p: &Provisioner,
    sink: &(dyn Fn(OutputLine) + Send + Sync),
    o: &mut IacOutcome,
) {
    match p.outputs(sink).await {
        Ok(outs) => o.outputs = outs,
        Err(e) if !cfg.outputs_endpoints.is_empty() => {
            o.add("outputs", e.to_string(), None, Verdict::Warn);
            return;
        }
        Err(_) => return,
    }
    for (output, name) in &cfg.outputs_endpoints {
        match o.outputs.get(output) {
            Some(OutputValue {
                value: Some(Value::String(url)),
                ..
            }) => o.endpoints.push(IacEndpoint {
                name: name.clone(),
                output: output.clone(),
                url: url.clone(),
            }),
            Some(OutputValue {
                sensitive: true, ..
            }) => o.add(
                &format!("output {output}"),
                "is sensitive, so it is not used as an endpoint URL",
                None,
                Verdict::Warn,
            ),
            Some(v) => o.add(
                &format!("output {output}"),
                format!("is not a string URL ({})", v.shown),
                None,
                Verdict::Warn,
            ),
            None => {
                let known: Vec<&str> = o.outputs.keys().map(String::as_str).collect();
                let msg = format!(
                    "not found (outputs: {}); apply first or fix outputs_endpoints",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                );
                o.add(&format!("output {output}"), msg, None, Verdict::Warn)
            }
        }
    }
}

async fn judge_parity(
    par: &ParityConfig,
    p: Option<&Provisioner>,
    plan_doc: Option<&Value>,
    sink: &(dyn Fn(OutputLine) + Send + Sync),
    o: &mut IacOutcome,
) {
    let result: Result<Option<ParityReport>, IacError> = async {
        let Some(pre_doc) = plan_doc else {
            return Ok(None);
        };
        let opts = ParityOptions::from_config(par)?;
        let pre = parity::snapshot(
            Path::new(&o.plan.as_ref().map(|s| s.file.clone()).unwrap_or_default()),
            pre_doc,
        )?;
        let prod = match (&par.prod_state, &par.prod_workspace, p) {
            (Some(f), _, _) => parity::read(f)?,
            (None, Some(ws), Some(Provisioner::Terraform(t))) => {
                let doc = t.workspace_state(ws, sink).await?;
                parity::snapshot(Path::new(&format!("workspace {ws}")), &doc)?
            }
            _ => {
                return Err(IacError::Config(
                    "parity needs prod_state, or prod_workspace with terraform/tofu".into(),
                ));
            }
        };
        Ok(Some(parity::compare(&pre, &prod, &opts)))
    }
    .await;
    match result {
        Ok(Some(r)) => {
            let v = match r.score {
                Some(s) if s >= par.min_score => Verdict::Pass,
                Some(_) => par.below_verdict,
                None => Verdict::Inconclusive,
            };
            let mut value = r.headline();
            let unintended: Vec<String> = r
                .unintended()
                .take(5)
                .map(|d| format!("{} {}", d.address, d.attribute))
                .collect();
            if !unintended.is_empty() {
                value.push_str(&format!(": {}", unintended.join(", ")));
            }
            o.add(
                "prod parity",
                value,
                Some(format!(">= {}", trim_num(par.min_score))),
                v,
            );
            o.parity = Some(r);
        }
        Ok(None) => o.add(
            "prod parity",
            "not checked: no pre-production plan to compare",
            None,
            Verdict::Inconclusive,
        ),
        Err(e) => o.add("prod parity", e.to_string(), None, Verdict::Inconclusive),
    }
    if let Some(vf) = &par.var_files {
        match vars::compare(&vf.preprod, &vf.prod, &par.intended) {
            Ok(r) => {
                let bad: Vec<&str> = r.unintended().map(|d| d.key.as_str()).collect();
                let v = if bad.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Warn
                };
                let value = format!(
                    "{} equal, {} unintended differences{}",
                    r.matching,
                    bad.len(),
                    if bad.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", bad.join(", "))
                    }
                );
                o.add(
                    "var parity",
                    value,
                    Some("no unintended differences".into()),
                    v,
                );
                o.var_parity = Some(r);
            }
            Err(e) => o.add("var parity", e.to_string(), None, Verdict::Inconclusive),
        }
    }
}

fn finish(mut o: IacOutcome, cfg: &IacConfig) -> IacOutcome {
    if let Some(ttl) = cfg.ephemeral.as_ref().and_then(|e| e.ttl_s) {
        o.expires_at = Some(Utc::now() + chrono::Duration::seconds(ttl as i64));
    }
    let mut parts = Vec::new();
    if let Some(p) = &o.plan {
        parts.push(format!("plan: {}", p.headline()));
    }
    for e in o
        .evidence
        .iter()
        .filter(|e| e.verdict != Verdict::Pass && e.verdict != Verdict::Skipped)
    {
        parts.push(format!("{}: {}", e.label, e.value));
    }
    if let Some(d) = &o.drift
        && !d.has_drift()
    {
        parts.push("no drift".into());
    }
    if let Some(r) = o.parity.as_ref().filter(|_| {
        !o.evidence
            .iter()
            .any(|e| e.label == "prod parity" && e.verdict != Verdict::Pass)
    }) {
        parts.push(r.headline());
    }
    if !o.endpoints.is_empty() {
        parts.push(format!("{} endpoints from outputs", o.endpoints.len()));
    }
    o.summary = if parts.is_empty() {
        "nothing to judge".into()
    } else {
        parts.join("; ")
    };
    o
}

/// End of run: destroy an ephemeral environment when configured to. Returns
/// the verdict of the teardown and what happened.
pub async fn teardown(cfg: &IacConfig, stage: &str, rec: &Recorder) -> (Verdict, String) {
    if !cfg.ephemeral.as_ref().is_some_and(|e| e.destroy_at_end) {
        return (Verdict::Skipped, "not ephemeral: nothing destroyed".into());
    }
    destroy(cfg, stage, rec).await
}

/// Destroy an ephemeral environment now (operator key or TTL expiry).
/// Refuses an environment that is not declared ephemeral.
pub async fn destroy(cfg: &IacConfig, stage: &str, rec: &Recorder) -> (Verdict, String) {
    if cfg.ephemeral.is_none() {
        return (
            Verdict::Skipped,
            "not an ephemeral environment (no environment.iac.ephemeral): refusing to destroy"
                .into(),
        );
    }
    let Some(p) = Provisioner::from_config(cfg) else {
        return (Verdict::Skipped, "no provisioner: nothing destroyed".into());
    };
    let sink = sink_for(rec, stage);
    rec.log(
        LogLevel::Info,
        Some(stage),
        "IaC: destroying the ephemeral environment",
    );
    match p.destroy(&sink).await {
        Ok(a) => (
            Verdict::Pass,
            if a.summary.is_empty() {
                "destroyed".into()
            } else {
                a.summary
            },
        ),
        Err(e) => (error_verdict(&e).worst(Verdict::Warn), e.to_string()),
    }
}
