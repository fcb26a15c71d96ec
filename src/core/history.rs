//! What history tells a run, as journal data: the score trend of recent
//! releases, each load endpoint's p95 trend, the release's risk (from
//! history and the change), and the production outcomes recorded after a
//! release went out. The store that produces them lives in `crate::history`;
//! these are the payloads its events carry, so the TUI, the reports and a
//! replay read the same numbers the run saw.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::format::trim_num;
use crate::core::gate::Outcome;

/// What happened after a release went to production.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductionResult {
    /// It went out and stayed out without trouble.
    Success,
    /// It was rolled back.
    RolledBack,
    /// It caused an incident.
    Incident,
}

impl ProductionResult {
    /// The name as written on the command line and in CSV files.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductionResult::Success => "success",
            ProductionResult::RolledBack => "rolled-back",
            ProductionResult::Incident => "incident",
        }
    }

    /// Read a result as written on the command line or in a CSV file
    /// (`rolled-back` and `rolled_back` both work).
    pub fn parse(text: &str) -> Option<ProductionResult> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "success" => Some(ProductionResult::Success),
            "rolled-back" | "rollback" => Some(ProductionResult::RolledBack),
            "incident" => Some(ProductionResult::Incident),
            _ => None,
        }
    }

    /// A rollback or an incident: the release did not hold in production.
    pub fn is_bad(self) -> bool {
        !matches!(self, ProductionResult::Success)
    }
}

/// Where a recorded outcome came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeSource {
    /// `flightdeck outcome RUN --result ...`.
    #[default]
    Cli,
    /// A CSV file of releases (`flightdeck outcome --csv FILE`).
    Csv,
}

/// A production outcome, recorded after the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductionOutcome {
    /// What happened.
    pub result: ProductionResult,
    /// Incident severity as the team names it (`sev1`, `minor`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Minutes until service was restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_minutes: Option<f64>,
    /// A short note (no secrets, no personal data: it lands in reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How it was recorded.
    #[serde(default)]
    pub source: OutcomeSource,
}

impl ProductionOutcome {
    /// In words: `incident (sev2, restored in 45 min): note`.
    pub fn text(&self) -> String {
        let mut extra = Vec::new();
        if let Some(s) = &self.severity {
            extra.push(s.clone());
        }
        if let Some(m) = self.restore_minutes {
            extra.push(format!("restored in {} min", trim_num(m)));
        }
        let mut text = self.result.as_str().to_string();
        if !extra.is_empty() {
            text.push_str(&format!(" ({})", extra.join(", ")));
        }
        if let Some(n) = &self.note {
            text.push_str(&format!(": {n}"));
        }
        text
    }
}

/// One earlier run of the same service, as the score trend shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScorePoint {
    /// Run id.
    pub run_id: String,
    /// Release validated.
    pub release: String,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// The gate's score.
    pub score: f64,
    /// The gate's decision.
    pub outcome: Outcome,
    /// What happened in production, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<ProductionResult>,
}

/// One value of a per-run series (a p95, a score), oldest first in a trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// Run id.
    pub run_id: String,
    /// Release validated.
    pub release: String,
    /// The value.
    pub value: f64,
}

/// An endpoint's whole-run p95 over earlier runs, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointTrend {
    /// Endpoint name (`all` for all traffic).
    pub endpoint: String,
    /// p95 per earlier run, milliseconds.
    pub points: Vec<TrendPoint>,
}

/// How risky a release looks before it is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Below the medium mark.
    Low,
    /// Between the medium and the high marks.
    Medium,
    /// At or above the high mark.
    High,
}

impl RiskLevel {
    /// Text badge.
    pub fn badge(self) -> &'static str {
        match self {
            RiskLevel::Low => "LOW",
            RiskLevel::Medium => "MEDIUM",
            RiskLevel::High => "HIGH",
        }
    }
}

/// One part of the risk score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFactor {
    /// Recent releases of this service that were NO-GO or went badly.
    RecentFailures,
    /// Outcomes after earlier releases that touched the same paths.
    PathOutcomes,
    /// The size of the change.
    ChangeSize,
}

impl RiskFactor {
    /// Short name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskFactor::RecentFailures => "recent failures",
            RiskFactor::PathOutcomes => "same paths",
            RiskFactor::ChangeSize => "change size",
        }
    }
}

/// One part of the risk score with the numbers behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskPart {
    /// Which part.
    pub factor: RiskFactor,
    /// Points this part adds.
    pub points: f64,
    /// The most it can add.
    pub max_points: f64,
    /// How many earlier runs (or changed lines) it rests on.
    pub sample: u64,
    /// The numbers in words: `3 of 10 recent runs were NO-GO or went badly`.
    pub detail: String,
}

/// The release's risk: parts that add up to a score from 0 to 100.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskAssessment {
    /// The sum of the parts, 0..=100.
    pub score: f64,
    /// Its band.
    pub level: RiskLevel,
    /// Every part, with its numbers.
    pub parts: Vec<RiskPart>,
    /// Config asks for a sign-off when the risk is high, and it is.
    #[serde(default)]
    pub requires_signoff: bool,
}

/// How an A/A calibration got its two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMethod {
    /// The same scenario twice, back to back, against the same target.
    TwoRuns,
    /// One run split into its first and second half.
    SplitHalves,
}

impl CalibrationMethod {
    /// The name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CalibrationMethod::TwoRuns => "two_runs",
            CalibrationMethod::SplitHalves => "split_halves",
        }
    }
}

/// What an A/A calibration found for one scope of one load scenario: how
/// much two runs of the same thing differ, and the smallest regression the
/// baseline comparison's test can see with this setup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseCalibration {
    /// Service.
    pub service: String,
    /// Load scenario (`load.baseline.scenario`).
    pub scenario: String,
    /// `all` or the endpoint name.
    pub endpoint: String,
    /// When it was measured.
    pub recorded_at: DateTime<Utc>,
    /// How the two sides were made.
    pub method: CalibrationMethod,
    /// Seconds of load per side.
    pub duration_s: f64,
    /// One-second windows per side (the fewer of the two).
    pub windows: u32,
    /// The comparison test's significance level.
    pub alpha: f64,
    /// The power asked of the detectable regression.
    pub power: f64,
    /// Run-to-run difference of the median per-window p50, percent.
    pub p50_noise_pct: f64,
    /// ...of p95, percent.
    pub p95_noise_pct: f64,
    /// ...of p99, percent.
    pub p99_noise_pct: f64,
    /// Run-to-run difference of the error rate, percentage points.
    pub error_rate_noise_pct: f64,
    /// The smallest relative p95 rise the comparison detects with `power`
    /// at `alpha` for this duration, percent.
    pub detectable_pct: f64,
}

/// What history hands a run at its start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryContext {
    /// Earlier runs of this service, oldest first (at most `history.trend_runs`).
    pub scores: Vec<ScorePoint>,
    /// Per load endpoint, its p95 over those runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub p95: Vec<EndpointTrend>,
    /// Per load stage that ran a capacity search, its sustainable rate
    /// (requests per second) over those runs (`endpoint` names the stage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity: Vec<EndpointTrend>,
    /// The release's risk, when history could assess it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskAssessment>,
    /// A p95 this many percent above its trend's median (and beyond the
    /// trend's own spread) is a regression against the trend.
    #[serde(default = "default_tolerance")]
    pub tolerance_pct: f64,
    /// The latest A/A calibration of each load scenario and scope of this
    /// service: the baseline comparison will not call a regression below
    /// what the setup can detect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibrations: Vec<NoiseCalibration>,
}

fn default_tolerance() -> f64 {
    10.0
}

impl RiskAssessment {
    /// `42 MEDIUM (recent failures 12, same paths 20, change size 10)`.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| format!("{} {}", p.factor.as_str(), trim_num(p.points)))
            .collect();
        format!(
            "{} {} ({})",
            trim_num(self.score),
            self.level.badge(),
            parts.join(", ")
        )
    }
}

impl HistoryContext {
    /// The narrative line: how many earlier runs, the score trend, the risk.
    pub fn summary_line(&self) -> String {
        let n = self.scores.len();
        let mut text = format!(
            "history: {n} earlier run{} of this service",
            if n == 1 { "" } else { "s" }
        );
        if n > 0 {
            let scores: Vec<f64> = self.scores.iter().map(|p| p.score).collect();
            text.push_str(&format!(", scores {}", sparkline(&scores, false)));
        }
        if let Some(r) = &self.risk {
            text.push_str(&format!("; risk {}", r.text()));
            if r.requires_signoff {
                text.push_str("; a sign-off is required");
            }
        }
        text
    }
}

impl Default for HistoryContext {
    fn default() -> Self {
        HistoryContext {
            scores: Vec::new(),
            p95: Vec::new(),
            capacity: Vec::new(),
            risk: None,
            tolerance_pct: default_tolerance(),
            calibrations: Vec::new(),
        }
    }
}

/// A value judged against its trend: how far it is from the trend's
/// median, and whether that is a regression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrendCheck {
    /// Median of the trend.
    pub median: f64,
    /// Relative change of the value from the median, percent.
    pub change_pct: f64,
    /// The value is above the trend by more than the tolerance and more
    /// than the trend's own spread.
    pub regressed: bool,
}

/// Fewest earlier runs a trend needs before a value is judged against it.
pub const MIN_TREND_POINTS: usize = 3;

/// Judge `value` against earlier values (higher is worse): a regression
/// when it is above the median by more than `tolerance_pct` percent and by
/// more than the trend's largest distance from its median (its own spread),
/// so that a noisy series does not flag its usual swings. `None` with fewer
/// than [`MIN_TREND_POINTS`] earlier values.
pub fn check_against_trend(earlier: &[f64], value: f64, tolerance_pct: f64) -> Option<TrendCheck> {
    let (median, spread, change_pct) = against(earlier, value)?;
    let regressed = median > 0.0 && change_pct > tolerance_pct && value - median > spread;
    Some(TrendCheck {
        median,
        change_pct,
        regressed,
    })
}

/// The same judgement where lower is worse (a sustainable capacity): a
/// regression when `value` is below the median by more than
/// `tolerance_pct` percent and by more than the trend's own spread.
pub fn check_below_trend(earlier: &[f64], value: f64, tolerance_pct: f64) -> Option<TrendCheck> {
    let (median, spread, change_pct) = against(earlier, value)?;
    let regressed = median > 0.0 && -change_pct > tolerance_pct && median - value > spread;
    Some(TrendCheck {
        median,
        change_pct,
        regressed,
    })
}

/// Median, spread (largest distance from the median) and the value's
/// relative change from the median, percent.
fn against(earlier: &[f64], value: f64) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = earlier.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < MIN_TREND_POINTS || !value.is_finite() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let median = crate::core::stats::median_sorted(&v);
    let spread = v.iter().map(|x| (x - median).abs()).fold(0.0_f64, f64::max);
    let change_pct = if median > 0.0 {
        (value - median) / median * 100.0
    } else {
        0.0
    };
    Some((median, spread, change_pct))
}

/// Eight bar heights, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// The same heights for terminals without block characters.
const ASCII_BARS: [char; 8] = ['_', '.', ',', '-', '~', '=', '*', '#'];

/// A sparkline of `values`, one character per value, scaled from the
/// smallest to the largest (all equal: a flat middle line). Non-finite
/// values show as a space.
pub fn sparkline(values: &[f64], ascii: bool) -> String {
    let bars = if ascii { &ASCII_BARS } else { &BARS };
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|v| {
            if !v.is_finite() {
                ' '
            } else if hi - lo <= f64::EPSILON {
                bars[3]
            } else {
                let i = ((v - lo) / (hi - lo) * 7.0).round() as usize;
                bars[i.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_scales_from_lowest_to_highest() {
        assert_eq!(sparkline(&[1.0, 2.0, 3.0, 8.0], false), "▁▂▃█");
        assert_eq!(sparkline(&[5.0, 5.0], false), "▄▄");
        assert_eq!(sparkline(&[0.0, f64::NAN, 10.0], true), "_ #");
        assert_eq!(sparkline(&[], false), "");
    }

    #[test]
    fn a_value_far_above_a_steady_trend_regresses_and_usual_swings_do_not() {
        let trend = [40.0, 42.0, 41.0, 39.0, 40.0];
        let c = check_against_trend(&trend, 60.0, 10.0).expect("enough points");
        assert_eq!(c.median, 40.0);
        assert!(c.regressed, "{c:?}");
        // Within the tolerance.
        assert!(!check_against_trend(&trend, 43.0, 10.0).unwrap().regressed);
        // Above the tolerance but within the series' own swings.
        let noisy = [40.0, 60.0, 30.0, 50.0];
        assert!(!check_against_trend(&noisy, 58.0, 10.0).unwrap().regressed);
        assert!(check_against_trend(&[40.0, 41.0], 90.0, 10.0).is_none());
    }

    #[test]
    fn results_read_as_written_on_the_command_line() {
        assert_eq!(
            ProductionResult::parse("rolled_back"),
            Some(ProductionResult::RolledBack)
        );
        assert_eq!(
            ProductionResult::parse(" Incident "),
            Some(ProductionResult::Incident)
        );
        assert_eq!(ProductionResult::parse("meh"), None);
        assert!(ProductionResult::Incident.is_bad());
        assert!(!ProductionResult::Success.is_bad());
    }
}
