//! `--raw`: the same workload through gibson-blocking's measuring baseline
//! ([`gibson_blocking::raw`]: a blocking socket per client on its own
//! thread, a sliding window of `-P` frames in flight, replies counted from
//! their headers), so that the libraries' overhead shows as a ratio
//! measured in the same run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gibson_blocking::raw::RawLoop;
use gibson_blocking::transport;

use super::report::WorkerOut;
use super::runners::{per_client_threads, share, RunOutcome};
use super::Plan;

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
            let indices: Vec<u64> = share(c, clients, n).collect();
            let frame = |k: usize| &frames[(indices[k] % frames.len() as u64) as usize][..];
            let mut out = WorkerOut::with_capacity(indices.len());
            RawLoop::new(depth, config.limits)
                .run(&mut stream, indices.len(), frame, |replies| {
                    for r in replies {
                        // 0 ERR, 2 NAN, 3 MEM, 4 LOCKED; 1 NOT_FOUND is an answer.
                        let error = matches!(r.code, 0 | 2..=4)
                            .then(|| format!("raw loop: reply code {}", r.code));
                        out.record(Some(r.latency), error);
                    }
                    done.fetch_add(replies.len() as u64, Ordering::Relaxed);
                })
                .map_err(|e| format!("raw loop: {e}"))?;
            Ok(out)
        },
    )
}
