//! What a prefix cache offers, under smol: a namespace per user, a prefix
//! read of any size, and a stampede guard around an expensive page.
//!
//! `cargo run -p gibson-async-std --example smol_prefixes` (set GIBSON_ADDR to use a real server).

use std::pin::pin;
use std::time::Duration;

use gibson_async_std::smol::{AsyncCommands, Compute, Connection, Error, Ttl};
use smol::stream::StreamExt;

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let url = server.url();
    smol::block_on(async {
        let conn = Connection::connect(&url).await?;

        let user = conn.namespace("demo:user:7:")?;
        user.set("name", "grace", Ttl::Never).await?;
        user.set("visits", "0", Ttl::Never).await?;
        println!("inc            -> {}", user.inc("visits").await?);
        let names: Vec<String> = user.keys("v").await?;
        println!("keys           -> {names:?} (names relative to the namespace)");
        println!("user keys      -> {}", user.count_all().await?);

        let log = (0..1_500).map(|i| (format!("demo:log:{i}"), i.to_string()));
        conn.set_multi(log, Ttl::Seconds(600)).await?;
        // The read as a futures-lite Stream, for its combinators.
        let names = conn.keys_stream::<String>("demo:log:")?.page(400);
        let names: Vec<String> = pin!(names.into_stream()).try_collect().await?;
        println!("keys_stream    -> {} names, 400 a page", names.len());

        let guard = Compute::new(conn.clone());
        let report: String = guard
            .get_or_compute("demo:report", Ttl::Seconds(60), users_report)
            .await?;
        println!("get_or_compute -> {report}");

        user.invalidate().await?;
        conn.mdel("demo:").await?;
        Ok(())
    })
}

/// The expensive part, computed once however many callers ask at once.
async fn users_report() -> Result<String, Error> {
    smol::Timer::after(Duration::from_millis(50)).await;
    Ok("42 users".to_string())
}
