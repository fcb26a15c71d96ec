//! The header line and, in the compact layout, the one-line verdict strip.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::core::event::EnvRisk;
use crate::core::format::trim_num;
use crate::core::gate::Decision;
use crate::core::state::RunState;
use crate::core::state::canary::RollbackStatus;
use crate::ui::app::App;
use crate::ui::panes::{seconds_between, stage_badge_span, verdict_item};
use crate::ui::theme::Item;

/// Elapsed run time as `hh:mm:ss`: from start to finish, or to `app.now`.
pub fn elapsed(state: &RunState, app: &App) -> String {
    let Some(start) = state.started_at else {
        return "--:--:--".into();
    };
    let secs = seconds_between(start, state.finished_at.unwrap_or(app.now));
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// The score part: the gate's decision, or the provisional score marked `~`.
fn score_spans(app: &App, state: &RunState) -> Vec<Span<'static>> {
    let theme = app.theme();
    let text = theme.style(Item::Header);
    let (decision, provisional): (Option<Decision>, bool) = match &state.decision {
        Some(d) => (Some(d.clone()), false),
        None => (crate::gate::provisional(state), true),
    };
    let Some(d) = decision else {
        return vec![Span::styled("score -", text)];
    };
    let mark = if provisional { "~" } else { "" };
    let mut spans = vec![
        Span::styled(format!("score {mark}{} ", trim_num(d.score)), text),
        Span::styled(d.band.badge(), theme.style(verdict_item(d.band))),
    ];
    if state.decision.is_some() && state.decision_stale {
        spans.push(Span::styled(" stale", theme.style(Item::Warn)));
    }
    spans
}

/// The score of recent releases of this service as a sparkline, the run's
/// own score (decided or provisional) last.
pub fn score_trend(app: &App, state: &RunState) -> Option<String> {
    let h = state.history.as_ref()?;
    if h.scores.is_empty() {
        return None;
    }
    let mut values = state.score_trend();
    let now = state
        .decision
        .as_ref()
        .map(|d| d.score)
        .or_else(|| crate::gate::provisional(state).map(|d| d.score));
    values.extend(now);
    Some(crate::core::history::sparkline(&values, app.ascii))
}

fn trend_spans(app: &App, state: &RunState) -> Option<Vec<Span<'static>>> {
    let line = score_trend(app, state)?;
    let theme = app.theme();
    Some(vec![
        Span::styled("trend ", theme.style(Item::Header)),
        Span::styled(line, theme.style(Item::Header)),
    ])
}

/// `risk 42 MEDIUM`, and `SIGN-OFF` when config requires one for this risk.
fn risk_spans(app: &App, state: &RunState) -> Option<Vec<Span<'static>>> {
    let r = state.history.as_ref()?.risk.as_ref()?;
    let theme = app.theme();
    let item = match r.level {
        crate::core::history::RiskLevel::Low => Item::Pass,
        crate::core::history::RiskLevel::Medium => Item::Warn,
        crate::core::history::RiskLevel::High => Item::Fail,
    };
    let mut spans = vec![
        Span::styled(
            format!("risk {} ", trim_num(r.score)),
            theme.style(Item::Header),
        ),
        Span::styled(r.level.badge(), theme.style(item)),
    ];
    if r.requires_signoff {
        spans.push(Span::styled(" SIGN-OFF", theme.style(Item::Warn)));
    }
    Some(spans)
}

/// GO / NO-GO / INCONCLUSIVE once decided and the run is over, else RUNNING.
fn outcome_span(app: &App, state: &RunState) -> Span<'static> {
    let theme = app.theme();
    let outcome = state.outcome.or_else(|| {
        state
            .decision
            .as_ref()
            .filter(|_| !state.decision_stale && !state.in_progress())
            .map(|d| d.outcome)
    });
    match outcome {
        Some(o) => {
            let item = match o {
                crate::core::event::Outcome::Go => Item::Pass,
                crate::core::event::Outcome::NoGo => Item::Fail,
                crate::core::event::Outcome::Inconclusive => Item::Inconclusive,
            };
            Span::styled(o.badge(), theme.style(item))
        }
        None if state.awaiting_signoff().is_some() => {
            Span::styled("AWAITING SIGN-OFF", theme.style(Item::Warn))
        }
        None if state.in_progress() => Span::styled("RUNNING", theme.style(Item::Running)),
        None if state.info.is_none() => Span::styled("WAITING", theme.style(Item::Pending)),
        None => Span::styled("ENDED", theme.style(Item::Pending)),
    }
}

/// Header segments as (drop priority, spans): higher priority numbers are
/// dropped first when the line does not fit.
fn segments(app: &App) -> Vec<(u8, Vec<Span<'static>>)> {
    let theme = app.theme();
    let text = theme.style(Item::Header);
    let state = app.view();
    let mut segs: Vec<(u8, Vec<Span<'static>>)> = vec![(7, vec![Span::styled("flightdeck", text)])];
    match &state.info {
        Some(info) => {
            let risk_item = match info.risk {
                EnvRisk::Prod => Item::EnvProd,
                EnvRisk::Preprod => Item::EnvPreprod,
                EnvRisk::Dev | EnvRisk::Staging => Item::EnvOther,
            };
            segs.push((
                3,
                vec![Span::styled(
                    format!("{} {}", info.service, info.release),
                    text,
                )],
            ));
            segs.push((
                0,
                vec![Span::styled(
                    info.environment.to_uppercase(),
                    theme.style(risk_item),
                )],
            ));
            // Who watches matters more than the run id: it goes after it.
            if let Some(p) = presence_text(app) {
                segs.push((4, vec![Span::styled(p, text)]));
            }
            segs.push((4, vec![Span::styled(format!("run {}", info.run_id), text)]));
            segs.push((2, vec![Span::styled(elapsed(state, app), text)]));
            segs.push((
                5,
                vec![Span::styled(format!("operator {}", info.operator), text)],
            ));
        }
        None => segs.push((0, vec![Span::styled("waiting for the run to start", text)])),
    }
    if let Some(v) = state.awaiting_signoff() {
        segs.push((
            1,
            vec![Span::styled(
                format!("sign-off needed: {} (S)", v.needed_text()),
                theme.style(Item::Warn),
            )],
        ));
    }
    let rw = if app.changes_disabled() { "RO" } else { "RW" };
    segs.push((1, vec![Span::styled(rw, text)]));
    if app.replay() {
        segs.push((1, vec![Span::styled("REPLAY", theme.style(Item::Warn))]));
    }
    if app.is_frozen() {
        segs.push((0, vec![Span::styled("FROZEN", theme.style(Item::Warn))]));
    }
    if let Some(c) = &state.canary {
        if c.active()
            && let Some(p) = c.percent
        {
            segs.push((
                2,
                vec![Span::styled(format!("canary {}%", trim_num(p)), text)],
            ));
        }
        match c.rollback.as_ref().map(|r| &r.status) {
            Some(RollbackStatus::Pending) => {
                segs.push((0, vec![Span::styled("ROLLBACK", theme.style(Item::Warn))]));
            }
            Some(RollbackStatus::Failed(_)) => segs.push((
                0,
                vec![Span::styled("ROLLBACK FAILED", theme.style(Item::Fail))],
            )),
            _ => {}
        }
    }
    segs.push((1, score_spans(app, state)));
    if let Some(trend) = trend_spans(app, state) {
        segs.push((5, trend));
    }
    if let Some(risk) = risk_spans(app, state) {
        segs.push((3, risk));
    }
    segs.push((0, vec![outcome_span(app, state)]));
    segs.push((6, vec![Span::styled("? help", text)]));
    segs
}

/// How the presence segment starts (so the header can find it).
const PRESENCE_MARK: &str = "attached";

/// The presence in a few characters: `2 attached` (and this session's role).
fn presence_short(app: &App) -> Option<String> {
    let peers = &app.view().presence;
    if peers.is_empty() {
        return None;
    }
    let you = app
        .attached()
        .and_then(|id| app.view().peer(id))
        .map(|p| format!(", you {}", p.role.as_str()))
        .unwrap_or_default();
    Some(format!("{PRESENCE_MARK} {}{you}", peers.len()))
}

/// Who is attached, name and role (this session marked `you`), at most
/// three named.
pub fn presence_text(app: &App) -> Option<String> {
    let peers = &app.view().presence;
    if peers.is_empty() {
        return None;
    }
    let mut names: Vec<String> = peers
        .iter()
        .take(3)
        .map(|p| {
            let you = if app.attached() == Some(p.id) {
                " you"
            } else {
                ""
            };
            format!("{} ({}{you})", p.actor.name, p.role.as_str())
        })
        .collect();
    if peers.len() > 3 {
        names.push(format!("+{}", peers.len() - 3));
    }
    Some(format!("{PRESENCE_MARK}: {}", names.join(", ")))
}

fn width(segs: &[(u8, Vec<Span<'static>>)]) -> usize {
    let inner: usize = segs
        .iter()
        .map(|(_, s)| s.iter().map(|x| x.width()).sum::<usize>())
        .sum();
    inner + 3 * segs.len().saturating_sub(1)
}

/// The header line, dropping the least useful parts when narrow.
pub fn header_line(app: &App, max_width: usize) -> Line<'static> {
    let mut segs = segments(app);
    let is_presence = |s: &(u8, Vec<Span<'static>>)| {
        s.1.first()
            .is_some_and(|x| x.content.starts_with(PRESENCE_MARK))
    };
    let presence_at = segs.iter().position(is_presence);
    while width(&segs) > max_width {
        let Some(worst) = segs.iter().map(|(p, _)| *p).max().filter(|p| *p > 0) else {
            break;
        };
        if let Some(i) = segs.iter().rposition(|(p, _)| *p == worst) {
            segs.remove(i);
        }
    }
    // Names did not fit: say how many are attached, if that fits.
    if let (Some(at), Some(short)) = (presence_at, presence_short(app))
        && !segs.iter().any(is_presence)
    {
        let at = at.min(segs.len());
        segs.insert(
            at,
            (
                0,
                vec![Span::styled(short, app.theme().style(Item::Header))],
            ),
        );
        if width(&segs) > max_width {
            segs.remove(at);
        }
    }
    let sep = Span::styled(" | ", app.theme().style(Item::Header));
    let mut spans = Vec::new();
    for (i, (_, s)) in segs.into_iter().enumerate() {
        if i > 0 {
            spans.push(sep.clone());
        }
        spans.extend(s);
    }
    Line::from(spans)
}

/// Background style of the header line.
fn header_bg(app: &App) -> Style {
    let bg = app.theme().style(Item::HeaderBg);
    let mut style = Style::new();
    style.bg = bg.bg;
    style
}

/// Draw the header line.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let line = header_line(app, area.width as usize);
    frame.render_widget(Paragraph::new(line).style(header_bg(app)), area);
}

/// Draw the compact layout's verdict strip: the decision, then each stage's badge.
pub fn render_strip(frame: &mut Frame, area: Rect, app: &App) {
    let state = app.view();
    let theme = app.theme();
    let mut spans = vec![Span::raw(" "), outcome_span(app, state), Span::raw("  ")];
    spans.extend(score_spans(app, state));
    spans.push(Span::styled("  |", theme.style(Item::Muted)));
    for st in &state.stages {
        spans.push(Span::styled(
            format!("  {} ", st.plan.id),
            theme.style(Item::Text),
        ));
        spans.push(stage_badge_span(app, st));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
