//! Typed values: a struct stored as JSON, postcard or MessagePack, read
//! back by GET and MGET, and what a value that does not decode looks like.
//!
//! `cargo run -p gibson-tokio --example serde` (set GIBSON_ADDR to use a real server).

use gibson_tokio::{AsyncCommands, Connection, Error, Json, MsgPack, Postcard, Ttl};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    visits: u64,
    roles: Vec<String>,
    email: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let conn = Connection::connect(&server.url()).await?;

    let ada = User {
        name: "ada".into(),
        visits: 42,
        roles: vec!["admin".into()],
        email: Some("ada@example.org".into()),
    };
    let bob = User {
        name: "bob".into(),
        visits: 7,
        roles: vec![],
        email: None,
    };

    // One SET per codec; the value is encoded once, into the request.
    conn.set("demo:json:ada", Json(&ada), Ttl::Seconds(600))
        .await?;
    conn.set("demo:json:bob", Json(&bob), Ttl::Seconds(600))
        .await?;
    conn.set("demo:postcard:ada", Postcard(&ada), Ttl::Seconds(600))
        .await?;
    conn.set("demo:msgpack:ada", MsgPack(&ada), Ttl::Seconds(600))
        .await?;
    for key in ["demo:json:ada", "demo:postcard:ada", "demo:msgpack:ada"] {
        let size = conn.meta(key, gibson_tokio::MetaField::Size).await?;
        println!("{key:<18} -> {size:?} bytes");
    }

    // GET decodes straight from the reply's bytes.
    let Some(Json(back)) = conn.get::<Json<User>>("demo:json:ada").await? else {
        unreachable!("just stored");
    };
    assert_eq!(back, ada);
    let Some(Postcard(back)) = conn.get::<Postcard<User>>("demo:postcard:ada").await? else {
        unreachable!("just stored");
    };
    assert_eq!(back, ada);
    println!("GET            -> {back:?}");

    // MGET: every user under a prefix, each value decoded.
    let users: Vec<(String, Json<User>)> = conn.mget("demo:json:").await?;
    for (key, Json(user)) in &users {
        println!(
            "MGET           -> {key}: {} ({} visits)",
            user.name, user.visits
        );
    }

    // A value that does not decode is an error naming its key; the
    // connection goes on.
    conn.set("demo:json:eve", "not json", Ttl::Seconds(600))
        .await?;
    match conn.get::<Json<User>>("demo:json:eve").await {
        Err(e @ Error::Decode { .. }) => println!("bad value      -> {e}"),
        other => unreachable!("{other:?}"),
    }
    println!("next command   -> {:?}", conn.count("demo:json:").await?);

    conn.mdel("demo:").await?;
    Ok(())
}
