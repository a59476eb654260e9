//! The `tracing` feature: every command, pipeline and connection attempt
//! is a span with OpenTelemetry's database fields, printed here by
//! tracing-subscriber's fmt layer when each span closes.
//!
//! `cargo run -p gibson-tokio --features tracing --example tracing` (set
//! GIBSON_ADDR to use a real server).

use gibson_tokio::{AsyncCommands, Connection, Error, Ttl};
use tracing_subscriber::fmt::format::FmtSpan;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The client's spans are at DEBUG level, with target `gibson`.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .init();

    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let conn = Connection::connect(&server.url()).await?; // span gibson.connect

    conn.set("demo:trace:a", "1", Ttl::Never).await?; // span SET
    let a: Option<String> = conn.get("demo:trace:a").await?; // span GET
    println!("GET demo:trace:a -> {a:?}");

    // A pipeline of GETs only: one span `BATCH GET`, db.operation.batch.size = 2.
    let mut gets = conn.pipeline();
    let _a = gets.get::<String>("demo:trace:a");
    let _b = gets.get::<String>("demo:trace:b");
    conn.run(gets).await?;

    // Of several commands: one span `PIPELINE`.
    let mut mixed = conn.pipeline();
    let _set = mixed.set("demo:trace:b", "x", Ttl::Never);
    let _count = mixed.count("demo:trace:");
    conn.run(mixed).await?;

    // A failure: error.type = server, db.response.status_code = NAN.
    let failed = conn.inc("demo:trace:b").await;
    println!("INC of a string -> {failed:?}");

    // Through a namespace: the same spans, with the full keys' commands.
    let ns = conn.namespace("demo:trace:")?;
    ns.del("a").await?;
    ns.del("b").await?;
    Ok(())
}
