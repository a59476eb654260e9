//! Sequential GET latency and pipelined GET throughput of the blocking
//! client, against a minimal hand-written `std::net` loop on the same server
//! in the same run.
//!
//! `cargo bench -p gibson-blocking --bench get` (embedded server), or with
//! `GIBSON_BENCH_ADDR=host:port`.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gibson_blocking::{Connection, Ttl};

const KEY: &str = "bench:get:key";
const VALUE: &[u8] = b"0123456789abcdef";

fn get_frame() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&((2 + KEY.len()) as u32).to_le_bytes());
    f.extend_from_slice(&3u16.to_le_bytes());
    f.extend_from_slice(KEY.as_bytes());
    f
}

/// The hand-written loop: write `batch` GETs, read `batch` replies.
fn raw_batch(stream: &mut TcpStream, frames: &[u8], batch: usize, buf: &mut Vec<u8>) {
    stream.write_all(frames).unwrap();
    let (mut filled, mut pos, mut done) = (0usize, 0usize, 0usize);
    while done < batch {
        if buf.len() - filled < 4096 {
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[filled..]).unwrap();
        assert!(n > 0, "server closed");
        filled += n;
        while filled - pos >= 7 {
            let size = u32::from_le_bytes(buf[pos + 3..pos + 7].try_into().unwrap()) as usize;
            if filled - pos < 7 + size {
                break;
            }
            pos += 7 + size;
            done += 1;
        }
    }
}

fn bench(c: &mut Criterion) {
    let (addr, _server) = match std::env::var("GIBSON_BENCH_ADDR") {
        Ok(a) => (a, None),
        Err(_) => {
            let s = gibson_server::Server::builder()
                .bind_tcp("127.0.0.1:0")
                .unwrap();
            (s.addr().to_string(), Some(s))
        }
    };
    let mut conn = Connection::connect(&addr).unwrap();
    conn.set(KEY, VALUE, Ttl::Never).unwrap();
    let mut raw = TcpStream::connect(&addr).unwrap();
    raw.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 64 * 1024];

    let mut group = c.benchmark_group("blocking_get_16B");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for batch in [1usize, 16, 128] {
        let frames: Vec<u8> = get_frame().repeat(batch);
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(
            BenchmarkId::new("raw_std_net", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        raw_batch(&mut raw, &frames, batch, &mut buf);
                    }
                    start.elapsed()
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("gibson_blocking", batch),
            &batch,
            |b, &batch| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
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
                    }
                    start.elapsed()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
