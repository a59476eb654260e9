//! Prefix commands: mset, mget, mttl, minc, mdec, mlock, munlock, keys, count, mdel.
//!
//! `cargo run -p gibson-tokio --example multi_key`

use gibson_tokio::{AsyncCommands, Connection, Error, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    let conn = Connection::connect(&url).await?;

    for (k, v) in [("user:1", "10"), ("user:2", "20"), ("user:3", "ada")] {
        conn.set(k, v, Ttl::Never).await?;
    }
    println!("count   -> {}", conn.count("user:").await?);
    println!("keys    -> {:?}", conn.keys::<String>("user:").await?);
    println!(
        "mget    -> {:?}",
        conn.mget::<String, String>("user:").await?
    );
    println!("minc    -> {} changed", conn.minc("user:").await?);
    println!("mdec    -> {} changed", conn.mdec("user:").await?);
    println!(
        "mttl    -> {} changed",
        conn.mttl("user:", Ttl::Seconds(600)).await?
    );
    println!("mlock   -> {} locked", conn.mlock("user:", 10).await?);
    println!(
        "mset    -> {} changed (locked items are skipped)",
        conn.mset("user:", "x").await?
    );
    println!("munlock -> {} unlocked", conn.munlock("user:").await?);
    println!("mset    -> {} changed", conn.mset("user:", "x").await?);
    println!("mdel    -> {} deleted", conn.mdel("user:").await?);
    println!("count   -> {}", conn.count("user:").await?);
    Ok(())
}
