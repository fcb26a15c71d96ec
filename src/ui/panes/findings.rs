//! Pane 5, Findings: one row per finding of the scan stages (severity, rule,
//! where, which tool, new or known, and whether it still blocks), then the
//! policy results that did not pass, so the operator sees why a policy stage
//! failed. Sortable, filterable, selectable; Enter opens the detail.

use std::cmp::Ordering;

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::core::event::StageKind;
use crate::core::state::{FindingRow, PolicyRow, RunState, StageStatus};
use crate::policy::PolicyOutcome;
use crate::scan::{Disposition, Finding, Severity, Suppression};
use crate::ui::app::App;
use crate::ui::overlay::Overlay;
use crate::ui::panes::{Pane, capability_message, header_style, pane_block, render_message};
use crate::ui::theme::Item;

/// How the Findings pane orders its finding rows (policy rows stay last).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Most severe first (the default).
    #[default]
    Severity,
    /// By tool, then most severe first.
    Tool,
    /// By file and line.
    Location,
}

impl FindingSort {
    /// The next order in the cycle.
    pub fn next(self) -> FindingSort {
        match self {
            FindingSort::Severity => FindingSort::Tool,
            FindingSort::Tool => FindingSort::Location,
            FindingSort::Location => FindingSort::Severity,
        }
    }

    /// Name shown in the pane title and status line.
    pub fn name(self) -> &'static str {
        match self {
            FindingSort::Severity => "severity",
            FindingSort::Tool => "tool",
            FindingSort::Location => "location",
        }
    }
}

/// One row of the Findings pane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FindingsRow<'a> {
    /// A scan finding.
    Finding(&'a FindingRow),
    /// A policy result that did not pass.
    Policy(&'a PolicyRow),
}

/// The theme item of a severity badge: blocker colours for critical and
/// high, warning for medium; the text badge carries it in mono.
pub fn severity_item(s: Severity) -> Item {
    match s {
        Severity::Critical | Severity::High => Item::Fail,
        Severity::Medium => Item::Warn,
        Severity::Low => Item::Text,
        Severity::Info => Item::Muted,
    }
}

/// Badge and theme item of a policy outcome.
pub fn policy_badge(o: PolicyOutcome) -> (&'static str, Item) {
    match o {
        PolicyOutcome::Deny => ("DENY", Item::Fail),
        PolicyOutcome::Warn => ("WARN", Item::Warn),
        PolicyOutcome::NotEvaluable => ("N/E", Item::Inconclusive),
        PolicyOutcome::Pass => ("PASS", Item::Pass),
    }
}

/// What a finding's status column says on `today`, and how it is styled.
/// An expired acceptance no longer waives: it reads as a blocker.
pub fn finding_status(f: &Finding, today: NaiveDate) -> (String, Item) {
    match f.disposition(today) {
        Disposition::Fixed => ("fixed".into(), Item::Muted),
        Disposition::Waived { .. } if f.suppression == Suppression::Accepted => {
            ("suppressed".into(), Item::Muted)
        }
        Disposition::Waived { .. } => match &f.acceptance {
            Some(acc) => (format!("accepted until {}", acc.expires), Item::Skipped),
            None => ("waived".into(), Item::Skipped),
        },
        Disposition::Open { .. } => match &f.acceptance {
            Some(acc) if acc.is_expired(today) => (format!("EXPIRED {}", acc.expires), Item::Fail),
            _ => match f.suppression {
                Suppression::Rejected => ("open (supp. rejected)".into(), Item::Text),
                Suppression::UnderReview => ("open (supp. review)".into(), Item::Text),
                _ => ("open".into(), Item::Text),
            },
        },
    }
}

/// `new` or `known`, against both the scanner's and Flightdeck's baselines.
pub fn novelty(f: &Finding) -> &'static str {
    if f.is_new() { "new" } else { "known" }
}

/// The text a filter is matched against: rule, title, location, tool.
pub fn finding_row_text(f: &Finding) -> String {
    format!("{} {} {} {}", f.rule_id, f.title, f.location, f.tool)
}

fn policy_row_text(p: &PolicyRow) -> String {
    format!(
        "POLICY {} {} {}",
        p.result.policy,
        p.result.rule,
        p.result.messages.join(" ")
    )
}

fn compare(a: &Finding, b: &Finding, sort: FindingSort) -> Ordering {
    let severity = a
        .severity
        .cmp(&b.severity)
        .then(b.is_new().cmp(&a.is_new()));
    let location = a
        .location
        .path
        .to_lowercase()
        .cmp(&b.location.path.to_lowercase())
        .then(a.location.line.cmp(&b.location.line));
    match sort {
        FindingSort::Severity => severity.then(a.rule_id.cmp(&b.rule_id)).then(location),
        FindingSort::Tool => a
            .tool
            .to_lowercase()
            .cmp(&b.tool.to_lowercase())
            .then(severity)
            .then(location),
        FindingSort::Location => location.then(severity),
    }
}

/// The Findings pane's rows: findings matching `filter`, in `sort` order,
/// then policy results that did not pass (in arrival order).
pub fn visible_rows<'a>(
    state: &'a RunState,
    filter: &str,
    sort: FindingSort,
) -> Vec<FindingsRow<'a>> {
    let f = filter.to_lowercase();
    let matches = |text: String| f.is_empty() || text.to_lowercase().contains(&f);
    let mut findings: Vec<&FindingRow> = state
        .findings
        .iter()
        .filter(|r| matches(finding_row_text(&r.finding)))
        .collect();
    findings.sort_by(|a, b| compare(&a.finding, &b.finding, sort));
    let policies = state
        .policies
        .iter()
        .filter(|p| p.result.outcome != PolicyOutcome::Pass)
        .filter(|p| matches(policy_row_text(p)));
    findings
        .into_iter()
        .map(FindingsRow::Finding)
        .chain(policies.map(FindingsRow::Policy))
        .collect()
}

/// Enter: the detail of the selected row, a finding or a policy result.
pub fn detail(app: &App) -> Option<Overlay> {
    let i = app.selected(Pane::Findings)?;
    Some(match app.visible_findings().get(i)? {
        FindingsRow::Finding(f) => Overlay::FindingDetail {
            stage: f.stage.clone(),
            fingerprint: f.finding.fingerprint.clone(),
        },
        FindingsRow::Policy(p) => Overlay::PolicyDetail {
            stage: p.stage.clone(),
            policy: p.result.policy.clone(),
            rule: p.result.rule.clone(),
        },
    })
}

/// `crit 0 high 1 med 4 low 3 (open)`: open findings by severity.
pub fn open_counts(state: &RunState, today: NaiveDate) -> String {
    let mut counts = [0usize; Severity::ALL.len()];
    for r in &state.findings {
        if matches!(r.finding.disposition(today), Disposition::Open { .. }) {
            counts[r.finding.severity as usize] += 1;
        }
    }
    let mut parts: Vec<String> = Severity::ALL[..4]
        .iter()
        .map(|s| format!("{} {}", s.badge().to_lowercase(), counts[*s as usize]))
        .collect();
    if counts[Severity::Info as usize] > 0 {
        parts.push(format!("info {}", counts[Severity::Info as usize]));
    }
    format!("{} (open)", parts.join(" "))
}

fn max_width<'a>(texts: impl Iterator<Item = &'a str>, min: usize, max: usize) -> u16 {
    texts
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(min)
        .clamp(min, max) as u16
}

/// Draw the Findings pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let state = app.view();
    if !state.has_stage_kind(StageKind::Scan) && !state.has_stage_kind(StageKind::Policy) {
        let text = capability_message(state, StageKind::Scan);
        render_message(frame, area, app, Pane::Findings, &text);
        return;
    }
    let rows = app.visible_findings();
    if rows.is_empty() {
        let text = if !app.filter(Pane::Findings).is_empty() {
            format!("No finding matches /{}.", app.filter(Pane::Findings))
        } else if state.stages.iter().any(|s| {
            matches!(s.plan.kind, StageKind::Scan | StageKind::Policy)
                && s.status == StageStatus::Finished
        }) {
            "No findings, and every policy passed.".to_string()
        } else {
            "scan stage planned: waiting for data.".to_string()
        };
        render_message(frame, area, app, Pane::Findings, &text);
        return;
    }
    let theme = app.theme();
    let today = app.today();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let mut statuses: Vec<(String, Item)> = rows
        .iter()
        .map(|r| match r {
            FindingsRow::Finding(f) => finding_status(&f.finding, today),
            FindingsRow::Policy(p) => match p.result.outcome {
                PolicyOutcome::Deny => ("blocker".into(), Item::Fail),
                PolicyOutcome::Warn => ("warning".into(), Item::Warn),
                _ => ("not evaluable".into(), Item::Inconclusive),
            },
        })
        .collect();
    // Narrow panes (the six-pane grid) keep sev, rule, title, location and
    // status; tool and new/known come back when there is room.
    let wide = area.width >= 100;
    if !wide {
        for (s, _) in &mut statuses {
            if let Some(date) = s.strip_prefix("accepted until ") {
                *s = format!("waived to {date}");
            }
        }
    }
    let table_rows = rows.iter().zip(&statuses).map(|(r, (status, item))| {
        let status = Span::styled(status.clone(), theme.style(*item));
        let cells: Vec<Span> = match r {
            FindingsRow::Finding(row) => {
                let f = &row.finding;
                vec![
                    Span::styled(f.severity.badge(), theme.style(severity_item(f.severity))),
                    Span::styled(f.rule_id.clone(), text),
                    Span::styled(f.title.clone(), text),
                    Span::styled(f.location.to_string(), text),
                    Span::styled(f.tool.clone(), muted),
                    Span::styled(novelty(f), muted),
                    status,
                ]
            }
            FindingsRow::Policy(p) => {
                let (badge, badge_item) = policy_badge(p.result.outcome);
                vec![
                    Span::styled(badge, theme.style(badge_item)),
                    Span::styled("POLICY", muted),
                    Span::styled(p.result.messages.join("; "), text),
                    Span::styled(p.result.policy.clone(), text),
                    Span::styled(p.result.rule.clone(), muted),
                    Span::raw(""),
                    status,
                ]
            }
        };
        Row::new(cells.into_iter().map(Cell::from))
    });
    let findings = || {
        rows.iter().filter_map(|r| match r {
            FindingsRow::Finding(f) => Some(&f.finding),
            FindingsRow::Policy(_) => None,
        })
    };
    let rule_w = max_width(
        findings().map(|f| f.rule_id.as_str()),
        6,
        if wide { 18 } else { 14 },
    );
    let tool_w = max_width(findings().map(|f| f.tool.as_str()), 4, 12);
    let status_w = max_width(statuses.iter().map(|(s, _)| s.as_str()), 6, 26);
    let widths = [
        Constraint::Length(4),
        Constraint::Length(rule_w),
        Constraint::Fill(3),
        Constraint::Fill(2),
        Constraint::Length(if wide { tool_w } else { 0 }),
        Constraint::Length(if wide { 5 } else { 0 }),
        Constraint::Length(status_w),
    ];
    let header = Row::new(["sev", "rule", "title", "location", "tool", "new", "status"])
        .style(header_style(app));
    let focused = app.focus() == Pane::Findings;
    let extra = format!(
        "{}  sort {}",
        open_counts(state, today),
        app.finding_sort().name()
    );
    let table = Table::new(table_rows, widths)
        .header(header)
        .block(pane_block(app, Pane::Findings, &extra))
        .row_highlight_style(if focused {
            theme.style(Item::Highlight)
        } else {
            Style::new()
        })
        .highlight_symbol("> ");
    let mut ts = TableState::new().with_selected(app.selected(Pane::Findings));
    frame.render_stateful_widget(table, area, &mut ts);
}
