//! Single-key commands: set with a TTL, get, ttl, inc, dec, lock, unlock, del.
//!
//! `cargo run -p gibson-tokio --example basic` (set GIBSON_ADDR to use a real server).

use gibson_tokio::{AsyncCommands, Connection, Error, MetaField, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    let conn = Connection::connect(&url).await?;

    println!(
        "set    -> {:?}",
        conn.set("demo:greeting", "hello", Ttl::Seconds(60)).await?
    );
    println!("get    -> {:?}", conn.get::<String>("demo:greeting").await?);
    println!(
        "ttl    -> {:?}",
        conn.meta("demo:greeting", MetaField::Left).await?
    );
    println!("inc    -> {}", conn.inc("demo:visits").await?);
    println!("inc    -> {}", conn.inc("demo:visits").await?);
    println!("dec    -> {}", conn.dec("demo:visits").await?);
    println!("lock   -> {}", conn.lock("demo:greeting", 30).await?);
    match conn.del("demo:greeting").await {
        Err(e) if e.is_locked() => println!("del    -> refused: {e}"),
        other => println!("del    -> {other:?}"),
    }
    println!("unlock -> {}", conn.unlock("demo:greeting").await?);
    println!("del    -> {}", conn.del("demo:greeting").await?);
    println!("get    -> {:?}", conn.get::<String>("demo:greeting").await?);
    Ok(())
}
