//! An explicit pipeline: many commands, one write, results in order.
//!
//! `cargo run -p gibson-tokio --example pipeline`

use gibson_tokio::{Connection, Error, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    let conn = Connection::connect(&url).await?;

    let mut pipe = conn.pipeline();
    let set = pipe.set("pipe:counter", "41", Ttl::Never);
    let inc = pipe.inc("pipe:counter");
    let bad = pipe.get::<String>("not a valid key"); // refused, never sent
    let get = pipe.get::<i64>("pipe:counter");
    let del = pipe.del("pipe:counter");
    let mut results = conn.run(pipe).await?;

    println!("set -> {:?}", results.take(set)?);
    println!("inc -> {}", results.take(inc)?);
    println!("bad -> {}", results.take(bad).unwrap_err());
    println!("get -> {:?}", results.take(get)?);
    println!("del -> {}", results.take(del)?);
    Ok(())
}
