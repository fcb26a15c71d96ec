//! A/A calibration: how much two runs of the same scenario against the
//! same target differ, and the smallest regression the baseline
//! comparison can see with this setup.
//!
//! Two sides, A and B: two runs back to back ([`CalibrationMethod::TwoRuns`])
//! or the halves of one run ([`CalibrationMethod::SplitHalves`]). Per scope
//! (all traffic and each endpoint) the noise is the run-to-run difference of
//! the median per-window p50, p95 and p99, and of the error rate. The
//! detectable regression is found by bootstrap over the per-second windows:
//! resample each side's window p95s, multiply one side by `1 + d`, and run
//! the baseline comparison's own test (one-sided Mann-Whitney at `alpha`);
//! both directions (A as baseline, then B) are used, so the run-to-run shift
//! between A and B counts as noise, and the resamples are mildly smoothed
//! (few windows would otherwise tie). The smallest `d` detected in at least
//! 80% of the resamples is the threshold. Deterministic: a fixed seed.

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::baseline::{MIN_WINDOWS_FOR_TEST, mann_whitney_greater};
use super::config::LoadConfig;
use super::error::LoadError;
use super::plan::LoadPlan;
use crate::core::history::{CalibrationMethod, NoiseCalibration};
use crate::core::load::{Summary, Window};
use crate::load::LoadUpdate;

/// The power asked of a detectable regression.
pub const POWER: f64 = 0.8;
/// Bootstrap resamples per tried regression size.
pub const RESAMPLES: usize = 400;
/// The largest regression tried (1000%); beyond it the setup is blind.
pub const MAX_DETECTABLE: f64 = 10.0;

/// A tiny deterministic generator (splitmix64): enough for resampling, and
/// the same numbers on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// One scope's per-window figures on one side.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// p50 per window with requests.
    pub p50: Vec<f64>,
    /// p95 per window with requests.
    pub p95: Vec<f64>,
    /// p99 per window with requests.
    pub p99: Vec<f64>,
    /// Requests over the side.
    pub requests: u64,
    /// Errors over the side.
    pub errors: u64,
}

/// The per-window series of a scope (`all` or an endpoint name).
pub fn series(windows: &[Window], scope: &str) -> Series {
    let mut s = Series::default();
    for w in windows {
        let (req, err, p50, p95, p99) = if scope == "all" {
            (w.requests, w.errors, w.p50_ms, w.p95_ms, w.p99_ms)
        } else {
            match w.endpoints.iter().find(|e| e.name == scope) {
                Some(e) => (e.requests, e.errors, e.p50_ms, e.p95_ms, e.p99_ms),
                None => continue,
            }
        };
        if req == 0 {
            continue;
        }
        s.requests += req;
        s.errors += err;
        s.p50.push(p50);
        s.p95.push(p95);
        s.p99.push(p99);
    }
    s
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    crate::core::stats::median_sorted(&v)
}

fn diff_pct(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (median(a), median(b));
    if ma > 0.0 {
        ((mb - ma) / ma * 100.0).abs()
    } else {
        0.0
    }
}

/// A standard normal draw (Box-Muller).
fn gauss(rng: &mut Rng) -> f64 {
    let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Relative standard deviation of a side (0 for fewer than two values).
fn rel_sd(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if v.len() < 2 {
        return 0.0;
    }
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    if mean > 0.0 { var.sqrt() / mean } else { 0.0 }
}

/// Smoothing of the bootstrap, in units of Silverman's bandwidth: a few
/// windows resampled as they are give ties and too little spread; a mild
/// kernel (tuned on simulated normal windows: the threshold then lands at
/// or just above the test's true 80%-power shift) fixes both.
const SMOOTHING: f64 = 0.5;

/// One smoothed bootstrap resample of a side, raised by `d`.
fn resample(side: &[f64], d: f64, rng: &mut Rng, out: &mut Vec<f64>) {
    let h = SMOOTHING * rel_sd(side) * (side.len() as f64).powf(-0.2);
    out.clear();
    for _ in 0..side.len() {
        let x = side[rng.below(side.len())];
        out.push(x * (1.0 + h * gauss(rng)) * (1.0 + d));
    }
}

/// The share of resamples in which the comparison's test detects `current`
/// raised by `d` (a fraction) over `base`, in both directions.
pub fn power_at(a: &[f64], b: &[f64], d: f64, alpha: f64, rng: &mut Rng) -> f64 {
    let mut hits = 0usize;
    let (mut base, mut cur) = (Vec::new(), Vec::new());
    for t in 0..RESAMPLES {
        let (bs, cs) = if t % 2 == 0 { (a, b) } else { (b, a) };
        resample(bs, 0.0, rng, &mut base);
        resample(cs, d, rng, &mut cur);
        if mann_whitney_greater(&cur, &base) < alpha {
            hits += 1;
        }
    }
    hits as f64 / RESAMPLES as f64
}

/// What the bootstrap found for one scope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detectable {
    /// The smallest relative rise detected with [`POWER`], percent
    /// (`MAX_DETECTABLE * 100` when even that is not).
    pub pct: f64,
    /// How often the test fired with no regression at all (A/A), percent:
    /// near `alpha` when the two sides agree.
    pub false_alarm_pct: f64,
}

/// The smallest regression of the p95 series detectable with [`POWER`] at
/// `alpha`. Each tried size reuses the same random numbers, so the power
/// rises with the size and bisection finds the threshold.
pub fn detectable(a: &[f64], b: &[f64], alpha: f64, seed: u64) -> Detectable {
    let at = |d: f64| power_at(a, b, d, alpha, &mut Rng::new(seed));
    let false_alarm_pct = at(0.0) * 100.0;
    let mut hi = 0.01;
    while at(hi) < POWER {
        hi *= 2.0;
        if hi > MAX_DETECTABLE {
            return Detectable {
                pct: MAX_DETECTABLE * 100.0,
                false_alarm_pct,
            };
        }
    }
    let mut lo = if hi > 0.01 { hi / 2.0 } else { 0.0 };
    for _ in 0..12 {
        let mid = (lo + hi) / 2.0;
        if at(mid) >= POWER {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Detectable {
        pct: (hi * 1000.0).round() / 10.0,
        false_alarm_pct,
    }
}

/// One scope's calibration, with the bootstrap's A/A false-alarm rate.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeCalibration {
    /// What is stored.
    pub calibration: NoiseCalibration,
    /// How often the test fired between the two A sides, percent.
    pub false_alarm_pct: f64,
}

/// Calibrate every scope seen on both sides (all traffic first). Scopes
/// with fewer than [`MIN_WINDOWS_FOR_TEST`] windows on a side are left out
/// (the comparison would not test them either).
#[allow(clippy::too_many_arguments)]
pub fn calibrate(
    service: &str,
    scenario: &str,
    method: CalibrationMethod,
    a: &[Window],
    b: &[Window],
    duration_s: f64,
    alpha: f64,
    seed: u64,
) -> Vec<ScopeCalibration> {
    let mut scopes = vec!["all".to_string()];
    for w in a.iter().chain(b) {
        for e in &w.endpoints {
            if !scopes.contains(&e.name) {
                scopes.push(e.name.clone());
            }
        }
    }
    let now = Utc::now();
    let mut out = Vec::new();
    for scope in scopes {
        let (sa, sb) = (series(a, &scope), series(b, &scope));
        let n = sa.p95.len().min(sb.p95.len());
        if n < MIN_WINDOWS_FOR_TEST {
            continue;
        }
        let rate = |s: &Series| {
            if s.requests > 0 {
                s.errors as f64 * 100.0 / s.requests as f64
            } else {
                0.0
            }
        };
        let d = detectable(&sa.p95, &sb.p95, alpha, seed);
        out.push(ScopeCalibration {
            calibration: NoiseCalibration {
                service: service.to_string(),
                scenario: scenario.to_string(),
                endpoint: scope,
                recorded_at: now,
                method,
                duration_s,
                windows: n as u32,
                alpha,
                power: POWER,
                p50_noise_pct: round1(diff_pct(&sa.p50, &sb.p50)),
                p95_noise_pct: round1(diff_pct(&sa.p95, &sb.p95)),
                p99_noise_pct: round1(diff_pct(&sa.p99, &sb.p99)),
                error_rate_noise_pct: (rate(&sb) - rate(&sa)).abs(),
                detectable_pct: d.pct,
            },
            false_alarm_pct: d.false_alarm_pct,
        });
    }
    out
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The two halves of one run's windows (an odd window goes to neither).
pub fn split(windows: &[Window]) -> (Vec<Window>, Vec<Window>) {
    let half = windows.len() / 2;
    let a = windows[..half].to_vec();
    let b = windows[windows.len() - half..].to_vec();
    (a, b)
}

/// Run the configured load once: its summary and its windows.
pub async fn run_collect(
    cfg: &LoadConfig,
    cancel: CancellationToken,
) -> Result<(Summary, Vec<Window>), LoadError> {
    let plan = LoadPlan::from_config(cfg)?;
    let mut windows = Vec::new();
    let summary = crate::load::run(plan, cancel, |u| {
        if let LoadUpdate::Window(w) = u {
            windows.push(w);
        }
    })
    .await?;
    Ok((summary, windows))
}

/// Run the configured load once and return its windows.
pub async fn run_once(
    cfg: &LoadConfig,
    cancel: CancellationToken,
) -> Result<Vec<Window>, LoadError> {
    Ok(run_collect(cfg, cancel).await?.1)
}

/// The two sides: two runs back to back, or one run split in halves.
pub async fn sides(
    cfg: &LoadConfig,
    method: CalibrationMethod,
    cancel: CancellationToken,
) -> Result<(Vec<Window>, Vec<Window>), LoadError> {
    match method {
        CalibrationMethod::TwoRuns => {
            let a = run_once(cfg, cancel.clone()).await?;
            let b = run_once(cfg, cancel).await?;
            Ok((a, b))
        }
        CalibrationMethod::SplitHalves => Ok(split(&run_once(cfg, cancel).await?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(n: usize, level: f64, rng: &mut Rng) -> Vec<f64> {
        (0..n)
            .map(|_| level * (1.0 + (rng.below(1000) as f64 / 1000.0 - 0.5) * 0.2))
            .collect()
    }

    #[test]
    fn more_noise_means_a_larger_detectable_regression() {
        let mut rng = Rng::new(7);
        let (a, b) = (noisy(20, 40.0, &mut rng), noisy(20, 40.0, &mut rng));
        let quiet = detectable(&a, &b, 0.05, 1);
        let wide: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, x)| x * if i % 2 == 0 { 1.5 } else { 0.7 })
            .collect();
        let loud = detectable(&wide, &b, 0.05, 1);
        assert!(quiet.pct > 0.0 && quiet.pct < 20.0, "{quiet:?}");
        assert!(loud.pct > quiet.pct * 1.5, "{quiet:?} vs {loud:?}");
        // Same inputs, same answer.
        assert_eq!(detectable(&a, &b, 0.05, 1), quiet);
    }

    #[test]
    fn a_shift_between_the_two_sides_counts_as_noise() {
        let mut rng = Rng::new(9);
        let a = noisy(15, 40.0, &mut rng);
        let same = detectable(&a, &noisy(15, 40.0, &mut rng), 0.05, 3);
        let shifted = detectable(&a, &noisy(15, 46.0, &mut rng), 0.05, 3);
        assert!(shifted.pct > same.pct, "{same:?} vs {shifted:?}");
    }

    #[test]
    fn halves_split_evenly() {
        let w: Vec<Window> = (0..7)
            .map(|i| Window {
                second: i,
                ..Window::default()
            })
            .collect();
        let (a, b) = split(&w);
        assert_eq!(a.iter().map(|w| w.second).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(b.iter().map(|w| w.second).collect::<Vec<_>>(), [4, 5, 6]);
    }
}
