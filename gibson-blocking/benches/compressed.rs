//! GET and decode of a 100 KB JSON value, stored plain (`Json`) and
//! zstd-compressed (`Compressed<Json>`), on one blocking connection; the
//! stored sizes (and so the compression ratio) are printed first.
//!
//! `cargo bench -p gibson-blocking --features zstd --bench compressed`
//! (embedded server), or with `GIBSON_BENCH_ADDR=host:port` against a
//! real one.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gibson_blocking::{Commands, Compressed, Connection, Json, Ttl};
use gibson_test_support::{unique_prefix, TestServer, BENCH_ADDR_VAR};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    id: u64,
    name: String,
    email: String,
    tags: Vec<String>,
    score: f64,
    active: bool,
}

/// Items until their JSON reaches 100 KB.
fn document() -> Vec<Item> {
    let mut items = Vec::new();
    let mut size = 2;
    for i in 0u64.. {
        let item = Item {
            id: i * 7919,
            name: format!("user number {i}"),
            email: format!("user{i}@example.org"),
            tags: (0..i % 5)
                .map(|t| format!("tag-{}", (t * 31 + i) % 97))
                .collect(),
            score: (i as f64 * 1.37) % 100.0,
            active: i % 3 == 0,
        };
        size += serde_json::to_vec(&item).unwrap().len() + 1;
        items.push(item);
        if size >= 100_000 {
            break;
        }
    }
    items
}

fn get_and_decode(c: &mut Criterion) {
    let server = TestServer::from_env(BENCH_ADDR_VAR);
    let mut conn = Connection::with_config(server.config()).unwrap();
    let doc = document();
    let p = unique_prefix("bench-compressed");
    let (plain, zstd) = (format!("{p}plain"), format!("{p}zstd"));
    conn.set(plain.as_str(), Json(&doc), Ttl::Seconds(3600))
        .unwrap();
    conn.set(zstd.as_str(), Compressed(Json(&doc)), Ttl::Seconds(3600))
        .unwrap();
    let size = |conn: &mut Connection, key: &str| conn.get::<Bytes>(key).unwrap().unwrap().len();
    let (plain_len, zstd_len) = (size(&mut conn, &plain), size(&mut conn, &zstd));
    println!(
        "stored: plain JSON {plain_len} B, compressed {zstd_len} B, ratio {:.2}",
        plain_len as f64 / zstd_len as f64
    );

    let mut group = c.benchmark_group("get_decode_100k_json");
    group.throughput(Throughput::Elements(1));
    group.bench_function("plain", |b| {
        b.iter(|| {
            let v = conn
                .get::<Json<Vec<Item>>>(plain.as_str())
                .unwrap()
                .unwrap();
            assert_eq!(v.0.len(), doc.len());
        })
    });
    group.bench_function("compressed", |b| {
        b.iter(|| {
            let v = conn
                .get::<Compressed<Json<Vec<Item>>>>(zstd.as_str())
                .unwrap()
                .unwrap();
            assert_eq!(v.0 .0.len(), doc.len());
        })
    });
    group.finish();
    conn.mdel(p.as_str()).unwrap();
}

criterion_group!(benches, get_and_decode);
criterion_main!(benches);
