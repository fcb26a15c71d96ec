//! The open model's rate profile and its arrival schedule.
//!
//! Every request of the open model has an intended send time computed here,
//! independently of how fast the target answers; latency is measured from
//! that time, so a slow target cannot hide its slowness by slowing the
//! generator down (no coordinated omission).

use std::f64::consts::TAU;

use super::config::RateStage;

/// One piece of a rate profile; serialised for engines that pace
/// themselves (the Locust locustfile), as `{"kind": "linear"|"sine", ...}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    Linear {
        start: f64,
        len: f64,
        from: f64,
        to: f64,
    },
    Sine {
        start: f64,
        len: f64,
        base: f64,
        amplitude: f64,
        period: f64,
    },
}

/// Target rate (requests/s) as a function of time since the start.
#[derive(Clone, Debug, PartialEq)]
pub struct RateProfile {
    segments: Vec<Segment>,
    duration: f64,
}

impl RateProfile {
    /// A constant rate for `duration_s`.
    pub fn constant(rate: f64, duration_s: f64) -> Self {
        RateProfile {
            segments: vec![Segment::Linear {
                start: 0.0,
                len: duration_s,
                from: rate,
                to: rate,
            }],
            duration: duration_s,
        }
    }

    /// Build from `load.rate` and `load.stages`. After the last stage the
    /// rate holds where it ended; `duration_s` cuts or extends the profile.
    pub fn from_stages(rate: Option<f64>, stages: &[RateStage], duration_s: f64) -> Self {
        if stages.is_empty() {
            return Self::constant(rate.unwrap_or(0.0), duration_s);
        }
        let mut segments = Vec::new();
        let mut t = 0.0;
        let mut current = rate.unwrap_or(0.0);
        for s in stages {
            let len = s.duration_s().max(0.0);
            match s {
                RateStage::Ramp { from, to, .. } => {
                    segments.push(Segment::Linear {
                        start: t,
                        len,
                        from: *from,
                        to: *to,
                    });
                    current = *to;
                }
                RateStage::Hold { .. } => segments.push(Segment::Linear {
                    start: t,
                    len,
                    from: current,
                    to: current,
                }),
                RateStage::Step { to, .. } => {
                    segments.push(Segment::Linear {
                        start: t,
                        len,
                        from: *to,
                        to: *to,
                    });
                    current = *to;
                }
                RateStage::Sine {
                    base,
                    amplitude,
                    period_s,
                    ..
                } => {
                    segments.push(Segment::Sine {
                        start: t,
                        len,
                        base: *base,
                        amplitude: *amplitude,
                        period: *period_s,
                    });
                    current = base + amplitude * (TAU * len / period_s).sin();
                }
            }
            t += len;
        }
        if duration_s > t {
            segments.push(Segment::Linear {
                start: t,
                len: duration_s - t,
                from: current,
                to: current,
            });
        }
        RateProfile {
            segments,
            duration: duration_s,
        }
    }

    /// The pieces of the profile, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Total length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.duration
    }

    /// The target rate at `t` seconds (zero outside the profile).
    pub fn rate_at(&self, t: f64) -> f64 {
        if t < 0.0 || t >= self.duration {
            return 0.0;
        }
        for s in &self.segments {
            match *s {
                Segment::Linear {
                    start,
                    len,
                    from,
                    to,
                } if t < start + len => {
                    let f = if len > 0.0 { (t - start) / len } else { 0.0 };
                    return (from + (to - from) * f).max(0.0);
                }
                Segment::Sine {
                    start,
                    len,
                    base,
                    amplitude,
                    period,
                } if t < start + len => {
                    return (base + amplitude * (TAU * (t - start) / period).sin()).max(0.0);
                }
                _ => {}
            }
        }
        0.0
    }

    /// The highest rate anywhere in the profile (sampled every 10 ms).
    pub fn peak_rate(&self) -> f64 {
        let n = (self.duration * 100.0).ceil() as usize;
        (0..=n)
            .map(|i| self.rate_at(i as f64 / 100.0))
            .fold(0.0, f64::max)
    }

    /// Expected number of arrivals between `a` and `b` seconds.
    pub fn expected_between(&self, a: f64, b: f64) -> f64 {
        let (a, b) = (a.max(0.0), b.min(self.duration));
        if b <= a {
            return 0.0;
        }
        let n = 200;
        let h = (b - a) / n as f64;
        (0..n)
            .map(|i| self.rate_at(a + (i as f64 + 0.5) * h) * h)
            .sum()
    }

    /// The intended send times, in seconds from the start.
    pub fn arrivals(&self) -> Arrivals<'_> {
        Arrivals {
            profile: self,
            t: 0.0,
            credit: 1.0,
        }
    }
}

/// Iterator over intended send times (seconds from the start).
pub struct Arrivals<'a> {
    profile: &'a RateProfile,
    t: f64,
    credit: f64,
}

impl Iterator for Arrivals<'_> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        // Integrate the rate in small steps: an arrival falls where the
        // accumulated expected count reaches one. The step cap keeps ramps
        // from zero and sine troughs exact enough.
        const MAX_STEP: f64 = 0.01;
        loop {
            if self.t >= self.profile.duration {
                return None;
            }
            let need = 1.0 - self.credit;
            if need <= 1e-9 {
                self.credit = 0.0;
                return Some(self.t);
            }
            let r = self.profile.rate_at(self.t);
            let h = if r > 0.0 {
                (need / r).min(MAX_STEP)
            } else {
                MAX_STEP
            };
            let rm = self.profile.rate_at(self.t + h / 2.0);
            let gain = rm * h;
            if self.credit + gain >= 1.0 - 1e-9 && rm > 0.0 {
                self.t += (need / rm).min(h);
                self.credit = 1.0;
            } else {
                self.credit += gain;
                self.t += h;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_rate_gives_evenly_spaced_arrivals() {
        let p = RateProfile::constant(100.0, 2.0);
        let a: Vec<f64> = p.arrivals().collect();
        assert!((199..=201).contains(&a.len()), "{}", a.len());
        assert!((a[1] - a[0] - 0.01).abs() < 1e-6);
    }

    #[test]
    fn ramp_from_zero_counts_the_area() {
        let stages = [RateStage::Ramp {
            from: 0.0,
            to: 100.0,
            duration_s: 2.0,
        }];
        let p = RateProfile::from_stages(None, &stages, 2.0);
        let n = p.arrivals().count() as f64;
        assert!((n - 100.0).abs() <= 2.0, "{n}");
        assert!(p.arrivals().take(10).all(|t| t < 1.0));
        assert!((p.expected_between(1.0, 2.0) - 75.0).abs() < 0.5);
    }

    #[test]
    fn stages_chain_and_hold_the_last_rate() {
        let stages = [
            RateStage::Step {
                to: 50.0,
                duration_s: 1.0,
            },
            RateStage::Hold { duration_s: 1.0 },
            RateStage::Sine {
                base: 100.0,
                amplitude: 50.0,
                period_s: 4.0,
                duration_s: 4.0,
            },
        ];
        let p = RateProfile::from_stages(Some(10.0), &stages, 7.0);
        assert_eq!(p.rate_at(0.5), 50.0);
        assert_eq!(p.rate_at(1.5), 50.0);
        assert!((p.rate_at(3.0) - 150.0).abs() < 1e-6);
        assert!(
            (p.rate_at(6.5) - 100.0).abs() < 1e-6,
            "holds the sine's end value"
        );
        assert!((p.peak_rate() - 150.0).abs() < 1.0);
        assert_eq!(p.rate_at(7.0), 0.0);
    }
}
