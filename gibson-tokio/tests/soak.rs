//! Soak: millions of requests on one long-lived connection, with a
//! multi-megabyte reply now and then, while resident memory is sampled.
//! Outside the default run:
//!
//! ```text
//! cargo test --release -p gibson-tokio --test soak -- --ignored --nocapture
//! GIBSON_SOAK_REQUESTS=10000000 cargo test --release -p gibson-tokio --test soak -- --ignored --nocapture
//! ```

use std::time::Instant;

use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{AsyncCommands, Connection, Ttl};

/// Resident set size of this process, in KiB (Linux).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: run explicitly (see the file's docs)"]
async fn millions_of_requests_on_one_connection_keep_memory_flat() {
    let total: u64 = std::env::var("GIBSON_SOAK_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000_000);
    let server = TestServer::start();
    let conn = Connection::with_config(server.config()).await.unwrap();
    let p = unique_prefix("soak");
    let big = vec![b'B'; 64 * 1024];
    for i in 0..64 {
        conn.set(format!("{p}big:{i}"), &big[..], Ttl::Never)
            .await
            .unwrap();
    }
    let tasks = 128u64;
    let per_task = total / tasks;
    let rounds = 10u64;
    let mut samples = Vec::new();
    let started = Instant::now();
    for round in 0..rounds {
        let mut handles = Vec::new();
        for t in 0..tasks {
            let conn = conn.clone();
            let p = p.clone();
            handles.push(tokio::spawn(async move {
                for i in 0..per_task / rounds {
                    let key = format!("{p}{t}:{}", i % 64);
                    let value = format!("{round}:{t}:{i}");
                    conn.set(&key, &value, Ttl::Never).await.unwrap();
                    let got = conn.get::<String>(&key).await.unwrap();
                    assert_eq!(got.as_deref(), Some(value.as_str()));
                }
            }));
        }
        // A 4 MiB MGET in the middle of each round grows the read buffer.
        let pairs = conn
            .mget::<bytes::Bytes, bytes::Bytes>(format!("{p}big:"))
            .await
            .unwrap();
        assert_eq!(pairs.len(), 64);
        drop(pairs);
        for h in handles {
            h.await.unwrap();
        }
        samples.push(rss_kib());
        eprintln!(
            "round {round}: {} requests so far, rss {} KiB, {:.0} req/s",
            (round + 1) * (per_task / rounds) * tasks * 2,
            samples[samples.len() - 1],
            ((round + 1) * (per_task / rounds) * tasks * 2) as f64
                / started.elapsed().as_secs_f64()
        );
    }
    assert_eq!(conn.connects(), 1, "one long-lived connection");
    // After warm-up (round 1), memory must not keep growing: allow 16 MiB of
    // allocator noise over the whole run.
    let warm = samples[1];
    let last = *samples.last().unwrap();
    let peak = *samples.iter().skip(1).max().unwrap();
    eprintln!("rss after warm-up {warm} KiB, peak {peak} KiB, last {last} KiB");
    assert!(
        last <= warm + 16 * 1024,
        "memory grew from {warm} KiB to {last} KiB"
    );
    conn.mdel(&p).await.unwrap();
}
