//! Typed values, blocking: an order stored as MessagePack or JSON, read back
//! from a pooled connection and in a pipeline, and what a value that does
//! not decode looks like.
//!
//! `cargo run -p gibson-blocking --example blocking_serde` (set GIBSON_ADDR to use a real server).

use gibson_blocking::{Commands, Error, Json, MsgPack, Pool, Ttl};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u32,
    lines: Vec<(String, u16)>,
    paid: bool,
}

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let p = gibson_test_support::unique_prefix("blocking-serde");
    let pool = Pool::with_config(server.config())?;
    let mut conn = pool.checkout()?;

    let order = Order {
        id: 7,
        lines: vec![("tea".into(), 2), ("scone".into(), 1)],
        paid: false,
    };
    conn.set(format!("{p}msgpack:7"), MsgPack(&order), Ttl::Seconds(600))?;
    conn.set(format!("{p}json:7"), Json(&order), Ttl::Seconds(600))?;

    // GET decodes the reply's bytes into the codec's wrapper.
    let back = conn.get::<MsgPack<Order>>(format!("{p}msgpack:7"))?;
    println!("GET (MessagePack) -> {back:?}");
    assert_eq!(back.map(MsgPack::into_inner), Some(order));

    // In a pipeline too: every result typed, in order.
    let mut pipe = conn.pipeline();
    let json = pipe.get::<Json<Order>>(format!("{p}json:7"));
    let missing = pipe.get::<Json<Order>>(format!("{p}json:8"));
    let mut results = conn.run(pipe)?;
    let Some(Json(read)) = results.take(json)? else {
        panic!("{p}json:7 was just stored");
    };
    println!("pipeline (JSON)   -> {read:?}");
    assert_eq!((read.id, read.lines.len(), read.paid), (7, 2, false));
    assert!(results.take(missing)?.is_none());

    // A value that does not decode is an error naming its key; the
    // connection goes on.
    conn.set(format!("{p}json:9"), "not json", Ttl::Seconds(600))?;
    let err = conn.get::<Json<Order>>(format!("{p}json:9")).unwrap_err();
    println!("bad value         -> {err}");
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert_eq!(conn.mdel(&p)?, 3);
    Ok(())
}
