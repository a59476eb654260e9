//! What a prefix cache offers, on tokio: a namespace per user, a prefix
//! read of any size, and a stampede guard around an expensive page.
//!
//! `cargo run -p gibson-tokio --example prefixes` (set GIBSON_ADDR to use a real server).

use std::time::Duration;

use gibson_tokio::{AsyncCommands, Compute, Connection, Error, Ttl};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let conn = Connection::connect(&server.url()).await?;

    // A namespace per user: keys relative to `demo:user:42:`.
    let user = conn.namespace("demo:user:42:")?;
    user.set("name", "ada", Ttl::Never).await?;
    let sessions = user.namespace("sessions:")?;
    sessions.set("s1", "token-1", Ttl::Seconds(3600)).await?;
    sessions.set("s2", "token-2", Ttl::Seconds(3600)).await?;
    let pairs: Vec<(String, String)> = sessions.mget("s").await?;
    println!("sessions       -> {pairs:?} (names relative to the namespace)");
    println!("user keys      -> {}", user.count_all().await?);

    // A prefix read of any size, a page at a time.
    let log = (0..2_500).map(|i| (format!("demo:log:{i}"), format!("entry {i}")));
    conn.set_multi(log, Ttl::Seconds(600)).await?;
    let mut scan = conn.mget_stream::<String, String>("demo:log:")?.page(500);
    let mut read = 0;
    while let Some(pair) = scan.next().await {
        pair?;
        read += 1;
    }
    println!("mget_stream    -> {read} pairs, 500 keys a page");

    // A stampede guard: one computation, however many callers.
    let guard = Compute::new(conn.clone());
    let page: String = guard
        .get_or_compute("demo:page:/home", Ttl::Seconds(60), || async {
            tokio::time::sleep(Duration::from_millis(50)).await; // the expensive part
            Ok::<_, Error>("<html>home</html>".to_string())
        })
        .await?;
    println!("get_or_compute -> {page}");

    println!("invalidate     -> {} keys", user.invalidate().await?);
    conn.mdel("demo:").await?;
    Ok(())
}
