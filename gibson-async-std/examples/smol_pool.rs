//! A pool of multiplexed connections shared by many smol tasks.
//!
//! `cargo run -p gibson-async-std --example smol_pool`

use gibson_async_std::{Error, Pool, Ttl};

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    smol::block_on(async {
        let pool = Pool::connect(&format!("{url}?pool_min=2&pool_max=4")).await?;

        let mut tasks = Vec::new();
        for t in 0..16 {
            let pool = pool.clone();
            tasks.push(smol::spawn(async move {
                for i in 0..100 {
                    pool.set(format!("pool:{t}:{i}"), i, Ttl::Never).await?;
                }
                pool.count(format!("pool:{t}:")).await
            }));
        }
        for task in tasks {
            let n = task.await?;
            assert_eq!(n, 100);
        }
        let open = pool.members().iter().filter(|m| m.is_connected()).count();
        println!("16 tasks × 100 SETs done on {open} connection(s)");
        println!("mdel -> {} deleted", pool.mdel("pool:").await?);
        Ok(())
    })
}
