//! GET throughput on one connection at 1, 16 and 128 requests in flight,
//! the library against the raw measuring loop ([`gibson_bench::raw`], a
//! blocking socket, the C-like baseline) on the same server in the same
//! run; and the cost of opening a connection. At depth 1 it also runs
//! the same GETs as a bare `async-io` loop (one task writing a request and
//! reading its reply, no engine): the floor that the `async-io` reactor
//! sets under any client built on it (each wait for a reply costs six
//! system calls there, against one `recv` in the raw loop).
//!
//! Callers run on a `smol::LocalExecutor` on the bench thread; the
//! connection is the crate's default one, its driver an async-std task.
//! `GIBSON_BENCH_ADDR=host:port` uses a real server instead of the
//! embedded one.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

mod common;

use std::net::TcpStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_io::Async;
use common::{timed, GetBench, KEY};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gibson_async_std::{AsyncCommands, Connection};
use gibson_bench::raw::RawLoop;
use gibson_blocking::{Addr, Command, Limits};
use smol::LocalExecutor;

const DEPTHS: [usize; 3] = [1, 16, 128];

async fn library_gets(ex: &Rc<LocalExecutor<'static>>, conn: &Connection, depth: usize, n: u64) {
    let per_task = n / depth as u64;
    let mut tasks = Vec::with_capacity(depth);
    for _ in 0..depth {
        let conn = conn.clone();
        tasks.push(ex.spawn(async move {
            for _ in 0..per_task {
                let v = conn.get::<bytes::Bytes>(KEY).await.unwrap();
                debug_assert!(v.is_some());
            }
        }));
    }
    for t in tasks {
        t.await;
    }
}

/// `n` GETs of [`KEY`], one at a time, on a bare `async-io` socket: each
/// reply is read whole (its 7-byte header gives its size) before the next
/// request is written.
async fn async_io_gets(stream: &mut Async<TcpStream>, get: &[u8], buf: &mut [u8], n: u64) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..n {
        stream.write_all(get).await.unwrap();
        let mut have = 0;
        loop {
            have += stream.read(&mut buf[have..]).await.unwrap();
            if have >= 7 {
                let size = u32::from_le_bytes([buf[3], buf[4], buf[5], buf[6]]) as usize;
                if have >= 7 + size {
                    break;
                }
            }
        }
    }
}

/// A bare `async-io` TCP socket to the server, or `None` for a Unix one.
fn async_io_socket(addr: &Addr) -> Option<Async<TcpStream>> {
    let Addr::Tcp { host, port } = addr else {
        return None;
    };
    let stream = TcpStream::connect((host.as_str(), *port)).unwrap();
    stream.set_nodelay(true).unwrap();
    Some(Async::new(stream).unwrap())
}

fn bench(c: &mut Criterion) {
    let ex = Rc::new(LocalExecutor::new());
    let run = |f| smol::block_on(ex.run(f));
    let mut bench = GetBench::start();
    let config = bench.config();
    let conn = smol::block_on(Connection::with_config(config.clone())).unwrap();

    let mut group = c.benchmark_group("async_std_get_16B_one_connection");
    for depth in DEPTHS {
        let n_per_iter = (depth as u64) * 64;
        group.throughput(Throughput::Elements(n_per_iter));
        let mut raw = RawLoop::new(depth, Limits::default());
        group.bench_with_input(BenchmarkId::new("raw_loop", depth), &depth, |b, _| {
            b.iter_custom(|iters| timed(iters, || bench.raw_gets(&mut raw, n_per_iter)))
        });
        if let (1, Some(mut socket)) = (depth, async_io_socket(&config.addr)) {
            let mut get = bytes::BytesMut::new();
            gibson_async_std::cmd::Get::<_>::new(KEY)
                .encode(&mut get, &Limits::default())
                .unwrap();
            let mut buf = vec![0; 4096];
            group.bench_function(BenchmarkId::new("async_io_loop", depth), |b| {
                b.iter_custom(|iters| {
                    smol::block_on(ex.run(async {
                        let start = Instant::now();
                        async_io_gets(&mut socket, &get, &mut buf, iters * n_per_iter).await;
                        start.elapsed()
                    }))
                })
            });
        }
        group.bench_with_input(BenchmarkId::new("library", depth), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                let (ex, conn) = (ex.clone(), conn.clone());
                run(Box::pin(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        library_gets(&ex, &conn, depth, n_per_iter).await;
                    }
                    start.elapsed()
                }))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("async_std_connect");
    group.bench_function("connect_ping_drop", |b| {
        b.iter(|| {
            smol::block_on(async {
                let conn = Connection::with_config(config.clone()).await.unwrap();
                conn.ping().await.unwrap();
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Every group: 1 s of warm-up, 3 s of measurement.
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
