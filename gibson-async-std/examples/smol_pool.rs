//! A pool of multiplexed connections shared by many smol tasks: each task
//! counts its hits on one shared counter, then the pool's members are
//! inspected.
//!
//! `cargo run -p gibson-async-std --example smol_pool`

use gibson_async_std::smol::{cmd, Error, Pool};
use gibson_async_std::AsyncCommands;

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    smol::block_on(async {
        // The server's settings (GIBSON_ADDR may be a URL with options), and
        // the pool's size: set on the config, never appended to the URL.
        let pool = Pool::with_config(server.config().pool_min(2).pool_max(4)).await?;

        // 16 tasks × 50 INCs on one counter, spread over the members.
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let pool = pool.clone();
                smol::spawn(async move {
                    for _ in 0..50 {
                        pool.execute(cmd::Inc::new("smol-pool:hits")).await?;
                    }
                    Ok::<_, Error>(())
                })
            })
            .collect();
        for task in tasks {
            task.await?;
        }
        let hits: Option<i64> = pool.get("smol-pool:hits").await?;
        println!("hits -> {hits:?} (16 tasks × 50 INCs)");
        for (i, member) in pool.members().iter().enumerate() {
            println!("member {i}: connected {}", member.is_connected());
        }
        pool.del("smol-pool:hits").await?;
        Ok(())
    })
}
