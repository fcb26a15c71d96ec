//! Driving the canary's flag: steps, rollback and promote, each journalled
//! with actor, reason, before and after, and read back from the provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::canary::{CanaryPlan, ProviderConfig};
use crate::core::event::{ActionKind, Actor, Event, FlagChangeKind};
use crate::flags::{
    FileProvider, FlagError, FlagProvider, FlagState, OfrepProvider, UnleashProvider,
};
use crate::record::recorder::Recorder;

/// Attempts for an operator rollback or promote before giving up (the key can
/// be pressed again).
pub const ATTEMPTS: u32 = 3;

/// The canary's flag and the provider that drives it.
#[derive(Clone)]
pub struct CanaryCtl {
    /// Flag key.
    pub flag: String,
    /// Provider name for the journal.
    pub provider_name: String,
    /// The provider.
    pub provider: Arc<dyn FlagProvider>,
}

/// Build the provider a plan names.
pub async fn provider_for(plan: &CanaryPlan) -> Result<CanaryCtl, FlagError> {
    let (name, provider): (&str, Arc<dyn FlagProvider>) = match &plan.provider {
        ProviderConfig::File { path } => (
            "file",
            Arc::new(FileProvider::new(path, Some(plan.canary_variant.clone()))),
        ),
        ProviderConfig::Ofrep { url, token } => {
            let token = match token {
                Some(t) => Some(t.resolve().await?),
                None => None,
            };
            ("ofrep", Arc::new(OfrepProvider::new(url, json!({}), token)))
        }
        ProviderConfig::Unleash(cfg) => (
            "unleash",
            Arc::new(UnleashProvider::from_config(cfg).await?),
        ),
    };
    Ok(CanaryCtl {
        flag: plan.flag.clone(),
        provider_name: name.to_string(),
        provider,
    })
}

/// Who changed a flag, what kind of change it was, and why.
struct Why<'a> {
    actor: &'a str,
    change: FlagChangeKind,
    reason: String,
}

fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

impl CanaryCtl {
    fn changed(&self, rec: &Recorder, from: Option<f64>, st: &FlagState, why: Why<'_>, t: Instant) {
        let Why {
            actor,
            change,
            reason,
        } = why;
        rec.emit(Event::FlagChanged {
            change: Some(change),
            flag: self.flag.clone(),
            provider: self.provider_name.clone(),
            from,
            to: st.rollout_percent,
            enabled: st.enabled,
            actor: actor.to_string(),
            reason,
            elapsed_ms: ms(t),
        });
    }

    fn current(rec: &Recorder) -> Option<f64> {
        rec.read(|s| s.canary.as_ref().and_then(|c| c.percent))
    }

    /// Set the canary share for a rollout step (one attempt: a failing step
    /// ends the rollout).
    pub async fn set_step(
        &self,
        rec: &Recorder,
        percent: f64,
        reason: String,
    ) -> Result<FlagState, FlagError> {
        let before = Self::current(rec);
        let t = Instant::now();
        match self.provider.set_rollout(&self.flag, percent).await {
            Ok(st) => {
                let why = Why {
                    actor: "flightdeck",
                    change: FlagChangeKind::Step,
                    reason,
                };
                self.changed(rec, before, &st, why, t);
                Ok(st)
            }
            Err(e) => {
                rec.emit(Event::FlagChangeFailed {
                    flag: self.flag.clone(),
                    actor: "flightdeck".into(),
                    action: FlagChangeKind::Step,
                    attempt: 1,
                    error: e.to_string(),
                });
                Err(e)
            }
        }
    }

    /// Roll back at once: 0% / off, read back, journalled; bounded retries.
    /// Returns whether the provider confirmed it.
    pub async fn rollback(&self, rec: &Recorder, who: &Actor, reason: &str) -> bool {
        rec.emit(Event::operator_action(
            who,
            ActionKind::Rollback,
            Some(self.flag.clone()),
            Some(reason.to_string()),
        ));
        self.retrying(rec, &who.name, FlagChangeKind::Rollback, reason, None)
            .await
    }

    /// Promote to 100%, journalled (with the reason, e.g. an override of a
    /// held automatic rollback); bounded retries.
    pub async fn promote(&self, rec: &Recorder, who: &Actor, reason: Option<&str>) -> bool {
        rec.emit(Event::operator_action(
            who,
            ActionKind::Promote,
            Some(self.flag.clone()),
            reason.map(str::to_string),
        ));
        self.retrying(
            rec,
            &who.name,
            FlagChangeKind::Promote,
            reason.unwrap_or("operator"),
            Some(100.0),
        )
        .await
    }

    async fn retrying(
        &self,
        rec: &Recorder,
        actor: &str,
        action: FlagChangeKind,
        reason: &str,
        to: Option<f64>,
    ) -> bool {
        let before = Self::current(rec);
        let t = Instant::now();
        for attempt in 1..=ATTEMPTS {
            let r = match to {
                None => self.provider.rollback(&self.flag).await,
                Some(p) => self.provider.set_rollout(&self.flag, p).await,
            };
            match r {
                Ok(st) => {
                    let why = Why {
                        actor,
                        change: action,
                        reason: format!("{}: {reason}", action.as_str()),
                    };
                    self.changed(rec, before, &st, why, t);
                    return true;
                }
                Err(e) => {
                    rec.emit(Event::FlagChangeFailed {
                        flag: self.flag.clone(),
                        actor: actor.to_string(),
                        action,
                        attempt,
                        error: e.to_string(),
                    });
                    if attempt < ATTEMPTS {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
        false
    }
}
