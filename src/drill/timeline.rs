//! A recovery drill's timeline as it is journalled: every mark goes to the
//! journal through the runner and is kept here too, so the kind measures
//! `rto_s` with the same arithmetic (`core::disaster::rto_s`) that the
//! fold, the pane and the reports use on the journalled marks.

use std::sync::Mutex;
use std::time::Instant;

use crate::core::disaster::{Mark, MarkAt, rto_s};
use crate::drill::runner::Runner;

/// The marks one drill reached, in order.
pub struct Timeline<'r, 'a> {
    run: &'r Runner<'a>,
    marks: Mutex<Vec<MarkAt>>,
}

impl<'r, 'a> Timeline<'r, 'a> {
    /// An empty timeline for this drill.
    pub fn new(run: &'r Runner<'a>) -> Self {
        Timeline {
            run,
            marks: Mutex::new(Vec::new()),
        }
    }

    /// Mark `mark` now; gives its `at_ms`.
    pub fn mark(&self, mark: Mark, detail: &str) -> u64 {
        self.mark_at(mark, Instant::now(), detail)
    }

    /// Mark `mark` at `at` (a moment measured earlier); gives its `at_ms`.
    pub fn mark_at(&self, mark: Mark, at: Instant, detail: &str) -> u64 {
        let at_ms = self.run.mark_at(mark, at, detail);
        if let Ok(mut m) = self.marks.lock() {
            m.push(MarkAt {
                mark,
                at_ms,
                detail: detail.to_string(),
            });
        }
        at_ms
    }

    /// Whether `mark` was reached.
    pub fn reached(&self, mark: Mark) -> bool {
        self.marks
            .lock()
            .map(|m| m.iter().any(|x| x.mark == mark))
            .unwrap_or(false)
    }

    /// RTO in seconds, once the disaster, the verified data and the healthy
    /// service are all marked; measured as `rto_s` too.
    pub fn measure_rto(&self) -> Option<f64> {
        let rto = self.marks.lock().ok().and_then(|m| rto_s(&m));
        if let Some(v) = rto {
            self.run.measure("rto_s", v);
        }
        rto
    }
}
