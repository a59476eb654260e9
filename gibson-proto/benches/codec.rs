//! Criterion benchmarks of the codec.
//!
//! * `decode/get_*`: a buffer of GET replies (VAL plain of 16 B, 1 KiB and
//!   64 KiB) decoded reply by reply; throughput in bytes of wire data.
//! * `decode/mget_10000`: one KVAL of 10 000 pairs decoded and every pair
//!   read; `decode/mget_10000_typed` the same through `cmd::Mget`, which
//!   collects a `Vec<(Bytes, Bytes)>`.
//! * `encode/*`: one typed command encoded into a reused buffer; the time
//!   per iteration is the time per command.
//!
//! `cargo bench -p gibson-proto --bench codec`

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use gibson_proto::{cmd, Command, Decoder, Limits, LockTime, Reply, Ttl};

/// About 4 MiB of GET replies of `size` bytes each (at least 16 replies).
fn get_replies(size: usize) -> (Bytes, usize) {
    let count = (4 * 1024 * 1024 / (7 + size)).max(16);
    let mut buf = BytesMut::with_capacity(count * (7 + size));
    for i in 0..count {
        buf.put_u16_le(6);
        buf.put_u8(0);
        buf.put_u32_le(size as u32);
        buf.put_bytes(b'a' + (i % 26) as u8, size);
    }
    (buf.freeze(), count)
}

/// One KVAL reply of `pairs` pairs: keys `key:NNNNNNNN`, 16-byte values.
fn mget_reply(pairs: usize) -> Bytes {
    let mut data = BytesMut::new();
    data.put_u32_le(pairs as u32);
    for i in 0..pairs {
        let key = format!("key:{i:08}");
        data.put_u32_le(key.len() as u32);
        data.put_slice(key.as_bytes());
        data.put_u8(0);
        data.put_u32_le(16);
        data.put_bytes(b'v', 16);
    }
    let mut frame = BytesMut::new();
    frame.put_u16_le(7);
    frame.put_u8(0);
    frame.put_u32_le(data.len() as u32);
    frame.extend_from_slice(&data);
    frame.freeze()
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, size) in [
        ("get_16B", 16),
        ("get_1KiB", 1024),
        ("get_64KiB", 64 * 1024),
    ] {
        let (wire, count) = get_replies(size);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(name, |b| {
            b.iter_batched(
                // Untimed: a fresh buffer (as a socket read would fill) and
                // room for the replies (its pages touched, so that page
                // faults are not timed), which are dropped untimed too.
                || {
                    let mut out = Vec::with_capacity(count);
                    out.resize(count, Reply::Ok);
                    out.clear();
                    (BytesMut::from(&wire[..]), out)
                },
                |(mut buf, mut out)| {
                    let mut decoder = Decoder::default();
                    while let Some(reply) = decoder.decode(&mut buf).unwrap() {
                        out.push(reply);
                    }
                    assert_eq!(out.len(), count);
                    out
                },
                BatchSize::LargeInput,
            )
        });
    }

    let wire = mget_reply(10_000);
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("mget_10000", |b| {
        b.iter_batched(
            || BytesMut::from(&wire[..]),
            |mut buf| {
                let reply = Decoder::default().decode(&mut buf).unwrap().unwrap();
                let Reply::Pairs(pairs) = &reply else {
                    panic!("not a KVAL")
                };
                let mut n = 0;
                for (k, v) in pairs {
                    black_box((&k, &v));
                    n += 1;
                }
                assert_eq!(n, 10_000);
                reply
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("mget_10000_typed", |b| {
        b.iter_batched(
            || BytesMut::from(&wire[..]),
            |mut buf| {
                let reply = Decoder::default().decode(&mut buf).unwrap().unwrap();
                let pairs = cmd::Mget::<&str, Bytes, Bytes>::decode(reply).unwrap();
                assert_eq!(pairs.len(), 10_000);
                pairs
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let limits = Limits::default();
    let mut buf = BytesMut::with_capacity(4096);
    let mut bench = |name: &str, cmd: &dyn Fn(&mut BytesMut)| {
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                cmd(&mut buf);
                black_box(&buf);
            })
        });
    };
    let value = [b'v'; 16];
    bench("get", &|buf| {
        cmd::Get::<_, Bytes>::new(black_box("user:1234567"))
            .encode(buf, &limits)
            .unwrap()
    });
    bench("set_16B_ttl", &|buf| {
        cmd::Set::new(
            black_box("user:1234567"),
            black_box(&value[..]),
            Ttl::Seconds(3600),
        )
        .encode(buf, &limits)
        .unwrap()
    });
    bench("set_16B_never", &|buf| {
        cmd::Set::new(black_box("user:1234567"), black_box(&value[..]), Ttl::Never)
            .encode(buf, &limits)
            .unwrap()
    });
    bench("mget_limit", &|buf| {
        cmd::Mget::<_, Bytes, Bytes>::new(black_box("user:"))
            .limit(black_box(100))
            .encode(buf, &limits)
            .unwrap()
    });
    bench("lock", &|buf| {
        cmd::Lock::new(black_box("user:1234567"), LockTime::UntilUnlock)
            .encode(buf, &limits)
            .unwrap()
    });
    bench("ping", &|buf| cmd::Ping.encode(buf, &limits).unwrap());
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode, encode
}
criterion_main!(benches);
