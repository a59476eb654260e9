//! Connections from a deadpool pool, for code built around deadpool (most
//! code wants `gibson_tokio::Pool`, whose connections each carry many
//! requests at once).
//!
//! `cargo run -p gibson-tokio --features deadpool --example deadpool`

use deadpool::managed::Pool;
use gibson_tokio::{AsyncCommands, DeadpoolManager, Ttl};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let pool = Pool::<DeadpoolManager>::builder(DeadpoolManager::new(server.config()))
        .max_size(4)
        .build()?;
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let conn = pool.get().await.map_err(|e| e.to_string())?;
                conn.set(format!("deadpool:{t}"), t, Ttl::Seconds(60))
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let conn = pool.get().await.map_err(|e| e.to_string())?;
    let keys = conn.count("deadpool:").await?;
    println!("{keys} keys under deadpool:");
    println!("pool: {:?}", pool.status());
    assert_eq!(keys, 8);
    assert!(pool.status().size <= 4);
    conn.mdel("deadpool:").await?;
    Ok(())
}
