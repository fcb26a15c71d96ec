//! What each kind of sink receives. The same notice becomes a Slack
//! incoming-webhook message (`text` plus Block Kit `blocks`, within Slack's
//! 50 blocks and 3,000 characters per section), a Teams Workflows message
//! (an Adaptive Card in `attachments[]`), or generic JSON for signed
//! webhooks and commands. The body is built once per message, so every
//! retry and a resend send the same bytes.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::core::notify::{Notice, NotifySeverity};

/// Slack's most blocks per message.
pub const SLACK_MAX_BLOCKS: usize = 50;
/// Slack's most characters in a section's text.
pub const SLACK_MAX_SECTION: usize = 3000;
/// Slack's most characters in a header.
pub const SLACK_MAX_HEADER: usize = 150;

/// The run a message is about, and how to watch it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunContext {
    /// Run id.
    pub run_id: String,
    /// Service.
    pub service: String,
    /// Release.
    pub release: String,
    /// Environment.
    pub environment: String,
    /// How to attach, e.g. `ssh -t host flightdeck attach <run>`.
    pub attach: String,
}

/// One message: its id, the notice, when it was queued, and the run.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// Message id (`webhook-id`).
    pub id: &'a str,
    /// What it says.
    pub notice: &'a Notice,
    /// When it was queued.
    pub at: DateTime<Utc>,
    /// The run.
    pub run: &'a RunContext,
}

/// At most `max` characters, marked with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped (they start links and
/// mentions).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn severity_mark(s: NotifySeverity) -> &'static str {
    match s {
        NotifySeverity::Info => "INFO",
        NotifySeverity::Warning => "WARNING",
        NotifySeverity::Critical => "CRITICAL",
    }
}

/// The plain-text form: the title, the evidence, the run and how to attach.
pub fn plain_text(m: &Message<'_>) -> String {
    let mut out = format!("[{}] {}", severity_mark(m.notice.severity), m.notice.title);
    for l in &m.notice.lines {
        out.push('\n');
        out.push_str(l);
    }
    out.push_str(&format!("\nrun {} · {}", m.run.run_id, m.run.attach));
    out
}

/// A Slack incoming-webhook body.
pub fn slack(m: &Message<'_>) -> Value {
    let n = m.notice;
    let mut blocks = vec![json!({
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": clip(&format!("{} {}", severity_mark(n.severity), n.title), SLACK_MAX_HEADER),
        }
    })];
    if !n.lines.is_empty() {
        let text = n
            .lines
            .iter()
            .map(|l| slack_escape(l))
            .collect::<Vec<_>>()
            .join("\n");
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": clip(&text, SLACK_MAX_SECTION) }
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": clip(
                &slack_escape(&format!(
                    "run `{}` · {} {} on {} · watch: `{}`",
                    m.run.run_id, m.run.service, m.run.release, m.run.environment, m.run.attach
                )),
                SLACK_MAX_SECTION
            ),
        }]
    }));
    blocks.truncate(SLACK_MAX_BLOCKS);
    json!({
        "text": clip(&plain_text(m), SLACK_MAX_SECTION),
        "blocks": blocks,
    })
}

/// A Teams Workflows webhook body: one Adaptive Card (the retired O365
/// MessageCard format is not used).
pub fn teams(m: &Message<'_>) -> Value {
    let n = m.notice;
    let color = match n.severity {
        NotifySeverity::Info => "Good",
        NotifySeverity::Warning => "Warning",
        NotifySeverity::Critical => "Attention",
    };
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": format!("{} {}", severity_mark(n.severity), n.title),
        "weight": "Bolder",
        "size": "Medium",
        "color": color,
        "wrap": true,
    })];
    for l in &n.lines {
        body.push(json!({ "type": "TextBlock", "text": l, "wrap": true }));
    }
    body.push(json!({
        "type": "FactSet",
        "facts": [
            { "title": "Run", "value": m.run.run_id },
            { "title": "Release", "value": format!("{} {}", m.run.service, m.run.release) },
            { "title": "Environment", "value": m.run.environment },
            { "title": "Watch", "value": m.run.attach },
        ]
    }));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            }
        }]
    })
}

/// Generic JSON (signed webhooks, commands), in the Standard Webhooks
/// shape: `type`, `timestamp`, `data`.
pub fn generic(m: &Message<'_>) -> Value {
    let n = m.notice;
    json!({
        "type": format!("flightdeck.{}", n.trigger.as_str()),
        "timestamp": m.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": {
            "id": m.id,
            "run_id": m.run.run_id,
            "service": m.run.service,
            "release": m.run.release,
            "environment": m.run.environment,
            "trigger": n.trigger,
            "severity": n.severity,
            "title": n.title,
            "lines": n.lines,
            "text": plain_text(m),
            "attach": m.run.attach,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::notify::NotifyTrigger;

    fn run() -> RunContext {
        RunContext {
            run_id: "r1".into(),
            service: "shop-api".into(),
            release: "2.0".into(),
            environment: "preprod".into(),
            attach: "ssh -t host flightdeck attach r1".into(),
        }
    }

    #[test]
    fn slack_stays_within_its_limits_and_escapes_links() {
        let notice = Notice {
            trigger: NotifyTrigger::StageFailed,
            severity: NotifySeverity::Critical,
            title: "x".repeat(400),
            lines: vec![
                "<!channel> & <https://evil.example|click>".into(),
                "y".repeat(9000),
            ],
        };
        let run = run();
        let m = Message {
            id: "msg_1",
            notice: &notice,
            at: DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            run: &run,
        };
        let v = slack(&m);
        let blocks = v["blocks"].as_array().expect("blocks");
        assert!(blocks.len() <= SLACK_MAX_BLOCKS);
        assert!(v["text"].as_str().expect("text").chars().count() <= SLACK_MAX_SECTION);
        let header = blocks[0]["text"]["text"].as_str().expect("header");
        assert!(header.chars().count() <= SLACK_MAX_HEADER && header.ends_with('…'));
        let section = blocks[1]["text"]["text"].as_str().expect("section");
        assert!(section.chars().count() <= SLACK_MAX_SECTION);
        assert!(section.starts_with("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"));
        assert!(
            blocks[2]["elements"][0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("flightdeck attach r1"))
        );
    }

    #[test]
    fn teams_gets_an_adaptive_card_and_webhooks_the_standard_shape() {
        let notice = Notice {
            trigger: NotifyTrigger::Rollback,
            severity: NotifySeverity::Critical,
            title: "Canary rolled back".into(),
            lines: vec!["why: guard".into()],
        };
        let run = run();
        let m = Message {
            id: "msg_1",
            notice: &notice,
            at: DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            run: &run,
        };
        let t = teams(&m);
        assert_eq!(t["type"], "message");
        let card = &t["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(card["content"]["body"][0]["color"], "Attention");
        let g = generic(&m);
        assert_eq!(g["type"], "flightdeck.rollback");
        assert_eq!(g["timestamp"], "2026-09-21T14:13:20.000Z");
        assert_eq!(g["data"]["severity"], "critical");
        assert_eq!(g["data"]["attach"], "ssh -t host flightdeck attach r1");
    }
}
