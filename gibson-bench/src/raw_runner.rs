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

/// Where client `c` of `clients` finds the frame of its `k`-th request:
/// request `i = c + k * clients` (as [`share`](crate::runners::share)
/// deals them) sends `frames[i % len]`. The loop asks for `k` in order
/// (the same `k` again when the window was full), so the index steps by
/// `clients` instead of dividing for each request, which costs about as
/// much as the rest of the raw loop's work on a request.
struct Cycle {
    len: usize,
    client: usize,
    clients: usize,
    /// The last request asked for, and its frame's index.
    k: usize,
    index: usize,
}

impl Cycle {
    fn new(len: usize, client: usize, clients: usize) -> Cycle {
        let mut cycle = Cycle {
            len: len.max(1),
            client,
            clients,
            k: 0,
            index: 0,
        };
        cycle.index = cycle.divide(0);
        cycle
    }

    /// The frame index of request `k`.
    fn index(&mut self, k: usize) -> usize {
        if k == self.k + 1 {
            self.index += self.clients % self.len;
            if self.index >= self.len {
                self.index -= self.len;
            }
        } else if k != self.k {
            self.index = self.divide(k);
        }
        self.k = k;
        self.index
    }

    /// The frame index of request `k`, by division.
    fn divide(&self, k: usize) -> usize {
        let i = self.client as u128 + k as u128 * self.clients as u128;
        (i % self.len as u128) as usize
    }
}

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
            let count = share_len(c, clients, n);
            let mut cycle = Cycle::new(frames.len(), c, clients);
            let frame = |k: usize| &frames[cycle.index(k)][..];
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

#[cfg(test)]
mod tests {
    use super::Cycle;

    #[test]
    fn the_cycle_steps_as_division_would() {
        for (len, clients) in [(1, 1), (7, 3), (1000, 4), (3, 5), (10, 10)] {
            for c in 0..clients {
                let mut cycle = Cycle::new(len, c, clients);
                // In order, asking twice for some, and a jump.
                for k in [0, 1, 1, 2, 3, 3, 4, 9, 10, 11, 30, 31] {
                    assert_eq!(
                        cycle.index(k),
                        (c + k * clients) % len,
                        "{len} {clients} {c} {k}"
                    );
                }
            }
        }
    }
}
