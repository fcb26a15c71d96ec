//! Rendering a finished run: a human summary, or JSON with oha's field
//! names and units (seconds) where oha has them, plus Flightdeck's own.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::core::load::{LoadModel, Percentiles, Summary};
use crate::core::verdict::{Evidence, Verdict};
use crate::load::baseline::Comparison;
use crate::load::threshold::ThresholdResult;

fn secs(p: &Percentiles) -> Value {
    json!({
        "p50": p.p50_ms / 1000.0, "p90": p.p90_ms / 1000.0, "p95": p.p95_ms / 1000.0,
        "p99": p.p99_ms / 1000.0, "p99.9": p.p999_ms / 1000.0,
    })
}

/// The JSON report: oha's field names and units (seconds) where oha has
/// them, plus Flightdeck's own figures.
pub fn json_report(
    s: &Summary,
    verdict: Verdict,
    line: &str,
    evidence: &[Evidence],
    thresholds: &[ThresholdResult],
    comparison: Option<&Comparison>,
    saved_baseline: Option<&str>,
) -> Value {
    let status: BTreeMap<String, u64> = s
        .status_codes
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    json!({
        "summary": {
            "successRate": s.success_rate,
            "total": s.duration_s,
            "slowest": s.latency.max_ms / 1000.0,
            "average": s.latency.mean_ms / 1000.0,
            "requestsPerSec": s.requests_per_sec,
        },
        "latencyPercentiles": secs(&s.latency),
        "statusCodeDistribution": status,
        "errorDistribution": s.error_kinds,
        "uncorrectedLatencyPercentiles": secs(&s.uncorrected),
        "scheduleLag": {
            "p50Ms": s.lag.p50_ms, "p99Ms": s.lag.p99_ms, "maxMs": s.lag.max_ms,
            "backlog": s.lag.backlog, "unsent": s.lag.unsent,
        },
        "saturatedWindows": s.saturated_windows,
        "verdict": verdict.as_str(),
        "verdictLine": line,
        // What was measured: information, so no verdict of its own.
        "summaryLine": crate::load::judge::summary_line(s),
        "evidence": evidence,
        "thresholds": thresholds,
        "baseline": comparison,
        "savedBaseline": saved_baseline,
        "flightdeck": s,
    })
}

pub(super) fn text_report(
    s: &Summary,
    line: &str,
    evidence: &[Evidence],
    saved: Option<&str>,
) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Summary ({} model{})",
        s.model,
        s.stopped_early
            .as_ref()
            .map(|r| format!(", stopped early: {r}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "  Requests:      {} in {:.2}s, {:.1} req/s (target {:.1}/s)",
        s.requests, s.duration_s, s.requests_per_sec, s.target_rps
    );
    let _ = writeln!(o, "  Success rate:  {:.2}%", s.success_rate * 100.0);
    let p = |o: &mut String, name: &str, x: &Percentiles| {
        let _ = writeln!(
            o,
            "  {name:<14} p50 {:.2}ms  p90 {:.2}ms  p95 {:.2}ms  p99 {:.2}ms  p99.9 {:.2}ms  max {:.2}ms",
            x.p50_ms, x.p90_ms, x.p95_ms, x.p99_ms, x.p999_ms, x.max_ms
        );
    };
    p(&mut o, "Latency:", &s.latency);
    p(&mut o, "Uncorrected:", &s.uncorrected);
    if s.model == LoadModel::Open {
        let _ = writeln!(
            o,
            "  Schedule lag:  p50 {:.2}ms  p99 {:.2}ms  max {:.2}ms  backlog {}  unsent {}  saturated windows {}/{}",
            s.lag.p50_ms,
            s.lag.p99_ms,
            s.lag.max_ms,
            s.lag.backlog,
            s.lag.unsent,
            s.saturated_windows,
            s.windows
        );
    }
    let codes: Vec<String> = s
        .status_codes
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let _ = writeln!(
        o,
        "  Status codes:  {}",
        if codes.is_empty() {
            "none".into()
        } else {
            codes.join(", ")
        }
    );
    if !s.error_kinds.is_empty() {
        let kinds: Vec<String> = s
            .error_kinds
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let _ = writeln!(o, "  Errors:        {}", kinds.join(", "));
    }
    if let Some(tls) = &s.tls_error {
        let _ = writeln!(o, "  TLS:           {tls}");
    }
    for e in &s.endpoints {
        let _ = writeln!(
            o,
            "  [{}] {} requests, {} errors, p50 {:.2}ms p95 {:.2}ms p99 {:.2}ms",
            e.name, e.requests, e.errors, e.latency.p50_ms, e.latency.p95_ms, e.latency.p99_ms
        );
    }
    for v in &s.variants {
        let _ = writeln!(
            o,
            "  variant {}: {} requests, {} errors, p95 {:.2}ms",
            v.variant, v.requests, v.errors, v.latency.p95_ms
        );
    }
    let _ = writeln!(o, "Evidence");
    for e in evidence {
        let _ = writeln!(o, "  {:<5} {}: {}", e.verdict.badge(), e.label, e.value);
    }
    if let Some(saved) = saved {
        let _ = writeln!(o, "Baseline saved: {saved}");
    }
    let _ = writeln!(o, "{line}");
    o
}
