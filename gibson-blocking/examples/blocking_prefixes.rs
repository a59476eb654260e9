//! What a prefix cache offers, blocking: a namespace per user, a prefix
//! read of any size as an iterator, and a stampede guard.
//!
//! `cargo run -p gibson-blocking --example blocking_prefixes` (set GIBSON_ADDR to use a real server).

use gibson_blocking::{Commands, Compute, Connection, Error, Ttl};

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let mut conn = Connection::connect(&server.url())?;

    {
        let mut user = conn.namespace("demo:user:42:")?;
        user.set("name", "ada", Ttl::Never)?;
        let mut sessions = user.namespace("sessions:")?;
        sessions.set("s1", "token-1", Ttl::Seconds(3600))?;
        let pairs: Vec<(String, String)> = sessions.mget("s")?;
        println!("sessions       -> {pairs:?} (names relative to the namespace)");
        println!("user keys      -> {}", user.count_all()?);
    }

    let log = (0..2_500).map(|i| (format!("demo:log:{i}"), format!("entry {i}")));
    conn.set_multi(log, Ttl::Seconds(600))?;
    let read = conn
        .mget_stream::<String, String>("demo:log:")?
        .page(500)
        .collect::<Result<Vec<_>, _>>()?
        .len();
    println!("mget_stream    -> {read} pairs, 500 keys a page");

    let mut guard = Compute::new(&mut conn);
    let page: String = guard.get_or_compute("demo:page:/home", Ttl::Seconds(60), || {
        Ok::<_, Error>("<html>home</html>".to_string()) // the expensive part
    })?;
    println!("get_or_compute -> {page}");

    println!("cleanup        -> {} keys", conn.mdel("demo:")?);
    Ok(())
}
