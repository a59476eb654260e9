//! A process-wide `metrics` recorder for the observability suite: the
//! `metrics-util` `DebuggingRecorder`, whose snapshots (which drain it:
//! counters and histograms since the last one, gauges zeroed) are added up
//! in one store, so that tests running at once each find their own series
//! (told apart by their labels).

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// One series: a metric's name and labels, and what was recorded.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// The metric's name.
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// A counter's total.
    pub counter: u64,
    /// A gauge's values, one per snapshot: the last is its value now.
    pub gauges: Vec<f64>,
    /// A histogram's values.
    pub histogram: Vec<f64>,
}

impl Series {
    /// `true` when every `(label, value)` of `labels` is among its labels.
    pub fn has(&self, labels: &[(&str, &str)]) -> bool {
        labels
            .iter()
            .all(|(k, v)| self.labels.get(*k).map(String::as_str) == Some(*v))
    }
}

type Store = BTreeMap<(String, Vec<(String, String)>), Series>;

struct Installed {
    snapshotter: Snapshotter,
    store: Mutex<Store>,
}

fn installed() -> &'static Installed {
    static INSTALLED: OnceLock<Installed> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        if recorder.install().is_err() {
            panic!("another metrics recorder is installed in this test binary");
        }
        Installed {
            snapshotter,
            store: Mutex::new(BTreeMap::new()),
        }
    })
}

/// Installs the recorder (once per process), and lets one metrics test run
/// at a time until the returned guard is dropped: call before the client's
/// first request, and keep the guard for the whole test.
///
/// A snapshot zeroes each gauge and [`series`] puts the value back; a
/// gauge another test's client sets in between would be put back to its
/// old value, so metrics tests never run side by side.
#[must_use = "the guard keeps other metrics tests from running meanwhile"]
pub fn install_recorder() -> MetricsTest {
    installed();
    let mut busy = TURN.0.lock().unwrap_or_else(PoisonError::into_inner);
    while *busy {
        busy = TURN.1.wait(busy).unwrap_or_else(PoisonError::into_inner);
    }
    *busy = true;
    MetricsTest(())
}

/// Whether a metrics test runs, and who waits for its end.
static TURN: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// A metrics test's turn (from [`install_recorder`]); ends when dropped.
pub struct MetricsTest(());

impl Drop for MetricsTest {
    fn drop(&mut self) {
        *TURN.0.lock().unwrap_or_else(PoisonError::into_inner) = false;
        TURN.1.notify_one();
    }
}

/// The series named `name` whose labels include `labels`, with all that
/// was recorded so far.
pub fn series(name: &str, labels: &[(&str, &str)]) -> Vec<Series> {
    let installed = installed();
    let mut store = installed
        .store
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    for (key, _, _, value) in installed.snapshotter.snapshot().into_vec() {
        let key = key.key();
        let labels: Vec<(String, String)> = key
            .labels()
            .map(|l| (l.key().to_string(), l.value().to_string()))
            .collect();
        let entry = store
            .entry((key.name().to_string(), labels.clone()))
            .or_insert_with(|| Series {
                name: key.name().to_string(),
                labels: labels.into_iter().collect(),
                ..Series::default()
            });
        match value {
            DebugValue::Counter(n) => entry.counter += n,
            DebugValue::Gauge(g) => {
                // The snapshot zeroed it: put the value back, so that the
                // next snapshot still reads the gauge's current value.
                metrics::gauge!(
                    key.name().to_string(),
                    key.labels().cloned().collect::<Vec<_>>()
                )
                .set(g.into_inner());
                entry.gauges.push(g.into_inner());
            }
            DebugValue::Histogram(h) => entry
                .histogram
                .extend(h.into_iter().map(|v| v.into_inner())),
        }
    }
    store
        .values()
        .filter(|s| s.name == name && s.has(labels))
        .cloned()
        .collect()
}

/// The total of the counters named `name`, whatever their labels.
pub fn counted(name: &str) -> u64 {
    series(name, &[]).iter().map(|s| s.counter).sum()
}
