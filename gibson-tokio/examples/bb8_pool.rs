//! The `bb8` feature: tokio connections from a `bb8::Pool`, for code
//! already built around bb8. A gibson-tokio `Connection` is multiplexed
//! (many tasks share it), so the crate's own `Pool` is usually the better
//! fit; this is for the rest.
//!
//! `cargo run -p gibson-tokio --features bb8 --example bb8_pool` (set GIBSON_ADDR to use a real server).

use gibson_tokio::{AsyncCommands, GibsonManager, Ttl};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let p = gibson_test_support::unique_prefix("bb8");

    let manager = GibsonManager::new(server.config());
    let pool = bb8::Pool::builder().max_size(2).build(manager).await?;

    // Ten tasks, two connections.
    let mut tasks = Vec::new();
    for t in 0..10 {
        let pool = pool.clone();
        let key = format!("{p}task:{t}");
        tasks.push(tokio::spawn(async move {
            let conn = pool.get().await.map_err(|e| e.to_string())?;
            conn.set(&key, t.to_string(), Ttl::Seconds(60))
                .await
                .map_err(|e| e.to_string())?;
            conn.inc(&key).await.map_err(|e| e.to_string())
        }));
    }
    let mut sum = 0;
    for task in tasks {
        sum += task.await??;
    }

    let conn = pool.get().await?;
    let keys = conn.count(format!("{p}task:")).await?;
    println!(
        "{keys} keys, incremented values summing to {sum}, over {} pooled connections",
        pool.state().connections
    );
    // 0..10 each incremented once: 45 + 10.
    assert_eq!((keys, sum), (10, 55));
    conn.mdel(&p).await?;
    Ok(())
}
