//! GET throughput on one connection at 1, 16 and 128 requests in flight:
//! the library against the raw measuring loop ([`gibson_bench::raw`], a
//! blocking socket, the C-like baseline) doing the same work on the same
//! server in the same run.
//!
//! `cargo bench -p gibson-bench --bench get_tokio` (embedded server), or with
//! `GIBSON_BENCH_ADDR=host:port` against a real one.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{GetBench, KEY};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use gibson_bench::raw::RawLoop;
use gibson_blocking::Limits;
use gibson_tokio::{AsyncCommands, Connection};
use tokio::runtime::Runtime;

const DEPTHS: [usize; 3] = [1, 16, 128];
/// Replies the chunked raw loop counts before writing their replacements
/// (the library's driver hands over 32 replies per turn).
const RAW_CHUNK: usize = 32;

async fn library_gets(conn: &Connection, depth: usize, n: u64) {
    let per_task = n / depth as u64;
    let mut tasks = Vec::with_capacity(depth);
    for _ in 0..depth {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let v = conn.get::<bytes::Bytes>(KEY).await.unwrap();
                debug_assert!(v.is_some());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Explicit pipelines: two tasks each keep a pipeline of `depth / 2` GETs
/// in flight, so about `depth` requests are outstanding at any time.
async fn pipelined_gets(conn: &Connection, depth: usize, n: u64) {
    let batch = (depth / 2).max(1);
    let rounds = n / (2 * batch as u64);
    let mut tasks = Vec::with_capacity(2);
    for _ in 0..2 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..rounds {
                let mut p = conn.pipeline();
                let handles: Vec<_> = (0..batch).map(|_| p.get::<bytes::Bytes>(KEY)).collect();
                let mut results = conn.run(p).await.unwrap();
                for h in handles {
                    let v = results.take(h).unwrap();
                    debug_assert!(v.is_some());
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Benchmarks `depth` with `run(n)`: the time of `n` requests on the runtime.
fn on_runtime<F: Future<Output = ()>>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    name: &str,
    depth: usize,
    n_per_iter: u64,
    run: impl Fn(u64) -> F,
) {
    group.bench_with_input(BenchmarkId::new(name, depth), &depth, |b, _| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                run(iters * n_per_iter).await;
                start.elapsed()
            })
        })
    });
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut bench = GetBench::start();
    let conn = rt
        .block_on(Connection::with_config(bench.config()))
        .unwrap();

    let mut group = c.benchmark_group("get_16B_one_connection");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for depth in DEPTHS {
        let n_per_iter = (depth as u64) * 64;
        group.throughput(Throughput::Elements(n_per_iter));
        // Refilling after each read, and (the same loop writing as often
        // as the library's driver does) after every RAW_CHUNK replies.
        let chunked = (depth > RAW_CHUNK).then_some(("raw_loop_chunked", RAW_CHUNK));
        for (name, chunk) in [("raw_loop", usize::MAX)].into_iter().chain(chunked) {
            let mut raw = RawLoop::new(depth, Limits::default()).refill_every(chunk);
            group.bench_with_input(BenchmarkId::new(name, depth), &depth, |b, _| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    bench.raw_gets(&mut raw, iters * n_per_iter);
                    start.elapsed()
                })
            });
        }
        on_runtime(&mut group, &rt, "gibson_tokio", depth, n_per_iter, |n| {
            library_gets(&conn, depth, n)
        });
        if depth > 1 {
            on_runtime(
                &mut group,
                &rt,
                "gibson_tokio_pipeline",
                depth,
                n_per_iter,
                |n| pipelined_gets(&conn, depth, n),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
