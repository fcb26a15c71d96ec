//! The IaC detail overlay (Enter on the Environment pane): every planned
//! change with its reason, the attributes that force replacement and its
//! risk notes; drift; every parity difference, intended ones marked with
//! their reason; the environment's lifecycle. Also the short texts the
//! Environment pane shows. Values arrive masked from the IaC layer.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::core::event::LogLevel;
use crate::environment::IacReport;
use crate::iac::parity::ParityDifference;
use crate::iac::plan::{ChangeAction, PlanSummary, RiskLevel};
use crate::ui::app::App;
use crate::ui::layout::centered;
use crate::ui::panes::{border_set, verdict_item};
use crate::ui::theme::{Item, Theme};

/// The action's word, as in Terraform's plan output.
pub fn action_name(a: ChangeAction) -> &'static str {
    match a {
        ChangeAction::NoOp => "no-op",
        ChangeAction::Create => "create",
        ChangeAction::Update => "update",
        ChangeAction::Delete => "delete",
        ChangeAction::Replace => "replace",
        ChangeAction::Read => "read",
        ChangeAction::Forget => "forget",
        ChangeAction::Other => "other",
    }
}

/// The theme item of a risk level.
pub fn risk_item(l: RiskLevel) -> Item {
    match l {
        RiskLevel::High => Item::Fail,
        RiskLevel::Medium => Item::Warn,
        RiskLevel::Low => Item::Muted,
    }
}

/// `provisioner (workspace NAME)`.
pub fn provisioner_text(r: &IacReport) -> String {
    match &r.workspace {
        Some(w) => format!("{} (workspace {w})", r.provisioner),
        None => r.provisioner.clone(),
    }
}

/// `+1 ~2 -0 ±1 (replace)`: the plan's counts, with a word when something
/// is replaced so that mono terminals see it too.
pub fn plan_counts(p: &PlanSummary, ascii: bool) -> String {
    let mut s = p.counts.glyphs(ascii);
    if p.counts.replace > 0 {
        s.push_str(" (replace)");
    }
    s
}

fn value(v: Option<&str>) -> &str {
    v.unwrap_or("(absent)")
}

/// `address.attribute: preprod vs prod`; a resource on one side only says so.
pub fn difference_text(d: &ParityDifference) -> String {
    if d.attribute == "*" {
        let side = match (&d.preprod, &d.prod) {
            (Some(_), None) => "only in preprod".to_string(),
            (None, Some(_)) => "only in prod".to_string(),
            (a, b) => format!("{} vs {}", value(a.as_deref()), value(b.as_deref())),
        };
        format!("{}: {side}", d.address)
    } else {
        format!(
            "{}.{}: {} vs {}",
            d.address,
            d.attribute,
            value(d.preprod.as_deref()),
            value(d.prod.as_deref())
        )
    }
}

/// A span of time for people: `45s`, `59m`, `2h05m`.
pub fn human_span(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m", secs / 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs / 60) % 60)
    }
}

/// What happens to the environment: destroyed at the end of the run (from
/// the teardown's log line), being destroyed, or its TTL. `None` when the
/// report says nothing about it.
pub fn lifecycle(
    app: &App,
    stage: &str,
    r: &IacReport,
    now: DateTime<Utc>,
) -> Option<(String, Item)> {
    let logs = &app.view().logs;
    let mine = || {
        logs.iter()
            .rev()
            .filter(move |l| l.stage.as_deref() == Some(stage))
    };
    if let Some(l) = mine().find(|l| l.message.starts_with("teardown: ")) {
        let what = l.message.trim_start_matches("teardown: ");
        return Some(if l.level == LogLevel::Error {
            (format!("ephemeral: teardown FAILED: {what}"), Item::Fail)
        } else if what == "destroyed" {
            ("ephemeral: destroyed at end of run".into(), Item::Text)
        } else {
            (
                format!("ephemeral: destroyed at end of run ({what})"),
                Item::Text,
            )
        });
    }
    if mine().any(|l| l.message == "IaC: destroying the ephemeral environment") {
        return Some(("ephemeral: destroying at end of run".into(), Item::Running));
    }
    let at = r.expires_at?;
    let clock = at.format("%H:%M:%S");
    let secs = (at - now).num_seconds();
    Some(if secs > 0 {
        (
            format!("TTL: destroy at {clock} (in {})", human_span(secs)),
            Item::Text,
        )
    } else {
        (
            format!("TTL: expired at {clock} ({} ago)", human_span(-secs)),
            Item::Warn,
        )
    })
}

fn heading(theme: &Theme, text: impl Into<String>) -> Line<'static> {
    Line::styled(text.into(), theme.style(Item::TitleFocus))
}

fn field(theme: &Theme, name: &str, value: Vec<Span<'static>>) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{name:<12}"),
        theme.style(Item::Muted),
    )];
    spans.extend(value);
    Line::from(spans)
}

fn plan_lines(app: &App, p: &PlanSummary, lines: &mut Vec<Line<'static>>) {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    lines.push(heading(
        theme,
        format!("Plan: {} ({})", plan_counts(p, app.ascii), p.headline()),
    ));
    let mut source = format!("{} (format {}", p.file, p.format_version);
    if let Some(v) = &p.terraform_version {
        source.push_str(&format!(", terraform {v}"));
    }
    source.push(')');
    lines.push(field(theme, "  source", vec![Span::styled(source, text)]));
    if let Some(why) = p.failure() {
        lines.push(field(
            theme,
            "  status",
            vec![Span::styled(
                format!("FAILED: {why}"),
                theme.style(Item::Fail),
            )],
        ));
    }
    if p.changes.is_empty() {
        lines.push(Line::styled("  no changes", muted));
    }
    for c in &p.changes {
        let mut head = vec![
            Span::styled(
                format!("  {:<4}{:<8}", c.action.symbol(), action_name(c.action)),
                theme.style(match c.action {
                    ChangeAction::Delete | ChangeAction::Replace => Item::Warn,
                    _ => Item::Text,
                }),
            ),
            Span::styled(c.address.clone(), text),
        ];
        if c.action == ChangeAction::Replace {
            head.push(Span::styled(
                if c.create_before_destroy {
                    "  (create before destroy)"
                } else {
                    "  (destroy before create)"
                },
                muted,
            ));
        }
        lines.push(Line::from(head));
        if let Some(reason) = &c.action_reason {
            lines.push(Line::from(vec![
                Span::styled("              reason  ", muted),
                Span::styled(reason.clone(), text),
            ]));
        }
        if !c.replace_paths.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("              forces  ", muted),
                Span::styled(c.replace_paths.join(", "), text),
            ]));
        }
        for r in p.risks.iter().filter(|r| r.address == c.address) {
            lines.push(Line::from(vec![
                Span::styled("              risk    ", muted),
                Span::styled(r.level.badge(), theme.style(risk_item(r.level))),
                Span::styled(format!(" {}", r.message), text),
            ]));
        }
    }
    for r in p
        .risks
        .iter()
        .filter(|r| !p.changes.iter().any(|c| c.address == r.address))
    {
        lines.push(Line::from(vec![
            Span::styled("  risk  ", muted),
            Span::styled(r.level.badge(), theme.style(risk_item(r.level))),
            Span::styled(format!(" {}: {}", r.address, r.message), text),
        ]));
    }
    for o in &p.outputs {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<4}{:<8}", o.action.symbol(), "output"), text),
            Span::styled(
                format!(
                    "{} = {}",
                    o.name,
                    o.after.as_deref().unwrap_or("(known after apply)")
                ),
                text,
            ),
        ]));
    }
}

/// Every line of the IaC detail of one report.
pub fn iac_lines(app: &App, stage: &str, r: &IacReport) -> Vec<Line<'static>> {
    let theme = app.theme();
    let text = theme.style(Item::Text);
    let muted = theme.style(Item::Muted);
    let mut lines = vec![
        field(
            theme,
            "verdict",
            vec![
                Span::styled(r.verdict.badge(), theme.style(verdict_item(r.verdict))),
                Span::styled(format!("  {}", r.summary), text),
            ],
        ),
        field(
            theme,
            "provisioner",
            vec![Span::styled(
                format!("{} in stage {stage}", provisioner_text(r)),
                text,
            )],
        ),
    ];
    if let Some((life, item)) = lifecycle(app, stage, r, app.now) {
        lines.push(field(
            theme,
            "lifecycle",
            vec![Span::styled(life, theme.style(item))],
        ));
    }
    if let Some(a) = &r.apply {
        let what = if a.summary.is_empty() {
            "ran".to_string()
        } else {
            a.summary.clone()
        };
        lines.push(field(theme, "apply", vec![Span::styled(what, text)]));
    }
    for e in &r.endpoints {
        lines.push(field(
            theme,
            "endpoint",
            vec![Span::styled(
                format!("{} {} (output {})", e.name, e.url, e.output),
                text,
            )],
        ));
    }
    lines.push(Line::raw(""));
    match &r.plan {
        Some(p) => plan_lines(app, p, &mut lines),
        None => lines.push(heading(theme, "Plan: none recorded")),
    }
    lines.push(Line::raw(""));
    match &r.drift {
        None => lines.push(heading(theme, "Drift: not checked")),
        Some(d) => {
            lines.push(heading(theme, format!("Drift: {}", d.headline())));
            for x in &d.drifted {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {:<4}{:<8}", x.action.symbol(), action_name(x.action)),
                        theme.style(Item::Warn),
                    ),
                    Span::styled(x.address.clone(), text),
                ]));
            }
        }
    }
    lines.push(Line::raw(""));
    match &r.parity {
        None => lines.push(heading(theme, "Parity: not configured")),
        Some(p) => {
            lines.push(heading(theme, format!("Parity: {}", p.headline())));
            lines.push(field(
                theme,
                "  compared",
                vec![Span::styled(
                    format!("{} vs {}", p.preprod_file, p.prod_file),
                    muted,
                )],
            ));
            if p.differences.is_empty() {
                lines.push(Line::styled("  no differences", muted));
            }
            let mut diffs: Vec<&ParityDifference> = p.unintended().collect();
            diffs.extend(p.differences.iter().filter(|d| d.intended));
            for d in diffs {
                let mut spans = vec![
                    Span::styled(
                        if d.intended {
                            "  intended  "
                        } else {
                            "  DIFF      "
                        },
                        theme.style(if d.intended { Item::Muted } else { Item::Warn }),
                    ),
                    Span::styled(difference_text(d), text),
                ];
                if d.intended {
                    spans.push(Span::styled(
                        format!("  ({})", d.reason.as_deref().unwrap_or("declared intended")),
                        muted,
                    ));
                }
                lines.push(Line::from(spans));
            }
        }
    }
    if let Some(v) = &r.var_parity {
        lines.push(Line::raw(""));
        lines.push(heading(
            theme,
            format!(
                "Var files: {} match, {} differ",
                v.matching,
                v.differences.len()
            ),
        ));
        for d in &v.differences {
            let tag = if d.intended {
                "  intended  "
            } else {
                "  DIFF      "
            };
            lines.push(Line::from(vec![
                Span::styled(
                    tag,
                    theme.style(if d.intended { Item::Muted } else { Item::Warn }),
                ),
                Span::styled(
                    format!(
                        "{}: {} vs {}",
                        d.key,
                        value(d.preprod.as_deref()),
                        value(d.prod.as_deref())
                    ),
                    text,
                ),
            ]));
        }
    }
    lines
}

/// The plan that waits for approval, with how the approval stands.
pub fn approval_plan_lines(
    app: &App,
    a: &crate::core::state::approval::ApprovalView,
) -> Vec<Line<'static>> {
    let theme = app.theme();
    let status = match &a.decision {
        None => (
            format!(
                "awaiting approval to apply {} (esc returns to the question)",
                a.request.plan_file
            ),
            Item::Warn,
        ),
        Some(d) if d.approved() => (format!("apply {}", d.text()), Item::Text),
        Some(d) => (format!("apply not run: {}", d.text()), Item::Warn),
    };
    let mut lines = vec![
        field(
            theme,
            "approval",
            vec![Span::styled(status.0, theme.style(status.1))],
        ),
        Line::raw(""),
    ];
    plan_lines(app, &a.request.plan, &mut lines);
    lines
}

/// Draw the IaC detail of a stage, scrolled by `scroll` lines.
pub fn render(frame: &mut Frame, area: Rect, app: &App, stage: &str, scroll: u16) {
    let view = app.view();
    let (title, lines) = match view.iac.iter().find(|(s, _)| s == stage) {
        Some((_, r)) => (
            format!("[IaC {stage}: {}]", provisioner_text(r)),
            iac_lines(app, stage, r),
        ),
        // Before the stage reports, the plan waiting for approval is all there is.
        None => match view.approval.as_ref().filter(|a| a.stage == stage) {
            Some(a) => (
                format!("[IaC {stage}: {} plan]", a.request.provisioner),
                approval_plan_lines(app, a),
            ),
            None => return,
        },
    };
    let theme = app.theme();
    let width = area.width.saturating_sub(8).min(110);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    // Wrapped height, near enough to bound the scroll.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w))
        .sum();
    let height = (rows as u16 + 2).min(area.height.saturating_sub(2));
    let popup = centered(area, width, height);
    let max_scroll = (rows as u16 + 2).saturating_sub(height);
    let block = Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(theme.style(Item::BorderFocus))
        .title(Line::styled(title, theme.style(Item::TitleFocus)))
        .title_bottom(Line::styled(
            " up/down scroll  esc close ",
            theme.style(Item::Muted),
        ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(max_scroll), 0)),
        popup,
    );
}
