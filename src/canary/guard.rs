//! The live guard: between judgements, roll back at once when the canary is
//! plainly broken (error rate or p99 above a limit for N consecutive windows).

use serde::{Deserialize, Serialize};

pub use crate::core::canary::GuardStatus;
use crate::core::load::Window;

/// Live guard settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveGuard {
    /// Whether the guard runs. Default true.
    pub enabled: bool,
    /// A window breaches when the canary's error rate exceeds this. Default 0.05.
    pub max_error_rate: f64,
    /// A window also breaches when the canary's p99 exceeds this (ms). Default none.
    pub max_p99_ms: Option<f64>,
    /// Consecutive breaching windows that trip the guard. Default 3.
    pub consecutive_windows: u32,
    /// Windows with fewer canary requests are skipped: they neither breach nor
    /// break a streak. Default 1.
    pub min_requests: u64,
}

impl Default for LiveGuard {
    fn default() -> Self {
        LiveGuard {
            enabled: true,
            max_error_rate: 0.05,
            max_p99_ms: None,
            consecutive_windows: 3,
            min_requests: 1,
        }
    }
}

/// Evaluate the guard over `windows` (oldest first) for the `canary` variant.
pub fn evaluate_guard(guard: &LiveGuard, windows: &[Window], canary: &str) -> GuardStatus {
    let need = guard.consecutive_windows.max(1);
    let mut status = GuardStatus {
        tripped: false,
        consecutive: 0,
        remaining: need,
        last_error_rate: None,
        last_p99_ms: None,
        reason: None,
    };
    if !guard.enabled {
        return status;
    }
    let mut first = true;
    for w in windows.iter().rev() {
        let Some(v) = w
            .variants
            .iter()
            .find(|v| v.variant == canary && v.requests >= guard.min_requests.max(1))
        else {
            continue;
        };
        let rate = v.errors as f64 / v.requests as f64;
        let mut why = Vec::new();
        if rate > guard.max_error_rate {
            why.push(format!(
                "error rate {:.1}% > {:.1}%",
                rate * 100.0,
                guard.max_error_rate * 100.0
            ));
        }
        if let Some(max) = guard.max_p99_ms.filter(|m| v.p99_ms > *m) {
            why.push(format!("p99 {:.1} ms > {max:.1} ms", v.p99_ms));
        }
        if first {
            status.last_error_rate = Some(rate);
            status.last_p99_ms = Some(v.p99_ms);
            if !why.is_empty() {
                status.reason = Some(format!("second {}: {}", w.second, why.join(", ")));
            }
            first = false;
        }
        if why.is_empty() {
            break;
        }
        status.consecutive += 1;
        if status.consecutive >= need {
            break;
        }
    }
    status.tripped = status.consecutive >= need;
    status.remaining = need.saturating_sub(status.consecutive);
    if let (true, Some(r)) = (status.tripped, &status.reason) {
        status.reason = Some(format!("{r} for {need} consecutive windows"));
    }
    status
}
