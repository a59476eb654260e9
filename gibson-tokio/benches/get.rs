//! GET throughput on one connection at 1, 16 and 128 requests in flight:
//! the library against a minimal hand-written socket loop doing the same
//! work on the same server in the same run.
//!
//! `cargo bench -p gibson-tokio --bench get` (embedded server), or with
//! `GIBSON_BENCH_ADDR=host:port` against a real one.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gibson_tokio::{Connection, Ttl};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY: &str = "bench:get:key";
const VALUE: &[u8] = b"0123456789abcdef";
const DEPTHS: [usize; 3] = [1, 16, 128];
/// Replies the chunked raw loop counts before writing their replacements
/// (the library's driver hands over 32 replies per turn).
const RAW_CHUNK: usize = 32;

fn get_frame() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&((2 + KEY.len()) as u32).to_le_bytes());
    f.extend_from_slice(&3u16.to_le_bytes());
    f.extend_from_slice(KEY.as_bytes());
    f
}

/// The length of the whole reply at the start of `buf`, if it is all there.
fn whole_reply(buf: &[u8]) -> Option<usize> {
    let size = u32::from_le_bytes(buf.get(3..7)?.try_into().ok()?) as usize;
    (buf.len() >= 7 + size).then_some(7 + size)
}

/// The hand-written loop: keeps `depth` GETs in flight with a sliding
/// window, counting replies by their headers. It writes replacements after
/// every `chunk` replies it counts (`usize::MAX`: after each read).
async fn raw_gets(stream: &mut TcpStream, depth: usize, chunk: usize, n: u64) {
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
        loop {
            let whole = whole_reply(&buf[pos..filled]);
            if let Some(len) = whole {
                pos += len;
                completed += 1;
            }
            if completed > 0 && (whole.is_none() || completed as usize == chunk) {
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
                completed = 0;
            }
            if whole.is_none() {
                break;
            }
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
    }
}

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

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (addr, _server) = match std::env::var("GIBSON_BENCH_ADDR") {
        Ok(a) => (a, None),
        Err(_) => {
            let s = gibson_server::Server::builder()
                .bind_tcp("127.0.0.1:0")
                .unwrap();
            (s.addr().to_string(), Some(s))
        }
    };
    let conn = rt.block_on(async {
        let conn = Connection::connect(&addr).await.unwrap();
        conn.set(KEY, VALUE, Ttl::Never).await.unwrap();
        conn
    });
    let mut raw = rt.block_on(async {
        let s = TcpStream::connect(&addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        s
    });

    let mut group = c.benchmark_group("get_16B_one_connection");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for depth in DEPTHS {
        let n_per_iter = (depth as u64) * 64;
        group.throughput(Throughput::Elements(n_per_iter));
        group.bench_with_input(BenchmarkId::new("raw_loop", depth), &depth, |b, &depth| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    raw_gets(&mut raw, depth, usize::MAX, iters * n_per_iter).await;
                    start.elapsed()
                })
            })
        });
        if depth > RAW_CHUNK {
            // The same loop writing as often as the library's driver does.
            group.bench_with_input(
                BenchmarkId::new("raw_loop_chunked", depth),
                &depth,
                |b, &depth| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            raw_gets(&mut raw, depth, RAW_CHUNK, iters * n_per_iter).await;
                            start.elapsed()
                        })
                    })
                },
            );
        }
        group.bench_with_input(
            BenchmarkId::new("gibson_tokio", depth),
            &depth,
            |b, &depth| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        library_gets(&conn, depth, iters * n_per_iter).await;
                        start.elapsed()
                    })
                })
            },
        );
        if depth > 1 {
            group.bench_with_input(
                BenchmarkId::new("gibson_tokio_pipeline", depth),
                &depth,
                |b, &depth| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            pipelined_gets(&conn, depth, iters * n_per_iter).await;
                            start.elapsed()
                        })
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
