//! GET throughput on one connection at 1, 16 and 128 requests in flight,
//! the library against a minimal hand-written socket loop on the same server
//! in the same run; and the cost of opening a connection (which, by default,
//! starts the driver's thread).
//!
//! Callers run on a `smol::LocalExecutor` on the bench thread. Compare the
//! driver placements with
//! `cargo bench -p gibson-async-std --bench get` (dedicated driver thread)
//! and `cargo bench -p gibson-async-std --bench get --features smol`
//! (driver on smol's global executor). `GIBSON_BENCH_ADDR=host:port` uses a
//! real server instead of the embedded one.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::net::{TcpStream, ToSocketAddrs};
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_io::Async;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use gibson_async_std::{Connection, Ttl};
use smol::LocalExecutor;

const KEY: &str = "bench:get:key";
const VALUE: &[u8] = b"0123456789abcdef";
const DEPTHS: [usize; 3] = [1, 16, 128];

fn get_frame() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&((2 + KEY.len()) as u32).to_le_bytes());
    f.extend_from_slice(&3u16.to_le_bytes());
    f.extend_from_slice(KEY.as_bytes());
    f
}

/// The hand-written loop: keeps `depth` GETs in flight with a sliding
/// window, counting replies by their headers.
async fn raw_gets(stream: &mut Async<TcpStream>, depth: usize, n: u64) {
    let frame = get_frame();
    let mut out = Vec::with_capacity(frame.len() * depth);
    let mut buf = vec![0u8; 256 * 1024];
    let (mut filled, mut sent, mut done) = (0usize, 0u64, 0u64);
    let first = (depth as u64).min(n);
    for _ in 0..first {
        out.extend_from_slice(&frame);
    }
    sent += first;
    stream.write_all(&out).await.unwrap();
    while done < n {
        let read = stream.read(&mut buf[filled..]).await.unwrap();
        assert!(read > 0, "server closed");
        filled += read;
        let mut pos = 0;
        let mut completed = 0u64;
        while filled - pos >= 7 {
            let size = u32::from_le_bytes(buf[pos + 3..pos + 7].try_into().unwrap()) as usize;
            if filled - pos < 7 + size {
                break;
            }
            pos += 7 + size;
            completed += 1;
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
        done += completed;
        let more = completed.min(n - sent);
        if more > 0 {
            out.clear();
            for _ in 0..more {
                out.extend_from_slice(&frame);
            }
            sent += more;
            stream.write_all(&out).await.unwrap();
        }
    }
}

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

fn bench(c: &mut Criterion) {
    let ex = Rc::new(LocalExecutor::new());
    let run = |f| smol::block_on(ex.run(f));
    let (addr, _server) = match std::env::var("GIBSON_BENCH_ADDR") {
        Ok(a) => (a, None),
        Err(_) => {
            let s = gibson_server::Server::builder()
                .bind_tcp("127.0.0.1:0")
                .unwrap();
            (s.addr().to_string(), Some(s))
        }
    };
    let conn = smol::block_on(async {
        let conn = Connection::connect(&addr).await.unwrap();
        conn.set(KEY, VALUE, Ttl::Never).await.unwrap();
        conn
    });
    let mut raw = smol::block_on(async {
        let sa = addr.to_socket_addrs().unwrap().next().unwrap();
        let s = Async::<TcpStream>::connect(sa).await.unwrap();
        s.get_ref().set_nodelay(true).unwrap();
        s
    });

    let mut group = c.benchmark_group("async_std_get_16B_one_connection");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for depth in DEPTHS {
        let n_per_iter = (depth as u64) * 64;
        group.throughput(Throughput::Elements(n_per_iter));
        group.bench_with_input(BenchmarkId::new("raw_loop", depth), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                smol::block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        raw_gets(&mut raw, depth, n_per_iter).await;
                    }
                    start.elapsed()
                })
            })
        });
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
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("connect_ping_drop", |b| {
        b.iter(|| {
            smol::block_on(async {
                let conn = Connection::connect(&addr).await.unwrap();
                conn.ping().await.unwrap();
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
