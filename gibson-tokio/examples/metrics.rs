//! The `metrics` feature: operation durations, timeouts, reconnects and
//! pool gauges, recorded through the `metrics` crate. Here a simple
//! recorder (metrics-util's `DebuggingRecorder`) collects them and the
//! example prints them at the end.
//!
//! `cargo run -p gibson-tokio --features metrics --example metrics` (set
//! GIBSON_ADDR to use a real server).

use std::time::Duration;

use gibson_tokio::{AsyncCommands, Config, Error, Pool, Ttl};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Install the recorder before the first request.
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().expect("no other recorder");
    gibson_tokio::metrics::describe();

    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let mut config: Config = server.url().parse()?;
    config.pool.max_size = 2;
    config.pool.health_check_interval = Duration::from_millis(100);
    let pool = Pool::with_config(config).await?;

    for i in 0..100 {
        pool.set(format!("demo:metrics:{i}"), "v", Ttl::Seconds(60))
            .await?;
        let _: Option<String> = pool.get(format!("demo:metrics:{i}")).await?;
    }
    // A namespace with a metrics label: its commands carry gibson.namespace.
    let carts = pool.namespace("demo:carts:")?.with_metrics_label("carts");
    carts.set("42", "3 items", Ttl::Seconds(60)).await?;
    let _: Option<String> = carts.get("42").await?;
    // A failure: its duration is labelled error.type = server. (A timeout
    // would also count in gibson.client.timeouts.)
    let failed = pool.inc("demo:metrics:0").await;
    println!("INC of a string -> {failed:?}");
    pool.mdel("demo:metrics:").await?;
    carts.invalidate().await?;
    // Let a health check report the pool's connections.
    tokio::time::sleep(Duration::from_millis(250)).await;

    for (key, unit, _, value) in snapshotter.snapshot().into_vec() {
        let (kind, key) = key.into_parts();
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let value = match value {
            DebugValue::Counter(n) => format!("{n}"),
            DebugValue::Gauge(g) => format!("{}", g.into_inner()),
            DebugValue::Histogram(h) => {
                let n = h.len() as f64;
                let sum: f64 = h.iter().map(|v| v.into_inner()).sum();
                format!("count {n}, mean {:.1} µs", sum / n * 1e6)
            }
        };
        let unit = unit
            .map(|u| format!(" ({})", u.as_str()))
            .unwrap_or_default();
        println!(
            "{kind:?} {}{unit} {{{}}}: {value}",
            key.name(),
            labels.join(", ")
        );
    }
    Ok(())
}
