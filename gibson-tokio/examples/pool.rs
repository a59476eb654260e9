//! A pool of multiplexed connections shared by many tasks.
//!
//! `cargo run -p gibson-tokio --example pool`

use gibson_tokio::{AsyncCommands, Error, Pool, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    // The server's settings (GIBSON_ADDR may be a URL with options), and
    // the pool's size: set on the config, never appended to the URL.
    let pool = Pool::with_config(server.config().pool_min(2).pool_max(4)).await?;

    let mut tasks = Vec::new();
    for t in 0..16 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                pool.set(format!("pool:{t}:{i}"), i, Ttl::Never).await?;
            }
            pool.count(format!("pool:{t}:")).await
        }));
    }
    for task in tasks {
        let n = task.await.expect("task panicked")?;
        assert_eq!(n, 100);
    }
    let open = pool.members().iter().filter(|m| m.is_connected()).count();
    println!("16 tasks × 100 SETs done on {open} connection(s)");
    println!("mdel -> {} deleted", pool.mdel("pool:").await?);
    Ok(())
}
