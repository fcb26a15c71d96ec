//! The Data pane: one line per table of the data stage (a bar of rows
//! copied against the source's estimate, the rate, the transforms, the
//! parity verdict) under a leak-scan summary. Below 100 columns the line
//! drops the transforms and shortens the bar. Drawn from the fold's
//! `DataView` alone, so replay and attach show the same.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::core::data::FindingKind;
use crate::core::state::data::{DataTableView, DataView};
use crate::core::verdict::Verdict;
use crate::ui::app::App;
use crate::ui::panes::{Pane, render_message, verdict_item};
use crate::ui::theme::{Item, Theme};

/// How the pane is numbered and framed.
pub struct Frame8<'a> {
    /// Title with its number (`8 Data`).
    pub title: &'a str,
    /// `--ascii` borders.
    pub ascii: bool,
    /// Focused.
    pub focused: bool,
}

fn human(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

fn bar(t: &DataTableView, width: usize, ascii: bool) -> String {
    let total = t.estimated_rows.max(t.rows).max(1) as f64;
    let frac = if t.copied {
        1.0
    } else {
        (t.rows as f64 / total).min(1.0)
    };
    let full = (frac * width as f64).round() as usize;
    let (on, off) = if ascii { ('#', '.') } else { ('█', '░') };
    std::iter::repeat_n(on, full)
        .chain(std::iter::repeat_n(off, width - full))
        .collect()
}

fn verdict_text(v: Option<Verdict>) -> &'static str {
    match v {
        Some(v) => v.badge(),
        None => "..",
    }
}

/// The leak-scan line.
pub fn leak_line(d: &DataView, wide: bool) -> String {
    let leaks = d
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Leak && !f.accepted)
        .count();
    let detectors = d
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Detector && !f.accepted)
        .count();
    let unruled = d
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Unruled)
        .count();
    let parity_failed = d
        .parity
        .iter()
        .filter(|p| p.verdict == Verdict::Fail)
        .count();
    match &d.leak {
        Some(l) if !wide => format!(
            "leak scan {} rows: leaks {leaks}, detector hits {detectors} | parity {}/{} ok",
            human(l.rows as f64),
            d.parity.len() - parity_failed,
            d.parity.len()
        ),
        Some(l) => format!(
            "leak scan: {} rows vs {} personal values in {:.1}s: leaks {leaks}, detector hits {detectors} | parity {}/{} ok{}",
            human(l.rows as f64),
            human(l.source_values as f64),
            l.seconds,
            d.parity.len() - parity_failed,
            d.parity.len(),
            if unruled > 0 {
                format!(" | {unruled} unruled")
            } else {
                String::new()
            }
        ),
        None if unruled > 0 => format!("{unruled} personal columns without a rule: nothing copied"),
        None => "leak scan: after the copy".into(),
    }
}

/// Draw pane 8 in the control room (registered in `PANES`, shown only when
/// the plan has a data stage): the fold's `DataView`, framed like the other
/// panes (`[8 Data]` when focused, so focus shows without colour), or a
/// sentence until the first table starts.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let d = &app.view().data;
    if d.tables.is_empty() && d.findings.is_empty() {
        render_message(
            frame,
            area,
            app,
            Pane::Data,
            "Data stage planned: waiting for its first table.",
        );
        return;
    }
    let focused = app.focus() == Pane::Data;
    let name = format!("{} {}", Pane::Data.number(), Pane::Data.title());
    let title = if focused { format!("[{name}]") } else { name };
    render_view(
        frame,
        area,
        d,
        app.theme(),
        &Frame8 {
            title: &title,
            ascii: app.ascii,
            focused,
        },
    );
}

/// Draw the pane.
pub fn render_view(frame: &mut Frame, area: Rect, d: &DataView, theme: &Theme, f: &Frame8) {
    let copied = d.tables.iter().filter(|t| t.copied).count();
    let rows: u64 = d.tables.iter().map(|t| t.rows).sum();
    let title = format!(
        " {} {copied}/{} tables {} rows ",
        f.title,
        d.tables.len(),
        human(rows as f64)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(if f.ascii {
            super::ASCII_BORDER
        } else {
            border::PLAIN
        })
        .border_style(theme.style(if f.focused {
            Item::BorderFocus
        } else {
            Item::Border
        }))
        .title(Span::styled(
            title,
            theme.style(if f.focused {
                Item::TitleFocus
            } else {
                Item::Title
            }),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= 100;
    let name_w = if wide { 24 } else { 18 };
    let bar_w = if wide { 20 } else { 10 };
    let mut lines = vec![Line::from(Span::styled(
        leak_line(d, wide),
        theme.style(if d.leaks() > 0 {
            Item::Fail
        } else {
            Item::Text
        }),
    ))];
    for t in &d.tables {
        let mut name = t
            .table
            .strip_prefix("public.")
            .unwrap_or(&t.table)
            .to_string();
        if name.chars().count() > name_w {
            name = name.chars().take(name_w - 1).collect::<String>() + "~";
        }
        let rate = if t.copied {
            format!("{}/s", human(t.rows_per_sec))
        } else {
            "".into()
        };
        let count = format!(
            "{}/{}",
            human(t.rows as f64),
            human(t.estimated_rows.max(t.rows) as f64)
        );
        let mut spans = vec![
            Span::styled(format!("{name:<name_w$} "), theme.style(Item::Text)),
            Span::styled(
                bar(t, bar_w, f.ascii),
                theme.style(if t.copied { Item::Pass } else { Item::Running }),
            ),
            Span::styled(format!(" {count:>11} {rate:>8} "), theme.style(Item::Muted)),
            Span::styled(
                format!("{:<4}", verdict_text(t.parity)),
                theme.style(t.parity.map_or(Item::Pending, verdict_item)),
            ),
        ];
        if wide && !t.transforms.is_empty() {
            spans.push(Span::styled(
                format!(" {}", t.transforms.join(" ")),
                theme.style(Item::Muted),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
