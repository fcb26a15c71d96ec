//! `[[notify]]`: one entry per sink. URLs and signing secrets are secret
//! references (a Slack or Teams webhook URL is itself a credential), never
//! values.

use serde::{Deserialize, Serialize};

use crate::config::{HumanDuration, Problem};
use crate::core::notify::{NotifySeverity, NotifyTrigger, SinkKind};
use crate::secrets::SecretRef;

/// One notification sink.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct SinkConfig {
    /// Unique name, shown in the journal and the log.
    pub name: String,
    /// slack | teams | webhook | command.
    pub kind: SinkKind,
    /// The endpoint (slack, teams, webhook), as a secret reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<SecretRef>,
    /// The Standard Webhooks signing secret (webhook), as a secret
    /// reference: `whsec_` + base64, or raw text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretRef>,
    /// The command (command): an argv array, run without a shell; it reads
    /// the JSON on stdin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argv: Vec<String>,
    /// Which moments it hears (default: all).
    #[serde(default = "all_triggers")]
    pub events: Vec<NotifyTrigger>,
    /// The least serious notification it gets.
    #[serde(default)]
    pub min_severity: NotifySeverity,
    /// Time allowed for one attempt.
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Attempts before giving up (1 = no retry).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First retry delay; it doubles each time (with jitter), at most 30 s,
    /// unless the sink says when with `Retry-After`.
    #[serde(default = "default_retry_base")]
    pub retry_base: HumanDuration,
    /// A disabled sink gets nothing.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn all_triggers() -> Vec<NotifyTrigger> {
    NotifyTrigger::ALL.to_vec()
}

fn default_timeout() -> HumanDuration {
    HumanDuration::secs(5)
}

fn default_attempts() -> u32 {
    5
}

fn default_retry_base() -> HumanDuration {
    HumanDuration::millis(500)
}

fn yes() -> bool {
    true
}

impl SinkConfig {
    /// A sink with every key set: the known keys for the config reader.
    pub fn sample() -> SinkConfig {
        SinkConfig {
            name: String::new(),
            kind: SinkKind::Webhook,
            url: Some(SecretRef::env("X")),
            secret: Some(SecretRef::env("Y")),
            argv: vec![String::new()],
            events: all_triggers(),
            min_severity: NotifySeverity::Info,
            timeout: default_timeout(),
            max_attempts: default_attempts(),
            retry_base: default_retry_base(),
            enabled: true,
        }
    }

    /// Whether this sink hears a notice of this trigger and severity.
    pub fn wants(&self, trigger: NotifyTrigger, severity: NotifySeverity) -> bool {
        self.enabled && self.events.contains(&trigger) && severity >= self.min_severity
    }
}

/// Every problem in `[[notify]]`, keys from the top.
pub fn validate(sinks: &[SinkConfig]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, s) in sinks.iter().enumerate() {
        let k = |f: &str| format!("notify[{i}].{f}");
        if s.name.trim().is_empty() {
            out.push(Problem::at(
                k("name"),
                "is empty",
                "name the sink, e.g. \"release-channel\"",
            ));
        } else if !names.insert(s.name.as_str()) {
            out.push(Problem::at(
                k("name"),
                format!("duplicate sink name `{}`", s.name),
                "sink names must be unique",
            ));
        }
        match s.kind {
            SinkKind::Slack | SinkKind::Teams | SinkKind::Webhook => {
                if s.url.is_none() {
                    out.push(Problem::at(
                        k("url"),
                        format!("a {} sink needs a URL", s.kind.as_str()),
                        "set url = { env = \"NAME\" } (the URL is a secret reference)",
                    ));
                }
                if !s.argv.is_empty() {
                    out.push(Problem::at(
                        k("argv"),
                        format!("a {} sink runs no command", s.kind.as_str()),
                        "remove argv, or use kind = \"command\"",
                    ));
                }
            }
            SinkKind::Command => {
                if s.argv.first().is_none_or(|a| a.trim().is_empty()) {
                    out.push(Problem::at(
                        k("argv"),
                        "a command sink needs argv",
                        "set argv = [\"program\", \"arg\"...]: it reads the JSON on stdin",
                    ));
                }
                if s.url.is_some() {
                    out.push(Problem::at(
                        k("url"),
                        "a command sink has no URL",
                        "remove url, or use kind = \"webhook\"",
                    ));
                }
            }
        }
        if s.kind == SinkKind::Webhook && s.secret.is_none() {
            out.push(Problem::at(
                k("secret"),
                "a webhook sink signs every delivery (Standard Webhooks) and needs a secret",
                "set secret = { env = \"NAME\" } holding whsec_<base64> or the raw key",
            ));
        }
        if s.kind != SinkKind::Webhook && s.secret.is_some() {
            out.push(Problem::at(
                k("secret"),
                format!("a {} sink signs nothing", s.kind.as_str()),
                "remove secret (only webhook sinks are signed)",
            ));
        }
        if s.events.is_empty() {
            out.push(Problem::at(
                k("events"),
                "is empty: the sink would never hear anything",
                "list triggers, e.g. [\"rollback\", \"decision\"], or remove the key for all",
            ));
        }
        if !(1..=20).contains(&s.max_attempts) {
            out.push(Problem::at(
                k("max_attempts"),
                format!("{} is outside 1..=20", s.max_attempts),
                "use 1 (no retry) to 20",
            ));
        }
        if s.timeout.is_zero() {
            out.push(Problem::at(k("timeout"), "is zero", "use e.g. \"5s\""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(kind: SinkKind) -> SinkConfig {
        SinkConfig {
            name: "s".into(),
            kind,
            url: None,
            secret: None,
            argv: Vec::new(),
            events: all_triggers(),
            min_severity: NotifySeverity::Info,
            timeout: default_timeout(),
            max_attempts: 5,
            retry_base: default_retry_base(),
            enabled: true,
        }
    }

    #[test]
    fn each_kind_says_what_it_needs() {
        let keys =
            |s: SinkConfig| -> Vec<String> { validate(&[s]).into_iter().map(|p| p.key).collect() };
        assert_eq!(keys(sink(SinkKind::Slack)), ["notify[0].url"]);
        assert_eq!(
            keys(sink(SinkKind::Webhook)),
            ["notify[0].url", "notify[0].secret"]
        );
        assert_eq!(keys(sink(SinkKind::Command)), ["notify[0].argv"]);
        let mut ok = sink(SinkKind::Webhook);
        ok.url = Some(SecretRef::env("U"));
        ok.secret = Some(SecretRef::env("S"));
        assert!(
            validate(&[ok.clone(), {
                let mut b = ok.clone();
                b.name = "t".into();
                b
            }])
            .is_empty()
        );
        assert_eq!(
            validate(&[ok.clone(), ok])
                .into_iter()
                .map(|p| p.key)
                .collect::<Vec<_>>(),
            ["notify[1].name"]
        );
    }

    #[test]
    fn a_sink_hears_its_triggers_at_or_above_its_severity() {
        let mut s = sink(SinkKind::Slack);
        s.events = vec![NotifyTrigger::Rollback, NotifyTrigger::Decision];
        s.min_severity = NotifySeverity::Warning;
        assert!(s.wants(NotifyTrigger::Rollback, NotifySeverity::Critical));
        assert!(!s.wants(NotifyTrigger::Decision, NotifySeverity::Info));
        assert!(!s.wants(NotifyTrigger::RunStarted, NotifySeverity::Critical));
        s.enabled = false;
        assert!(!s.wants(NotifyTrigger::Rollback, NotifySeverity::Critical));
    }
}
