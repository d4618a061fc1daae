//! The in-process scenarios S1–S4 and the samples each contender leaves in
//! them (S7, in `strings`, and S8, in `handoff`, keep theirs in the same form).

use chunkpool::FieldType;
use chunkpool_bench::shapes::{MIXED, SINGLE};
use std::collections::BTreeMap;

/// S1–S4 as run in this process.
pub(crate) struct Scenario {
    pub(crate) id: &'static str,
    pub(crate) threads: usize,
    pub(crate) layouts: &'static [&'static [FieldType]],
}

pub(crate) const SCENARIOS: [Scenario; 4] = [
    Scenario {
        id: "S1",
        threads: 1,
        layouts: SINGLE,
    },
    Scenario {
        id: "S2",
        threads: 2,
        layouts: SINGLE,
    },
    Scenario {
        id: "S3",
        threads: 16,
        layouts: SINGLE,
    },
    Scenario {
        id: "S4",
        threads: 1,
        layouts: MIXED,
    },
];

/// Samples of one contender in one scenario, indexed by repetition.
#[derive(Default, Clone)]
pub(crate) struct Series {
    pub(crate) ns: Vec<f64>,
    pub(crate) throughput: Vec<f64>,
    pub(crate) faults: Vec<f64>,
    pub(crate) reuse: Vec<f64>,
    /// Whole-chunk reuse (S7): chunks handed out as whole cached chunks /
    /// chunks handed out, per repetition.
    pub(crate) whole: Vec<f64>,
}

impl Series {
    pub(crate) fn push(&mut self, ns: f64, thr: f64, faults: f64, reuse: Option<f64>) {
        self.ns.push(ns);
        self.throughput.push(thr);
        self.faults.push(faults);
        if let Some(r) = reuse {
            self.reuse.push(r);
        }
    }
}

/// Results keyed by (scenario id, contender name).
pub(crate) type Results = BTreeMap<(String, String), Series>;

/// Everything one run measured, as the analysis and the reports read it.
pub(crate) struct Measured {
    /// S1–S4 (and mimalloc's S1–S3) series.
    pub(crate) cycles: Results,
    /// S5's pipeline runs.
    pub(crate) s5: Vec<chunkpool_bench::pipeline::Report>,
    /// S6's churn results, as the child reported them.
    pub(crate) s6: Vec<serde_json::Value>,
    /// S7's string widths.
    pub(crate) s7: crate::strings::S7Results,
    /// S8's Arrow hand-off.
    pub(crate) s8: crate::handoff::S8Results,
    /// S9's engine batches.
    pub(crate) s9: crate::engine::S9Results,
    /// S10's exchange.
    pub(crate) s10: crate::exchange::S10Results,
    /// S11's large columns.
    pub(crate) s11: crate::large::S11Results,
    /// DF: the DataFusion benchmark's run, or why it did not run.
    pub(crate) df: crate::datafusion::DfOutcome,
    /// What could not be measured, and why.
    pub(crate) notes: Vec<String>,
}
