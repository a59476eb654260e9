//! The library runners: tokio and async-std (one multiplexed connection per
//! client, `-P` tasks on it, each sending its requests one after another),
//! and blocking (one thread and connection per client, explicit pipelines
//! of `-P` requests).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use gibson_policy::Config;
use gibson_proto::{AsyncCommands, Command};

use gibson_bench::raw::is_timed;

use crate::report::WorkerOut;
use crate::run::Plan;

/// What a runner returns: the time from the start (every client
/// connected) to the last reply, and what each worker recorded.
pub(crate) type RunOutcome = Result<(Duration, Vec<WorkerOut>), String>;

/// Request `i`'s typed command: what every library runner is given.
pub(crate) trait MakeCommand<C>: Fn(u64) -> C + Send + Sync + Clone + 'static {}

impl<C, F: Fn(u64) -> C + Send + Sync + Clone + 'static> MakeCommand<C> for F {}

/// The requests of worker `w` out of `workers`: `w, w + workers, …` below `n`.
pub(crate) fn share(w: usize, workers: usize, n: u64) -> impl Iterator<Item = u64> {
    (w as u64..n).step_by(workers.max(1))
}

/// How many requests `share(w, workers, n)` yields.
pub(crate) fn share_len(w: usize, workers: usize, n: u64) -> usize {
    let (w, workers) = (w as u64, workers.max(1) as u64);
    if w >= n {
        0
    } else {
        ((n - w).div_ceil(workers)) as usize
    }
}

/// Counts a worker's finished requests into the progress counter
/// [`PROGRESS_BATCH`] at a time (the rest when dropped): an atomic add per
/// request is the runner's cost, not the library's, and the raw loop pays
/// one per read.
pub(crate) struct Progress<'a> {
    done: &'a AtomicU64,
    pending: u64,
}

/// Requests counted between two adds to the progress counter.
const PROGRESS_BATCH: u64 = 64;

impl<'a> Progress<'a> {
    pub(crate) fn new(done: &'a AtomicU64) -> Progress<'a> {
        Progress { done, pending: 0 }
    }

    /// One more request finished.
    pub(crate) fn tick(&mut self) {
        self.pending += 1;
        if self.pending == PROGRESS_BATCH {
            self.done.fetch_add(PROGRESS_BATCH, Ordering::Relaxed);
            self.pending = 0;
        }
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        self.done.fetch_add(self.pending, Ordering::Relaxed);
    }
}

/// One server's connection, or the sharded client over several.
#[derive(Clone)]
enum Target<A, B> {
    One(A),
    Many(B),
}

impl<A: AsyncCommands, B: AsyncCommands> Target<A, B> {
    async fn execute<C>(&self, cmd: C) -> Result<C::Output, gibson_proto::Error>
    where
        C: Command + Send,
        C::Output: Send,
    {
        match self {
            Target::One(a) => a.execute(cmd).await,
            Target::Many(b) => b.execute(cmd).await,
        }
    }
}

/// Generates the runner of an async crate whose `Connection` (and
/// `Sharded`, for several servers) has `with_config`, `Clone` and
/// `execute`.
macro_rules! async_runner {
    ($(#[$doc:meta])* $name:ident, $conn:ty, $sharded:ty, |$fut:ident, $threads:ident| $block_on:expr, |$task:ident| $spawn:expr, |$handle:ident| $join:expr) => {
        $(#[$doc])*
        pub(crate) fn $name<C, F>(plan: &Plan, done: &Arc<AtomicU64>, make: F) -> RunOutcome
        where
            C: Command + Send + 'static,
            C::Output: Send,
            F: MakeCommand<C>,
        {
            let (clients, depth, n) = (plan.clients, plan.pipeline, plan.requests);
            let config: Config = plan.config.clone();
            let shards = plan.shards.clone();
            let done = done.clone();
            let $fut = async move {
                let mut conns = Vec::with_capacity(clients);
                for _ in 0..clients {
                    let conn = match &shards {
                        Some(s) => {
                            let cache = <$sharded>::with_config(s.clone())
                                .await
                                .map_err(|e| format!("servers: {e}"))?;
                            // Opens a connection to every server.
                            cache.ping().await.map_err(|e| format!("servers: {e}"))?;
                            Target::Many(cache)
                        }
                        None => Target::One(
                            <$conn>::with_config(config.clone())
                                .await
                                .map_err(|e| format!("connect to {}: {e}", config.addr))?,
                        ),
                    };
                    conns.push(conn);
                }
                let workers = clients * depth;
                let start = Instant::now();
                let mut handles = Vec::with_capacity(workers);
                for (c, conn) in conns.iter().enumerate() {
                    for t in 0..depth {
                        let w = c * depth + t;
                        let conn = conn.clone();
                        let make = make.clone();
                        let done = done.clone();
                        let $task = async move {
                            let mut out = WorkerOut::with_capacity(share_len(w, workers, n));
                            let mut progress = Progress::new(&done);
                            for i in share(w, workers, n) {
                                let t0 = is_timed(i, depth).then(Instant::now);
                                let r = conn.execute(make(i)).await;
                                out.record(t0.map(|t0| t0.elapsed()), r.err().map(|e| e.to_string()));
                                progress.tick();
                            }
                            drop(progress);
                            out
                        };
                        handles.push($spawn);
                    }
                }
                let mut outs = Vec::with_capacity(workers);
                for $handle in handles {
                    outs.push($join);
                }
                Ok((start.elapsed(), outs))
            };
            let $threads = plan.threads;
            $block_on
        }
    };
}

async_runner!(
    /// Runs one test on gibson-tokio: a current-thread runtime for
    /// `--threads 1`, else a multi-threaded one with that many workers.
    run_tokio,
    gibson_tokio::Connection,
    gibson_tokio::Sharded,
    |fut, threads| {
        let rt = if threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .enable_all()
                .build()
        }
        .map_err(|e| format!("tokio runtime: {e}"))?;
        rt.block_on(fut)
    },
    |task| tokio::spawn(task),
    |h| h.await.map_err(|e| format!("task failed: {e}"))?
);

/// Runs `run` as a task spawned by `spawn` and waits for its result on
/// this thread without polling the `async-io` reactor (as `block_on`
/// would, competing with the executor's threads for it): replies then wake
/// the driver on the executor's own thread, as in a program whose work all
/// runs in tasks.
fn run_as_task<F, S>(run: F, spawn: S) -> RunOutcome
where
    F: std::future::Future<Output = RunOutcome> + Send + 'static,
    S: FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>),
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    spawn(Box::pin(async move { drop(tx.send(run.await)) }));
    rx.recv()
        .map_err(|_| "the run's task ended without a result".to_string())?
}

async_runner!(
    /// Runs one test on gibson-async-std: the tasks on async-std's executor
    /// (its thread count set from `--threads` before first use, see
    /// [`init_executor_threads`]), each connection's driver an async-std
    /// task there too (the crate's default).
    run_async_std,
    gibson_async_std::Connection,
    gibson_async_std::Sharded,
    |fut, _threads| run_as_task(fut, |f| drop(async_std::task::spawn(f))),
    |task| async_std::task::spawn(task),
    |h| h.await
);

async_runner!(
    /// Runs one test on `gibson_async_std::smol`: the tasks and each
    /// connection's driver on smol's global executor (its thread count set
    /// from `--threads`, see [`init_executor_threads`]).
    run_smol,
    gibson_async_std::smol::Connection,
    gibson_async_std::smol::Sharded,
    |fut, _threads| run_as_task(fut, |f| smol::spawn(f).detach()),
    |task| smol::spawn(task),
    |h| h.await
);

/// Sizes async-std's and smol's global executors (read once, on first
/// use) to `threads`, unless `ASYNC_STD_THREAD_COUNT` / `SMOL_THREADS` is
/// already set.
pub(crate) fn init_executor_threads(threads: usize) {
    for var in ["ASYNC_STD_THREAD_COUNT", "SMOL_THREADS"] {
        if std::env::var_os(var).is_none() {
            std::env::set_var(var, threads.max(1).to_string());
        }
    }
}

/// Runs one test on gibson-blocking: a thread per client, keeping `-P`
/// requests in flight with `Connection::run_all` (single requests when `-P`
/// is 1). A request's latency runs from the moment `run_all` takes it to be
/// sent to the moment its result is handed back.
pub(crate) fn run_blocking<C, F>(plan: &Plan, done: &Arc<AtomicU64>, make: F) -> RunOutcome
where
    C: Command + Send + 'static,
    C::Output: Send,
    F: MakeCommand<C>,
{
    let (clients, depth, n) = (plan.clients, plan.pipeline.max(1), plan.requests);
    if let Some(shards) = &plan.shards {
        return run_blocking_sharded(plan, shards, done, make);
    }
    let config = &plan.config;
    per_client_threads(
        clients,
        |_| {
            gibson_blocking::Connection::with_config(config.clone())
                .map_err(|e| format!("connect to {}: {e}", config.addr))
        },
        |c, mut conn| {
            let mut out = WorkerOut::with_capacity(share_len(c, clients, n));
            if depth == 1 {
                for i in share(c, clients, n) {
                    let t0 = Instant::now();
                    let r = conn.execute(make(i));
                    out.record(Some(t0.elapsed()), r.err().map(|e| e.to_string()));
                    done.fetch_add(1, Ordering::Relaxed);
                }
                return Ok(out);
            }
            // When each request was taken; the iterator and the callback
            // run one after the other on this thread.
            let taken = RefCell::new(VecDeque::with_capacity(2 * depth));
            let mut progress = Progress::new(done);
            let commands = share(c, clients, n).map(|i| {
                taken
                    .borrow_mut()
                    .push_back(is_timed(i, depth).then(Instant::now));
                make(i)
            });
            let result = conn.run_all(commands, depth, |_, r| {
                let t0 = taken.borrow_mut().pop_front().flatten();
                out.record(t0.map(|t0| t0.elapsed()), r.err().map(|e| e.to_string()));
                progress.tick();
            });
            // The requests never taken (after a failure) fail too.
            if let Err(e) = result {
                for _ in out.requests..share_len(c, clients, n) as u64 {
                    out.record(None, Some(e.to_string()));
                    progress.tick();
                }
            }
            drop(progress);
            Ok(out)
        },
    )
}

/// [`run_blocking`] over several servers: a blocking `Sharded` client per
/// thread, single requests at depth 1, else pipelines of `-P` split by
/// server (each server's part sent at once).
fn run_blocking_sharded<C, F>(
    plan: &Plan,
    shards: &gibson_policy::shard::ShardConfig,
    done: &Arc<AtomicU64>,
    make: F,
) -> RunOutcome
where
    C: Command + Send + 'static,
    C::Output: Send,
    F: MakeCommand<C>,
{
    use gibson_blocking::Commands;
    let (clients, depth, n) = (plan.clients, plan.pipeline.max(1), plan.requests);
    per_client_threads(
        clients,
        |_| {
            let mut cache = gibson_blocking::Sharded::with_config(shards.clone())
                .map_err(|e| format!("servers: {e}"))?;
            cache.ping().map_err(|e| format!("servers: {e}"))?;
            Ok(cache)
        },
        |c, mut cache| {
            let mut out = WorkerOut::with_capacity(share_len(c, clients, n));
            let indices: Vec<u64> = share(c, clients, n).collect();
            if depth == 1 {
                for &i in &indices {
                    let t0 = Instant::now();
                    let r = cache.execute(make(i));
                    out.record(Some(t0.elapsed()), r.err().map(|e| e.to_string()));
                    done.fetch_add(1, Ordering::Relaxed);
                }
                return Ok(out);
            }
            for batch in indices.chunks(depth) {
                let t0 = Instant::now();
                let results = cache.execute_multi(batch.iter().map(|&i| make(i)));
                let took = t0.elapsed();
                match results {
                    Ok(results) => {
                        for (k, r) in results.into_iter().enumerate() {
                            let latency = is_timed(batch[k], depth).then_some(took);
                            out.record(latency, r.err().map(|e| e.to_string()));
                        }
                    }
                    Err(e) => {
                        for _ in batch {
                            out.record(Some(took), Some(e.to_string()));
                        }
                    }
                }
                done.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            Ok(out)
        },
    )
}

/// Runs a test on one thread per client: client `c` runs `connect(c)`,
/// waits until every client has, then runs `work(c, connection)`. The time
/// is taken from that moment to the last worker's end.
pub(crate) fn per_client_threads<T, C, W>(clients: usize, connect: C, work: W) -> RunOutcome
where
    C: Fn(usize) -> Result<T, String> + Sync,
    W: Fn(usize, T) -> Result<WorkerOut, String> + Sync,
{
    let barrier = Barrier::new(clients + 1);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                let (barrier, connect, work) = (&barrier, &connect, &work);
                scope.spawn(move || {
                    let conn = connect(c);
                    barrier.wait();
                    work(c, conn?)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut outs = Vec::with_capacity(clients);
        for t in threads {
            outs.push(
                t.join()
                    .map_err(|_| "a client thread panicked".to_string())??,
            );
        }
        Ok((start.elapsed(), outs))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_every_request_once() {
        for (workers, n) in [(1, 10u64), (3, 10), (7, 3), (4, 0), (64, 100_000)] {
            let mut all: Vec<u64> = (0..workers).flat_map(|w| share(w, workers, n)).collect();
            all.sort();
            assert_eq!(all, (0..n).collect::<Vec<_>>());
            for w in 0..workers {
                assert_eq!(share(w, workers, n).count(), share_len(w, workers, n));
            }
        }
    }
}
