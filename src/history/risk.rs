//! The release's risk before it is validated, from history and the change:
//!
//! - recent failures (up to 40 points): the share of the service's last
//!   `risk.recent_runs` runs that were NO-GO or went badly in production;
//! - same paths (up to 40): the share of earlier releases with a recorded
//!   outcome that touched one of the changed paths and went badly;
//! - change size (up to 20): changed lines on a log scale, full at
//!   `risk.large_change_lines`.
//!
//! Each part carries its sample; a part without data adds nothing and says
//! so. The score informs; config may ask for a sign-off when it is high.

use super::config::RiskOptions;
use crate::core::event::Outcome;
use crate::core::history::{ProductionResult, RiskAssessment, RiskFactor, RiskLevel, RiskPart};
use crate::core::impact::ChangeSet;

/// Points for each part at its worst.
const RECENT_MAX: f64 = 40.0;
const PATHS_MAX: f64 = 40.0;
const SIZE_MAX: f64 = 20.0;

/// An earlier run as the risk score reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct PastRun {
    /// The gate's decision.
    pub decision: Option<Outcome>,
    /// What happened in production, if recorded.
    pub production: Option<ProductionResult>,
}

impl PastRun {
    fn failed(&self) -> bool {
        self.decision == Some(Outcome::NoGo) || self.production.is_some_and(|p| p.is_bad())
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Score the risk. `recent` is the service's latest runs, newest first;
/// `touched` the earlier releases with an outcome and the paths they
/// changed.
pub fn assess(
    recent: &[PastRun],
    touched: &[(String, ProductionResult, Vec<String>)],
    change: Option<&ChangeSet>,
    opts: &RiskOptions,
) -> RiskAssessment {
    let mut parts = Vec::new();
    let recent: Vec<&PastRun> = recent.iter().take(opts.recent_runs as usize).collect();
    let failed = recent.iter().filter(|r| r.failed()).count();
    parts.push(RiskPart {
        factor: RiskFactor::RecentFailures,
        points: if recent.is_empty() {
            0.0
        } else {
            round1(RECENT_MAX * failed as f64 / recent.len() as f64)
        },
        max_points: RECENT_MAX,
        sample: recent.len() as u64,
        detail: if recent.is_empty() {
            "no earlier runs of this service".into()
        } else {
            format!(
                "{failed} of the last {} runs were NO-GO or went badly",
                recent.len()
            )
        },
    });
    let paths_part = match change {
        None => RiskPart {
            factor: RiskFactor::PathOutcomes,
            points: 0.0,
            max_points: PATHS_MAX,
            sample: 0,
            detail: "no change given (--changes)".into(),
        },
        Some(c) => {
            let mine: std::collections::HashSet<&str> = c.paths().into_iter().collect();
            let same: Vec<&(String, ProductionResult, Vec<String>)> = touched
                .iter()
                .filter(|(_, _, p)| p.iter().any(|p| mine.contains(p.as_str())))
                .collect();
            let bad = same.iter().filter(|(_, r, _)| r.is_bad()).count();
            RiskPart {
                factor: RiskFactor::PathOutcomes,
                points: if same.is_empty() {
                    0.0
                } else {
                    round1(PATHS_MAX * bad as f64 / same.len() as f64)
                },
                max_points: PATHS_MAX,
                sample: same.len() as u64,
                detail: if same.is_empty() {
                    "no earlier release with an outcome touched these paths".into()
                } else {
                    format!(
                        "{bad} of {} earlier releases touching these paths went badly",
                        same.len()
                    )
                },
            }
        }
    };
    parts.push(paths_part);
    let lines = change.map_or(0, |c| c.lines_added() + c.lines_removed());
    let size = if lines == 0 {
        0.0
    } else {
        let full = (1.0 + opts.large_change_lines as f64).ln();
        round1(SIZE_MAX * ((1.0 + lines as f64).ln() / full).min(1.0))
    };
    parts.push(RiskPart {
        factor: RiskFactor::ChangeSize,
        points: size,
        max_points: SIZE_MAX,
        sample: lines,
        detail: match change {
            None => "no change given (--changes)".into(),
            Some(c) => format!(
                "+{} -{} lines in {} file{}",
                c.lines_added(),
                c.lines_removed(),
                c.files.len(),
                if c.files.len() == 1 { "" } else { "s" }
            ),
        },
    });
    let score = round1(parts.iter().map(|p| p.points).sum::<f64>()).min(100.0);
    let level = if score >= opts.high_at {
        RiskLevel::High
    } else if score >= opts.medium_at {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    };
    RiskAssessment {
        score,
        level,
        parts,
        requires_signoff: opts.require_signoff && level == RiskLevel::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::impact::ChangedFile;

    fn change(lines: u64, paths: &[&str]) -> ChangeSet {
        ChangeSet {
            range: "a..b".into(),
            base: "a".into(),
            head: "b".into(),
            files: paths
                .iter()
                .map(|p| ChangedFile {
                    path: p.to_string(),
                    renamed_from: None,
                    added: lines / paths.len() as u64,
                    removed: 0,
                    binary: false,
                })
                .collect(),
        }
    }

    fn run(decision: Outcome, production: Option<ProductionResult>) -> PastRun {
        PastRun {
            decision: Some(decision),
            production,
        }
    }

    #[test]
    fn each_part_adds_its_share_and_says_what_it_rests_on() {
        let recent = vec![
            run(Outcome::NoGo, None),
            run(Outcome::Go, Some(ProductionResult::Incident)),
            run(Outcome::Go, Some(ProductionResult::Success)),
            run(Outcome::Go, None),
        ];
        let touched = vec![
            (
                "r1".to_string(),
                ProductionResult::RolledBack,
                vec!["src/checkout/pay.rs".to_string()],
            ),
            (
                "r2".to_string(),
                ProductionResult::Success,
                vec!["src/checkout/pay.rs".to_string()],
            ),
            (
                "r3".to_string(),
                ProductionResult::Incident,
                vec!["docs/x.md".to_string()],
            ),
        ];
        let c = change(1000, &["src/checkout/pay.rs"]);
        let r = assess(&recent, &touched, Some(&c), &RiskOptions::default());
        assert_eq!(r.parts[0].points, 20.0, "{:?}", r.parts[0]);
        assert_eq!(r.parts[0].sample, 4);
        assert_eq!(r.parts[1].points, 20.0, "{:?}", r.parts[1]);
        assert_eq!(r.parts[1].sample, 2);
        assert_eq!(r.parts[2].points, 20.0, "{:?}", r.parts[2]);
        assert_eq!(r.score, 60.0);
        assert_eq!(r.level, RiskLevel::High);
        assert!(
            !r.requires_signoff,
            "a sign-off is only asked when configured"
        );
        let strict = RiskOptions {
            require_signoff: true,
            ..RiskOptions::default()
        };
        assert!(assess(&recent, &touched, Some(&c), &strict).requires_signoff);
    }

    #[test]
    fn without_history_or_change_the_risk_is_low_and_says_why() {
        let r = assess(&[], &[], None, &RiskOptions::default());
        assert_eq!(r.score, 0.0);
        assert_eq!(r.level, RiskLevel::Low);
        assert!(r.parts[0].detail.contains("no earlier runs"));
        assert!(r.parts[1].detail.contains("no change given"));
        let small = assess(&[], &[], Some(&change(10, &["a"])), &RiskOptions::default());
        assert!(small.parts[2].points > 0.0 && small.parts[2].points < 10.0);
    }
}
