//! `--raw`: the same workload through the raw measuring loop
//! ([`gibson_bench::raw`]: a blocking socket per client on its own thread,
//! a sliding window of `-P` frames in flight, replies counted from their
//! headers), so that the libraries' overhead shows as a ratio measured in
//! the same run.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use gibson_bench::raw::RawLoop;
use gibson_blocking::transport;

use crate::report::WorkerOut;
use crate::run::Plan;
use crate::runners::{per_client_threads, share_len, Progress, RunOutcome};

/// Runs one test's frames (`frames[i % len]` is request `i`).
pub(crate) fn run_raw(plan: &Plan, done: &Arc<AtomicU64>, frames: Vec<Vec<u8>>) -> RunOutcome {
    if frames.is_empty() {
        return Err("raw loop: no requests to send".into());
    }
    let (clients, depth, n) = (plan.clients, plan.pipeline, plan.requests);
    let config = &plan.config;
    per_client_threads(
        clients,
        |_| {
            let timeout = Some(config.response_timeout);
            transport::connect(&config.addr, config.connect_timeout, timeout)
                .map_err(|e| format!("connect to {}: {e}", config.addr))
        },
        |c, mut stream| {
            // Client c sends requests c, c + clients, … (as `share`).
            let count = share_len(c, clients, n);
            let frame = |k: usize| {
                let i = c as u64 + k as u64 * clients as u64;
                &frames[(i % frames.len() as u64) as usize][..]
            };
            let mut out = WorkerOut::with_capacity(count.div_ceil(16));
            let mut progress = Progress::new(done);
            RawLoop::new(depth, config.limits)
                .run(&mut stream, count, frame, |replies| {
                    for r in replies {
                        // 0 ERR, 2 NAN, 3 MEM, 4 LOCKED; 1 NOT_FOUND is an answer.
                        let error = matches!(r.code, 0 | 2..=4)
                            .then(|| format!("raw loop: reply code {}", r.code));
                        out.record(r.latency, error);
                        progress.tick();
                    }
                })
                .map_err(|e| format!("raw loop: {e}"))?;
            drop(progress);
            Ok(out)
        },
    )
}
