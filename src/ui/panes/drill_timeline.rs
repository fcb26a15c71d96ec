//! The Drills pane's DR timeline: for a recovery drill (any drill with
//! timeline marks), the disaster at T0, restore started, data verified and
//! service healthy as relative times (`T0+1.20s`), RTO and RPO beside their
//! objectives with text badges, the heartbeat's lost writes, and the
//! integrity summary (`3/3 tables match` or the first mismatch). A compact
//! form fits a narrow side panel or an 80x24 screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::core::disaster::Mark;
use crate::core::dr_evidence::{DrEvidence, bytes, seconds};
use crate::core::drill::value_text;
use crate::core::state::DrillView;
use crate::core::verdict::Verdict;
use crate::ui::app::App;
use crate::ui::panes::verdict_item;
use crate::ui::theme::Item;

/// Below this width the timeline takes its compact form.
pub const COMPACT_WIDTH: u16 = 60;

/// The drill whose timeline is shown: the selected one when it is a
/// recovery drill, else the latest recovery drill.
pub fn pick(app: &App) -> Option<&DrillView> {
    let drills = &app.view().drills;
    let has = |d: &&DrillView| !d.marks.is_empty() || d.recovery.is_some();
    app.selected(crate::ui::panes::Pane::Drills)
        .and_then(|i| drills.get(i))
        .filter(has)
        .or_else(|| drills.iter().rev().find(has))
}

fn short(m: Mark) -> &'static str {
    match m {
        Mark::BackupStarted => "backup",
        Mark::BackupDone => "backed up",
        Mark::Disaster => "disaster",
        Mark::RestoreStarted => "restore",
        Mark::RestoreDone => "restored",
        Mark::DataVerified => "verified",
        Mark::ServiceHealthy => "healthy",
    }
}

/// ` <= 10 PASS` for the objective on `measure`, as spans.
fn bound(app: &App, e: &DrEvidence, measure: &str) -> Vec<Span<'static>> {
    let theme = app.theme();
    let Some(o) = e.objective(measure) else {
        return vec![Span::styled("  no objective", theme.style(Item::Muted))];
    };
    let badge = match (e.verdict, o.verdict) {
        // Not judged yet: the bound only.
        (None, _) => None,
        (_, v) => Some(v),
    };
    let mut out = vec![Span::styled(
        format!(
            "  {} {} {}",
            measure,
            o.objective.op.as_str(),
            value_text(o.objective.value)
        ),
        theme.style(Item::Text),
    )];
    if let Some(v) = badge {
        out.push(Span::styled(
            format!(" {}", v.badge()),
            theme.style(verdict_item(v)),
        ));
    }
    out
}

fn rto_line(app: &App, e: &DrEvidence, compact: bool) -> Line<'static> {
    let theme = app.theme();
    let text = match e.rto_s {
        Some(v) => format!("RTO {}", seconds(v)),
        None if compact => "RTO -".into(),
        None => format!("RTO {}", e.rto_note()),
    };
    let mut spans = vec![Span::styled(text, theme.style(Item::Text))];
    spans.extend(bound(app, e, "rto_s"));
    Line::from(spans)
}

fn rpo_line(app: &App, e: &DrEvidence, compact: bool) -> Line<'static> {
    let theme = app.theme();
    let text = match (e.rpo_s, e.lost_writes) {
        (None, None) if compact => "RPO - (no heartbeat)".to_string(),
        (None, None) => "RPO not measured: no heartbeat in this drill".into(),
        (s, w) => format!(
            "RPO {}, lost writes {}",
            s.map_or("-".into(), seconds),
            w.map_or("-".into(), |w| w.to_string())
        ),
    };
    let mut spans = vec![Span::styled(text, theme.style(Item::Text))];
    if e.objective("lost_writes").is_some() {
        spans.extend(bound(app, e, "lost_writes"));
    } else if e.objective("rpo_s").is_some() {
        spans.extend(bound(app, e, "rpo_s"));
    }
    Line::from(spans)
}

fn integrity_line(app: &App, e: &DrEvidence) -> Line<'static> {
    let theme = app.theme();
    let bad = e.integrity.iter().any(|t| !t.ok);
    Line::from(Span::styled(
        e.integrity_summary(),
        theme.style(if bad { Item::Fail } else { Item::Text }),
    ))
}

/// The timeline's lines.
pub fn lines(app: &App, e: &DrEvidence, compact: bool) -> Vec<Line<'static>> {
    let theme = app.theme();
    let mut out = Vec::new();
    if compact {
        out.push(rto_line(app, e, true));
        out.push(rpo_line(app, e, true));
        out.push(integrity_line(app, e));
        // Two points per line.
        for pair in e.timeline.chunks(2) {
            let text: Vec<String> = pair
                .iter()
                .map(|p| format!("{} {}", p.relative(), short(p.mark)))
                .collect();
            out.push(Line::styled(text.join("  "), theme.style(Item::Text)));
        }
        return out;
    }
    if !e.method.is_empty() {
        out.push(Line::from(vec![
            Span::styled("method ", theme.style(Item::Muted)),
            Span::styled(e.method.clone(), theme.style(Item::Text)),
        ]));
    }
    for p in &e.timeline {
        let item = if p.mark == Mark::Disaster {
            Item::Warn
        } else {
            Item::Text
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {:<10}", p.relative()), theme.style(Item::Text)),
            Span::styled(format!("{:<17}", p.mark.as_str()), theme.style(item)),
            Span::styled(p.detail.clone(), theme.style(Item::Muted)),
        ]));
    }
    out.push(rto_line(app, e, false));
    out.push(rpo_line(app, e, false));
    out.push(integrity_line(app, e));
    let mut sizes = Vec::new();
    if let Some(b) = e.backup_bytes {
        sizes.push(format!("backup {}", bytes(b)));
    }
    if let Some(s) = e.backup_s {
        sizes.push(format!("backup took {}", seconds(s)));
    }
    if let Some(s) = e.restore_s {
        sizes.push(format!("restore took {}", seconds(s)));
    }
    if !sizes.is_empty() {
        out.push(Line::styled(sizes.join(", "), theme.style(Item::Muted)));
    }
    out
}

/// Draw the timeline of `d` in `area`, in its own block.
pub fn render(frame: &mut Frame, area: Rect, app: &App, d: &DrillView) {
    let Some(e) = DrEvidence::of(d) else {
        return;
    };
    let theme = app.theme();
    let compact = area.width < COMPACT_WIDTH;
    let badge = e.verdict.map_or("RUN", Verdict::badge);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Item::Border))
        .title(Span::styled(
            format!(" DR timeline: {} {} ", d.name, badge),
            theme.style(Item::Title),
        ));
    frame.render_widget(Paragraph::new(lines(app, &e, compact)).block(block), area);
}
