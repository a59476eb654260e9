//! The near cache's memory under values of random sizes: fills a cache
//! bounded to `MAX_BYTES` with 200 000 values of 0 to 64 KiB, as reads
//! would, and prints the bytes it accounts and the process's resident
//! memory before and after (Linux).
//!
//! `cargo run --release -p gibson-near --example memory`

use std::time::Instant;

use bytes::Bytes;
use gibson_near::{Near, NearConfig, Read};
use gibson_proto::Value;

const MAX_BYTES: u64 = 256 << 20;

/// Resident memory in MiB, from /proc (0 elsewhere).
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn main() {
    let before = rss_mib();
    let near = Near::new(
        NearConfig::new(["k:"])
            .max_bytes(MAX_BYTES)
            .max_entries(100_000),
    )
    .expect("a valid configuration");
    let now = Instant::now();
    if let Read::Check(check) = near.read(b"k:0", now) {
        check.done(None);
    }
    // One 64 KiB buffer per value, as a read buffer would be: the cache
    // must keep only the value's bytes.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut peak = 0;
    for i in 0..200_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let size = (x % 65_536) as usize;
        let buffer = Bytes::from(vec![b'v'; 65_536]);
        let value = Value::Bytes(buffer.slice(..size));
        let key = format!("k:{i}");
        if let Read::Fetch(fetch) = near.read(key.as_bytes(), now) {
            near.fetched(key.as_bytes(), fetch, Some(&value), Some(-1));
        }
        assert!(near.weight() <= MAX_BYTES);
        peak = peak.max(rss_mib());
    }
    let stats = near.stats();
    println!(
        "bound {} MiB: accounted {} MiB in {} entries, {} evictions; RSS {} MiB before, {} MiB peak, {} MiB after",
        MAX_BYTES >> 20,
        near.weight() >> 20,
        near.len(),
        stats.evictions,
        before,
        peak,
        rss_mib()
    );
}
