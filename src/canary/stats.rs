//! Rank statistics for the canary judge: the Mann-Whitney U test (normal
//! approximation, tie-corrected, with continuity correction) and the
//! Hodges-Lehmann shift estimate with its distribution-free confidence
//! interval (as R's `wilcox.test(conf.int = TRUE)` and Kayenta compute it).

/// Standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes `erfcc`, Chebyshev fit,
/// relative error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Standard normal quantile (Acklam's rational approximation, then one Halley
/// step against [`normal_cdf`]). `p` must be in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let plow = 0.02425;
    let x = if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

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
