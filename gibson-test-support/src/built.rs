//! What the client under test was built with ([`Built`], from the test
//! crate's own features by [`built!`](crate::built!)), and [`observed`]: a
//! scenario run with its metric counted and its log checked when the
//! client can count and log.

use std::future::Future;

use crate::observe::{counted, install_recorder, RecordSpans, SpanRecord};

/// Whether the client under test records metrics and emits `tracing`
/// events: the features `metrics` and `tracing` of the test crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Built {
    /// Built with `metrics`.
    pub metrics: bool,
    /// Built with `tracing`.
    pub tracing: bool,
}

/// The [`Built`] of the crate this expands in (its features `metrics` and
/// `tracing`).
#[macro_export]
macro_rules! built {
    () => {
        $crate::built::Built {
            metrics: cfg!(feature = "metrics"),
            tracing: cfg!(feature = "tracing"),
        }
    };
}

/// Runs `scenario` on this thread with the metrics recorder installed
/// (when `built.metrics`) and this thread's events recorded; then checks
/// that the counter `metric` grew by `count` (when `built.metrics`) and
/// runs `logged` over the events (when `built.tracing`).
pub async fn observed<T>(
    built: Built,
    (metric, count): (&str, u64),
    scenario: impl Future<Output = T>,
    logged: impl FnOnce(&[SpanRecord]),
) -> T {
    let _turn = built.metrics.then(install_recorder);
    let before = counted(metric);
    let spans = RecordSpans::start();
    let t = scenario.await;
    if built.metrics {
        assert_eq!(counted(metric) - before, count, "{metric}");
    }
    if built.tracing {
        logged(&spans.events());
    }
    t
}
