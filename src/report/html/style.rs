//! The page's one stylesheet, inline. The Content-Security-Policy allows
//! exactly this text (by its SHA-256), so no other style, script or fetch
//! can run in the page. Verdict colours always come with a text badge.

/// The stylesheet: readable on a phone (tables scroll sideways, charts
/// scale) and on paper.
pub const CSS: &str = r#"
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#ffffff;--panel:#f6f8fa;
--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--inc:#6e40c9;--skip:#6e7781}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.2em 0}
h2{font-size:1.2em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:1px solid var(--line)}
h3{font-size:1em;margin:1.2em 0 .4em}
p{margin:.4em 0}
.kicker{color:var(--muted);text-transform:uppercase;letter-spacing:.08em;font-size:.75em;margin:0}
.meta{color:var(--muted)}
.decision{border:2px solid var(--line);border-left-width:10px;border-radius:6px;padding:12px 16px;background:var(--panel)}
.decision.go{border-color:var(--pass)}
.decision.nogo{border-color:var(--fail)}
.decision.inc{border-color:var(--inc)}
.decision.waiting{border-color:var(--warn)}
.outcome{font-size:1.9em;font-weight:700;margin:.1em 0}
.score{font-size:1.1em;font-weight:600}
.badge{display:inline-block;min-width:3.2em;padding:0 .4em;border-radius:4px;color:#fff;font-weight:700;font-size:.85em;text-align:center;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.badge.pass,.badge.go{background:var(--pass)}
.badge.warn,.badge.waiting{background:var(--warn)}
.badge.fail,.badge.nogo{background:var(--fail)}
.badge.inc{background:var(--inc)}
.badge.skip{background:var(--skip)}
.badge.critical{background:#8c0009}.badge.high{background:var(--fail)}.badge.medium{background:var(--warn)}
.badge.low{background:#0969da}.badge.info{background:var(--skip)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{background:var(--panel);font-weight:600;white-space:nowrap}
td:first-child{white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:anywhere}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:.5em 0}
.counts span{padding:2px 8px;border:1px solid var(--line);border-radius:4px}
svg.chart{width:100%;min-width:540px;height:auto;display:block;background:var(--panel);border:1px solid var(--line);border-radius:4px;margin:.4em 0}
svg .grid{stroke:var(--line);stroke-width:1}
svg .tick{stroke:var(--muted);stroke-width:1}
svg .axis{fill:var(--muted);font-size:11px}
svg .label{fill:var(--fg);font-size:12px}
svg .legend{fill:var(--fg);font-size:12px}
svg .line{fill:none;stroke-width:2}
svg .line.p50{stroke:#0969da}
svg .line.p95{stroke:#9a6700;stroke-dasharray:6 3}
svg .line.p99{stroke:#cf222e;stroke-dasharray:2 2}
svg .bar.pass{fill:var(--pass)}svg .bar.warn{fill:var(--warn)}svg .bar.fail{fill:var(--fail)}
svg .bar.inc{fill:var(--inc)}svg .bar.skip{fill:var(--skip)}
.empty{color:var(--muted);font-style:italic}
footer{margin:2em 0 1em;color:var(--muted);font-size:.85em;border-top:1px solid var(--line);padding-top:.6em}
@media (max-width:640px){main{padding:10px}body{font-size:14px}.outcome{font-size:1.5em}th,td{padding:4px 5px}}
@media print{.scroll{overflow:visible}svg.chart{break-inside:avoid}}
"#;
