//! Canary judgement: compare the canary variant with the baseline, metric by
//! metric (Mann-Whitney U, Hodges-Lehmann interval, effect size, Kayenta-style
//! scoring), a live guard for plainly broken canaries, and the plan config.
//!
//! Pure: no IO except [`cli::read_samples`]; knows nothing of the TUI or the journal.

pub mod auto;
pub mod cli;
pub mod config;
pub mod control;
pub mod guard;
pub mod judge;
pub mod plan;
pub mod prometheus;
pub mod recover;
pub mod samples;
pub mod stage;
pub mod stats;

#[cfg(test)]
mod params_tests;
#[cfg(test)]
mod tests;

pub use config::{
    Direction, EffectSizeMeasure, JudgeConfig, JudgeParams, LoadMetric, MetricConfig, MetricSource,
    Missing,
};
pub use guard::{GuardStatus, LiveGuard, evaluate_guard};
pub use judge::{
    Classification, MetricJudgement, SampleSource, Samples, StepJudgement, judge_metric,
    judge_step, judge_step_with_errors,
};
pub use plan::{CanaryPlan, OnOrphan, ProviderConfig};
pub use prometheus::{PromClient, PromqlSamples, fetch_promql, promql_samples};
pub use samples::{VariantSeries, load_samples, variant_series};
