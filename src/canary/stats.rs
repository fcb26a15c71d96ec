//! Rank statistics for the canary judge: the Mann-Whitney U test (normal
//! approximation, tie-corrected, with continuity correction) and the
//! Hodges-Lehmann shift estimate with its distribution-free confidence
//! interval (as R's `wilcox.test(conf.int = TRUE)` and Kayenta compute it).

use crate::core::stats::{normal_cdf, normal_quantile};

/// Median of a non-empty slice (NaN-free).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Mean of a slice.
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Result of comparing `canary` with `baseline`.
#[derive(Clone, Debug, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the canary sample.
    pub u: f64,
    /// Standardised statistic (positive: canary tends to be larger).
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Hodges-Lehmann estimate of the shift canary - baseline.
    pub estimate: f64,
    /// Confidence interval for the shift, low end.
    pub ci_low: f64,
    /// Confidence interval for the shift, high end.
    pub ci_high: f64,
}

/// Mann-Whitney U test and Hodges-Lehmann interval at `confidence` (e.g.
/// 0.98). Both samples must be non-empty and NaN-free.
pub fn mann_whitney(baseline: &[f64], canary: &[f64], confidence: f64) -> MannWhitney {
    let n1 = baseline.len() as f64;
    let n2 = canary.len() as f64;
    let mut all: Vec<(f64, bool)> = baseline
        .iter()
        .map(|v| (*v, false))
        .chain(canary.iter().map(|v| (*v, true)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    let mut rank_sum_canary = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_canary += all[i..=j].iter().filter(|x| x.1).count() as f64 * avg_rank;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let nn = n1 + n2;
    let u = rank_sum_canary - n2 * (n2 + 1.0) / 2.0;
    let mu = n1 * n2 / 2.0;
    let var = n1 * n2 / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0)));
    let (z, p_value) = if var > 0.0 {
        let d = u - mu;
        let corrected = d - 0.5 * d.signum();
        let z = corrected / var.sqrt();
        (z, (2.0 * (1.0 - normal_cdf(z.abs()))).min(1.0))
    } else {
        (0.0, 1.0)
    };

    let mut diffs: Vec<f64> = Vec::with_capacity(baseline.len() * canary.len());
    for c in canary {
        for b in baseline {
            diffs.push(c - b);
        }
    }
    diffs.sort_by(f64::total_cmp);
    let m = diffs.len();
    let estimate = median(&diffs);
    let zq = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    let k = (mu - zq * var.max(0.0).sqrt()).floor();
    let k = if k < 0.0 {
        0
    } else {
        (k as usize).min((m - 1) / 2)
    };
    MannWhitney {
        u,
        z,
        p_value,
        estimate,
        ci_low: diffs[k],
        ci_high: diffs[m - 1 - k],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_functions_match_tables() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!((normal_quantile(0.99) - 2.326_348).abs() < 1e-5);
        assert!((normal_quantile(0.01) + 2.326_348).abs() < 1e-5);
    }

    /// Worked by hand: canary 2..=11 against baseline 1..=10. U = sum over canary
    /// values of (baseline values below) + 0.5 x (ties) = 45 + 4.5 + 10 = 59.5.
    /// Nine tied pairs: var = 100/12 x (21 - 54/380) = 173.82; z = (9.5 - 0.5)
    /// / 13.184 = 0.6826; p = 2 x (1 - Phi(0.6826)) = 0.4948 (the formula of
    /// R's wilcox.test(exact = FALSE, correct = TRUE)).
    #[test]
    fn u_and_p_with_ties() {
        let b: Vec<f64> = (1..=10).map(f64::from).collect();
        let c: Vec<f64> = (2..=11).map(f64::from).collect();
        let r = mann_whitney(&b, &c, 0.95);
        assert_eq!(r.u, 59.5);
        assert!((r.p_value - 0.4948).abs() < 1e-3, "{}", r.p_value);
        assert_eq!(r.estimate, 1.0);
        assert!(r.ci_low < 1.0 && r.ci_high > 1.0);
    }

    #[test]
    fn clear_shift_is_significant() {
        let b: Vec<f64> = (0..30).map(|i| 100.0 + f64::from(i % 7)).collect();
        let c: Vec<f64> = (0..30).map(|i| 150.0 + f64::from(i % 7)).collect();
        let r = mann_whitney(&b, &c, 0.98);
        assert!(r.p_value < 1e-6);
        assert_eq!(r.estimate, 50.0);
        assert!(r.ci_low > 45.0 && r.ci_high < 55.0, "{r:?}");
    }
}
