//! Connections from a deadpool pool under smol, for code built around
//! deadpool (most code wants `gibson_async_std::smol::Pool`, whose
//! connections each carry many requests at once). Under async-std, use
//! `gibson_async_std::DeadpoolManager` the same way.
//!
//! `cargo run -p gibson-async-std --features smol,deadpool --example smol_deadpool`

use deadpool::managed::Pool;
use gibson_async_std::smol::{DeadpoolManager, Ttl};
use gibson_async_std::AsyncCommands;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    smol::block_on(async {
        let pool = Pool::<DeadpoolManager>::builder(DeadpoolManager::new(server.config()))
            .max_size(2)
            .build()?;
        let (a, b) = (pool.get().await?, pool.get().await?);
        a.set("smol-deadpool:a", "1", Ttl::Seconds(60)).await?;
        b.set("smol-deadpool:b", "2", Ttl::Seconds(60)).await?;
        drop((a, b));
        let conn = pool.get().await?;
        let keys = conn.count("smol-deadpool:").await?;
        println!("{keys} keys under smol-deadpool:");
        println!("pool: {:?}", pool.status());
        assert_eq!(keys, 2);
        conn.mdel("smol-deadpool:").await?;
        Ok(())
    })
}
