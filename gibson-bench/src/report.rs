//! Measurements: per-worker latencies, one result per (test, client), the
//! progress bar, and the table / CSV.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What one worker measured.
#[derive(Debug, Default)]
pub(crate) struct WorkerOut {
    /// Latency of every timed request (see [`is_timed`](gibson_bench::raw::is_timed)), in nanoseconds.
    pub(crate) latencies: Vec<u64>,
    /// Requests completed.
    pub(crate) requests: u64,
    /// Requests that failed (error replies other than NOT_FOUND, I/O…).
    pub(crate) errors: u64,
    /// The first failure, in words.
    pub(crate) first_error: Option<String>,
}

impl WorkerOut {
    /// Room for `n` latencies.
    pub(crate) fn with_capacity(n: usize) -> WorkerOut {
        WorkerOut {
            latencies: Vec::with_capacity(n),
            ..WorkerOut::default()
        }
    }

    /// Records one request, and its latency when it was timed.
    pub(crate) fn record(&mut self, latency: Option<Duration>, error: Option<String>) {
        self.requests += 1;
        if let Some(latency) = latency {
            self.latencies
                .push(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
        }
        if let Some(e) = error {
            self.errors += 1;
            self.first_error.get_or_insert(e);
        }
    }
}

/// The outcome of one test through one client.
#[derive(Debug)]
pub(crate) struct RunResult {
    /// The test's name.
    pub(crate) test: &'static str,
    /// `tokio`, `async-std`, `blocking` or `raw`.
    pub(crate) client: &'static str,
    /// Requests completed.
    pub(crate) requests: u64,
    /// Wall time from the first request to the last reply.
    pub(crate) elapsed: Duration,
    /// Latencies in nanoseconds.
    pub(crate) hist: Histogram<u64>,
    /// Failed requests.
    pub(crate) errors: u64,
    /// The first failure.
    pub(crate) first_error: Option<String>,
    /// CPU time the whole process used during the run (the embedded
    /// server's threads too, when there is one).
    pub(crate) cpu: Option<Duration>,
}

impl RunResult {
    /// Merges the workers' measurements.
    pub(crate) fn new(
        test: &'static str,
        client: &'static str,
        elapsed: Duration,
        outs: Vec<WorkerOut>,
        cpu: Option<Duration>,
    ) -> RunResult {
        // 1 ns to 10 min, 3 significant digits.
        let mut hist = Histogram::<u64>::new_with_bounds(1, 600_000_000_000, 3)
            .expect("valid histogram bounds");
        let (mut requests, mut errors) = (0, 0);
        let mut first_error = None;
        for out in outs {
            requests += out.requests;
            for l in out.latencies {
                hist.saturating_record(l.max(1));
            }
            errors += out.errors;
            if first_error.is_none() {
                first_error = out.first_error;
            }
        }
        RunResult {
            test,
            client,
            requests,
            elapsed,
            hist,
            errors,
            first_error,
            cpu,
        }
    }

    /// CPU microseconds per request.
    pub(crate) fn cpu_us_per_op(&self) -> Option<f64> {
        self.cpu
            .map(|cpu| cpu.as_secs_f64() * 1e6 / (self.requests.max(1) as f64))
    }

    /// Requests per second.
    pub(crate) fn ops_per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A latency quantile in microseconds.
    pub(crate) fn quantile_us(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    /// The largest latency in microseconds.
    pub(crate) fn max_us(&self) -> f64 {
        self.hist.max() as f64 / 1000.0
    }
}

/// Runs `f` with a progress bar over `total` requests on stderr (hidden
/// when `quiet` or stderr is not a terminal); `f` counts into the counter.
pub(crate) fn with_progress<T>(
    label: &str,
    total: u64,
    quiet: bool,
    f: impl FnOnce(&std::sync::Arc<AtomicU64>) -> T,
) -> T {
    let done = std::sync::Arc::new(AtomicU64::new(0));
    if quiet {
        // No bar to draw: no thread waking every 50 ms beside the run.
        return f(&done);
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix:>16} [{bar:32}] {pos:>9}/{len} {msg:>14} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    let stop = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            let start = std::time::Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let pos = done.load(Ordering::Relaxed);
                bar.set_position(pos);
                let rate = pos as f64 / start.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!("{rate:.0} ops/s"));
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let r = f(&done);
        stop.store(true, Ordering::Relaxed);
        r
    });
    bar.finish_and_clear();
    result
}

/// The raw loop's result for the same test as `r` (none for the raw loop
/// itself).
fn raw_of<'a>(r: &RunResult, all: &'a [RunResult]) -> Option<&'a RunResult> {
    if r.client == "raw" {
        return None;
    }
    all.iter().find(|o| o.client == "raw" && o.test == r.test)
}

/// Throughput as a ratio of the raw loop's in the same run.
fn vs_raw(r: &RunResult, all: &[RunResult]) -> Option<f64> {
    raw_of(r, all).map(|raw| r.ops_per_sec() / raw.ops_per_sec().max(1e-9))
}

/// CPU per request as a multiple of the raw loop's in the same run.
fn cpu_vs_raw(r: &RunResult, all: &[RunResult]) -> Option<f64> {
    Some(r.cpu_us_per_op()? / raw_of(r, all)?.cpu_us_per_op()?.max(1e-9))
}

/// An optional number with `digits` decimals, `-` when absent.
fn or_dash(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.digits$}"))
}

/// The results as an aligned table.
pub(crate) fn table(results: &[RunResult]) -> String {
    let with_raw = results.iter().any(|r| r.client == "raw");
    let with_errors = results.iter().any(|r| r.errors > 0);
    let mut header = vec![
        "test",
        "client",
        "requests",
        "ops/s",
        "p50 µs",
        "p95 µs",
        "p99 µs",
        "max µs",
        "cpu µs/op",
    ];
    if with_raw {
        header.push("vs raw");
        header.push("cpu vs raw");
    }
    if with_errors {
        header.push("errors");
    }
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in results {
        let mut row = vec![
            r.test.to_string(),
            r.client.to_string(),
            r.requests.to_string(),
            format!("{:.0}", r.ops_per_sec()),
            format!("{:.0}", r.quantile_us(0.50)),
            format!("{:.0}", r.quantile_us(0.95)),
            format!("{:.0}", r.quantile_us(0.99)),
            format!("{:.0}", r.max_us()),
            or_dash(r.cpu_us_per_op(), 2),
        ];
        if with_raw {
            row.push(or_dash(vs_raw(r, results), 2));
            row.push(or_dash(cpu_vs_raw(r, results), 2));
        }
        if with_errors {
            row.push(r.errors.to_string());
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c < 2 {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out
}

/// The results as CSV, with the run's parameters on every line.
pub(crate) fn csv(
    results: &[RunResult],
    clients: usize,
    pipeline: usize,
    data_size: usize,
) -> String {
    let mut out = String::from(
        "test,client,requests,clients,pipeline,data_size,seconds,ops_per_sec,p50_us,p95_us,p99_us,max_us,vs_raw,errors,cpu_us_per_op,cpu_vs_raw\n",
    );
    for r in results {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{:.6},{:.1},{:.1},{:.1},{:.1},{:.1},{},{},{},{}",
            r.test,
            r.client,
            r.requests,
            clients,
            pipeline,
            data_size,
            r.elapsed.as_secs_f64(),
            r.ops_per_sec(),
            r.quantile_us(0.50),
            r.quantile_us(0.95),
            r.quantile_us(0.99),
            r.max_us(),
            vs_raw(r, results).map_or_else(String::new, |x| format!("{x:.3}")),
            r.errors,
            r.cpu_us_per_op()
                .map_or_else(String::new, |x| format!("{x:.3}")),
            cpu_vs_raw(r, results).map_or_else(String::new, |x| format!("{x:.3}")),
        );
    }
    out
}
