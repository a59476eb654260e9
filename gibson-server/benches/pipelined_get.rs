//! Pipelined GET throughput over one loopback connection (TCP and Unix):
//! a batch of GET frames written at once, then every reply read.

#![allow(missing_docs)]

use std::io::{Read, Write};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gibson_server::{Server, ServerAddr};

fn frame(op: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = ((payload.len() + 2) as u32).to_le_bytes().to_vec();
    f.extend_from_slice(&op.to_le_bytes());
    f.extend_from_slice(payload);
    f
}

fn run<S: Read + Write>(s: &mut S, batch: &[u8], reply: &mut [u8]) {
    s.write_all(batch).unwrap();
    s.read_exact(reply).unwrap();
}

fn bench(c: &mut Criterion) {
    let server = Server::builder().bind_tcp("127.0.0.1:0").unwrap();
    let ServerAddr::Tcp(addr) = server.addr().clone() else {
        unreachable!()
    };
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut reply = vec![0u8; 10];
    run(&mut tcp, &frame(1, b"0 bench:key bar"), &mut reply);

    // And over a Unix socket, on Unix targets.
    #[cfg(unix)]
    let (userver, mut unix) = {
        let sock = std::env::temp_dir().join(format!("gibson-bench-{}.sock", std::process::id()));
        let userver = Server::builder().bind_unix(&sock).unwrap();
        let mut unix = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        run(&mut unix, &frame(1, b"0 bench:key bar"), &mut reply);
        (userver, unix)
    };

    let mut group = c.benchmark_group("pipelined_get");
    group.measurement_time(Duration::from_secs(5));
    for depth in [1usize, 16, 256] {
        let batch: Vec<u8> = (0..depth).flat_map(|_| frame(3, b"bench:key")).collect();
        let mut replies = vec![0u8; depth * 10];
        group.throughput(Throughput::Elements(depth as u64));
        group.bench_function(format!("tcp/{depth}"), |b| {
            b.iter(|| run(&mut tcp, &batch, &mut replies))
        });
        #[cfg(unix)]
        group.bench_function(format!("unix/{depth}"), |b| {
            b.iter(|| run(&mut unix, &batch, &mut replies))
        });
    }
    group.finish();
    #[cfg(unix)]
    drop(userver);
    drop(server);
}

criterion_group!(benches, bench);
criterion_main!(benches);
