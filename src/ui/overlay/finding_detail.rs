//! The finding detail overlay: everything the scan recorded about one
//! finding, and why it blocks or not; and the same for a policy result.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::scan::{Disposition, Finding, Suppression};
use crate::ui::app::App;
use crate::ui::layout::centered;
use crate::ui::panes::border_set;
use crate::ui::panes::findings::{finding_status, novelty, policy_badge, severity_item};
use crate::ui::theme::{Item, Theme};

fn field(theme: &Theme, name: &str, value: Vec<Span<'static>>) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{name:<12}"),
        theme.style(Item::Muted),
    )];
    spans.extend(value);
    Line::from(spans)
}

fn plain(theme: &Theme, text: impl Into<String>) -> Vec<Span<'static>> {
    vec![Span::styled(text.into(), theme.style(Item::Text))]
}

/// The lines of a finding's detail.
pub fn finding_lines(app: &App, stage: &str, f: &Finding) -> Vec<Line<'static>> {
    let theme = app.theme();
    let today = app.today();
    let (status, status_item) = finding_status(f, today);
    let why = match f.disposition(today) {
        Disposition::Open { note: Some(n) } => format!("  counts against the criteria: {n}"),
        Disposition::Open { note: None } => "  counts against the criteria".into(),
        Disposition::Waived { reason } => format!("  does not count: {reason}"),
        Disposition::Fixed => "  the scanner reports it gone".into(),
    };
    let baseline = format!(
        "{} (scanner: {}; flightdeck baseline: {})",
        novelty(f),
        f.baseline_state.map_or("not compared", |b| b.as_str()),
        if f.known { "known" } else { "not in it" }
    );
    let suppression = match (f.suppression, &f.suppression_justification) {
        (Suppression::None, _) => "none".to_string(),
        (s, j) => {
            let s = match s {
                Suppression::Accepted => "accepted",
                Suppression::Rejected => "rejected",
                _ => "under review",
            };
            match j {
                Some(j) => format!("{s}: {j}"),
                None => s.to_string(),
            }
        }
    };
    let acceptance: Vec<Span<'static>> = match &f.acceptance {
        None => plain(theme, "none"),
        Some(acc) => {
            let mut spans = plain(
                theme,
                format!(
                    "by {} until {}: {}",
                    acc.approver, acc.expires, acc.justification
                ),
            );
            if acc.is_expired(today) {
                spans.push(Span::styled(
                    format!("  EXPIRED (judged on {today})"),
                    theme.style(Item::Fail),
                ));
            }
            spans
        }
    };
    vec![
        field(theme, "title", plain(theme, f.title.clone())),
        field(
            theme,
            "severity",
            vec![
                Span::styled(f.severity.badge(), theme.style(severity_item(f.severity))),
                Span::styled(
                    format!("  from {}", f.severity_source),
                    theme.style(Item::Text),
                ),
            ],
        ),
        field(
            theme,
            "status",
            vec![
                Span::styled(status, theme.style(status_item)),
                Span::styled(why, theme.style(Item::Text)),
            ],
        ),
        field(theme, "location", plain(theme, f.location.to_string())),
        field(theme, "fingerprint", plain(theme, f.fingerprint.clone())),
        field(theme, "baseline", plain(theme, baseline)),
        field(theme, "suppression", plain(theme, suppression)),
        field(theme, "acceptance", acceptance),
        field(
            theme,
            "found by",
            plain(theme, format!("{} in stage {stage}", f.tool)),
        ),
        Line::raw(""),
        field(theme, "message", plain(theme, f.message.clone())),
        field(
            theme,
            "rule help",
            plain(theme, f.help.clone().unwrap_or_else(|| "-".into())),
        ),
    ]
}

fn render_popup(frame: &mut Frame, area: Rect, app: &App, title: String, lines: Vec<Line>) {
    let theme = app.theme();
    let popup = centered(
        area,
        area.width.saturating_sub(8).min(110),
        (lines.len() as u16 + 4).min(area.height.saturating_sub(2)),
    );
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(Item::BorderFocus))
        .title(Line::styled(title, theme.style(Item::TitleFocus)))
        .title_bottom(Line::styled(" esc close ", theme.style(Item::Muted)));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}

/// Draw the detail of one finding.
pub fn render_finding(frame: &mut Frame, area: Rect, app: &App, stage: &str, fingerprint: &str) {
    let Some(row) = app
        .view()
        .findings
        .iter()
        .find(|r| r.stage == stage && r.finding.fingerprint == fingerprint)
    else {
        return;
    };
    let f = &row.finding;
    let title = format!("[Finding {} ({})]", f.rule_id, f.tool);
    render_popup(frame, area, app, title, finding_lines(app, stage, f));
}

/// Draw the detail of one policy result.
pub fn render_policy(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    stage: &str,
    policy: &str,
    rule: &str,
) {
    let theme = app.theme();
    let Some(row) = app
        .view()
        .policies
        .iter()
        .find(|p| p.stage == stage && p.result.policy == policy && p.result.rule == rule)
    else {
        return;
    };
    let (badge, item) = policy_badge(row.result.outcome);
    let mut lines = vec![
        field(
            theme,
            "outcome",
            vec![Span::styled(badge, theme.style(item))],
        ),
        field(theme, "policy", plain(theme, policy.to_string())),
        field(theme, "rule", plain(theme, rule.to_string())),
        field(theme, "stage", plain(theme, stage.to_string())),
        Line::raw(""),
    ];
    for m in &row.result.messages {
        lines.push(field(theme, "message", plain(theme, m.clone())));
    }
    render_popup(frame, area, app, format!("[Policy {rule}]"), lines);
}
