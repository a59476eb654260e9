//! Sequential GET latency and pipelined GET throughput of the blocking
//! client, against the raw measuring loop ([`gibson_bench::raw`]) doing
//! the same batches on the same server in the same run.
//!
//! `cargo bench -p gibson-bench --bench get_blocking` (embedded server), or with
//! `GIBSON_BENCH_ADDR=host:port`.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

mod common;

use std::time::Duration;

use common::{timed, GetBench, KEY};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gibson_bench::raw::RawLoop;
use gibson_blocking::{Commands, Connection, Limits};

fn bench(c: &mut Criterion) {
    let mut bench = GetBench::start();
    let mut conn = Connection::with_config(bench.config()).unwrap();

    let mut group = c.benchmark_group("blocking_get_16B");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for batch in [1usize, 16, 128] {
        // Write a batch, read its replies: the library's pipeline, by hand.
        let mut raw = RawLoop::new(batch, Limits::default());
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(BenchmarkId::new("raw_std_net", batch), &batch, |b, _| {
            b.iter_custom(|iters| timed(iters, || bench.raw_gets(&mut raw, batch as u64)))
        });
        group.bench_with_input(
            BenchmarkId::new("gibson_blocking", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|iters| {
                    timed(iters, || {
                        if batch == 1 {
                            let v = conn.get::<bytes::Bytes>(KEY).unwrap();
                            debug_assert!(v.is_some());
                        } else {
                            let mut p = conn.pipeline();
                            let handles: Vec<_> =
                                (0..batch).map(|_| p.get::<bytes::Bytes>(KEY)).collect();
                            let mut results = conn.run(p).unwrap();
                            for h in handles {
                                let v = results.take(h).unwrap();
                                debug_assert!(v.is_some());
                            }
                        }
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
