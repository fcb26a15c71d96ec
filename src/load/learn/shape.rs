//! The timing of production traffic: requests per minute over the day, the
//! peak minute, the burstiness within it, and the busiest hour as a rate
//! profile.
//!
//! Memory grows with the time span covered (one counter per second seen),
//! never with the number of lines.

use std::collections::HashMap;

use serde::Serialize;

use crate::load::config::RateStage;

/// Per-second counts, filled while reading.
#[derive(Debug, Default)]
pub struct Timing {
    per_second: HashMap<i64, u32>,
}

/// What the timing says, once the logs are read.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Shape {
    /// Requests per minute for each minute of the day (UTC, 1440 entries),
    /// averaged over the days the logs cover; empty without timestamps.
    pub daily_rpm: Vec<f64>,
    /// Start of the busiest minute (RFC 3339, UTC).
    pub peak_minute: Option<String>,
    /// Requests in the busiest minute.
    pub peak_minute_requests: u64,
    /// Mean rate in the busiest minute, requests per second.
    pub peak_rps: f64,
    /// Busiest second of the busiest minute over its mean second.
    pub burstiness: f64,
    /// Start of the busiest 60 minutes (RFC 3339, UTC).
    pub peak_hour: Option<String>,
    /// Requests per minute in the busiest hour, in order.
    pub peak_hour_rpm: Vec<u64>,
    /// Days (whole or partial) the logs cover.
    pub days: u32,
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl Timing {
    /// Count one request at `ts`.
    pub fn add(&mut self, ts: i64) {
        *self.per_second.entry(ts).or_insert(0) += 1;
    }

    /// Merge another reader's counts.
    pub fn merge(&mut self, other: Timing) {
        for (k, v) in other.per_second {
            *self.per_second.entry(k).or_insert(0) += v;
        }
    }

    /// The shape of what was counted.
    pub fn shape(&self) -> Shape {
        if self.per_second.is_empty() {
            return Shape::default();
        }
        let mut per_minute: HashMap<i64, u64> = HashMap::new();
        for (s, n) in &self.per_second {
            *per_minute.entry(s.div_euclid(60)).or_insert(0) += u64::from(*n);
        }
        let mut days: Vec<i64> = per_minute.keys().map(|m| m.div_euclid(1440)).collect();
        days.sort_unstable();
        days.dedup();
        let mut daily = vec![0.0; 1440];
        for (m, n) in &per_minute {
            daily[m.rem_euclid(1440) as usize] += *n as f64;
        }
        for d in &mut daily {
            *d /= days.len().max(1) as f64;
        }
        // The earliest of equally busy minutes, so the result is stable.
        let (&peak, &peak_n) = per_minute
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .unwrap_or((&0, &0));
        let seconds: Vec<u32> = (0..60)
            .map(|i| self.per_second.get(&(peak * 60 + i)).copied().unwrap_or(0))
            .collect();
        let mean = peak_n as f64 / 60.0;
        let burstiness = if mean > 0.0 {
            f64::from(seconds.iter().copied().max().unwrap_or(0)) / mean
        } else {
            0.0
        };
        let (first, last) = (
            per_minute.keys().min().copied().unwrap_or(0),
            per_minute.keys().max().copied().unwrap_or(0),
        );
        let rpm = |m: i64| per_minute.get(&m).copied().unwrap_or(0);
        // Sliding 60-minute sum over the span (bounded by the span, not lines).
        let mut best = (first, 0u64);
        let mut sum: u64 = (first..first + 60).map(rpm).sum();
        best.1 = sum;
        for start in first + 1..=last.max(first) {
            sum = sum + rpm(start + 59) - rpm(start - 1);
            if sum > best.1 {
                best = (start, sum);
            }
        }
        let hour_end = (best.0 + 60).min(last + 1);
        Shape {
            daily_rpm: daily,
            peak_minute: Some(rfc3339(peak * 60)),
            peak_minute_requests: peak_n,
            peak_rps: mean,
            burstiness,
            peak_hour: Some(rfc3339(best.0 * 60)),
            peak_hour_rpm: (best.0..hour_end).map(rpm).collect(),
            days: days.len() as u32,
        }
    }
}

/// The busiest hour as open-model stages: one `step` per minute, each held
/// `stage_s` seconds, scaled so that the hour's busiest minute reaches
/// `target_rps` (or replayed at the production rate without a target).
pub fn peak_hour_stages(shape: &Shape, target_rps: Option<f64>, stage_s: f64) -> Vec<RateStage> {
    let peak = shape.peak_hour_rpm.iter().copied().max().unwrap_or(0) as f64 / 60.0;
    if peak <= 0.0 {
        return Vec::new();
    }
    let scale = target_rps.map_or(1.0, |t| t / peak);
    shape
        .peak_hour_rpm
        .iter()
        .map(|n| RateStage::Step {
            to: ((*n as f64 / 60.0) * scale * 100.0).round() / 100.0,
            duration_s: stage_s,
        })
        .collect()
}

/// A 24-character sparkline of the daily shape (one character per hour).
pub fn sparkline(daily_rpm: &[f64]) -> String {
    if daily_rpm.len() != 1440 {
        return String::new();
    }
    let hours: Vec<f64> = daily_rpm.chunks(60).map(|c| c.iter().sum()).collect();
    let max = hours.iter().copied().fold(0.0, f64::max);
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    hours
        .iter()
        .map(|h| {
            if max <= 0.0 {
                BARS[0]
            } else {
                BARS[((h / max) * 7.0).round() as usize]
            }
        })
        .collect()
}
